package org.cfpipe.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The team hands every task to every thread, whether they spin or sleep between tasks. */
class WorkersTest {

  /** Every row of every task once, back to back and after pauses longer than the spin. */
  @Test
  void everyRowOnceWhetherTheThreadsSpinOrPark() throws InterruptedException {
    int rows = 1000;
    try (Workers workers = new Workers(3)) {
      for (int task = 0; task < 400; task++) {
        AtomicIntegerArray seen = new AtomicIntegerArray(rows);
        workers.inChunks(rows, 7, (t, c, from, to) -> {
          for (int r = from; r < to; r++) {
            seen.incrementAndGet(r);
          }
        });
        for (int r = 0; r < rows; r++) {
          assertEquals(1, seen.get(r), "task " + task + ", row " + r);
        }
        if (task % 50 == 0) {
          // Long enough for the others to park: the next task must wake them.
          Thread.sleep(Workers.SPIN_NANOS / 1_000_000 * 5 + 5);
        }
      }
    }
  }

  @Test
  void chunksByBounds() {
    int[] bounds = {0, 3, 3, 10, 12};
    int[] owner = new int[12];
    Arrays.fill(owner, -1);
    try (Workers workers = new Workers(2)) {
      workers.inChunks(bounds, (t, c, from, to) -> {
        for (int r = from; r < to; r++) {
          owner[r] = c;
        }
      });
    }
    assertArrayEquals(new int[] {0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 3, 3}, owner);
  }

  /** A thread's failure reaches the caller, and the team runs the next task. */
  @Test
  void aWorkersFailureReachesTheCaller() {
    try (Workers workers = new Workers(2)) {
      IllegalStateException thrown = assertThrows(IllegalStateException.class,
          () -> workers.run(t -> {
            if (t == 1) {
              throw new IllegalStateException("worker 1");
            }
          }));
      assertEquals("worker 1", thrown.getMessage());
      int[] ran = new int[2];
      workers.run(t -> ran[t]++);
      assertArrayEquals(new int[] {1, 1}, ran);
    }
  }
}
