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

  /** Chunks of rows with about as many ratings each. */
  @Test
  void aRatingChunkEndsAtItsRatingsOrItsRows() {
    // Rows of 5, 5, 1, 1, 1, 1, 1 and 0 ratings.
    int[] start = {0, 5, 10, 11, 12, 13, 14, 15, 15};
    assertArrayEquals(new int[] {0, 1, 2, 5, 8}, Workers.ratingChunks(start, 3, 4));
    assertArrayEquals(new int[] {0, 2, 8}, Workers.ratingChunks(start, 100, 10));
    assertArrayEquals(new int[] {0, 8}, Workers.ratingChunks(start, 100, 1000));
    assertArrayEquals(new int[] {0, 0}, Workers.ratingChunks(new int[] {0}, 3, 4));
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

  /** A task of the backlog that writes 0, 1, 2, ... into its stretch, and may stop anywhere. */
  private static final class Count implements Workers.Resumable {
    final int[] out;
    final int end;
    int next;
    int stops;

    Count(int[] out, int from, int to) {
      this.out = out;
      this.next = from;
      this.end = to;
    }

    @Override
    public boolean run(java.util.function.BooleanSupplier pause) {
      for (; next < end; next++) {
        out[next] += next;
        if (next + 1 < end && pause.getAsBoolean()) {
          next++;
          stops++;
          return false;
        }
      }
      return true;
    }
  }

  /**
   * Beside a serial step the other threads take the backlog's tasks before the end given, and
   * stop them part way when the step is done; {@code through} finishes them. Each cell is
   * written once, as if one thread had run each task from start to end.
   */
  @Test
  void aBacklogIsDoneBesideSerialStepsAndFinishedBeforeUse() {
    int cells = 20_000;
    int[] out = new int[cells];
    Count[] tasks = new Count[40];
    for (int c = 0; c < tasks.length; c++) {
      tasks[c] = new Count(out, c * cells / tasks.length, (c + 1) * cells / tasks.length);
    }
    try (Workers workers = new Workers(2)) {
      Workers.Backlog backlog = new Workers.Backlog(tasks);
      long[] spent = new long[1];
      for (int step = 0; step < 10; step++) {
        workers.serialBeside(() -> {
          long until = System.nanoTime() + 200_000;
          while (System.nanoTime() < until) {
            spent[0]++;
          }
        }, backlog, 20);
      }
      for (int c = 20; c < tasks.length; c++) {
        assertEquals(c * cells / tasks.length, tasks[c].next, "task " + c + " is past the end");
      }
      workers.through(backlog, 20);
      for (int c = 0; c < 20; c++) {
        assertEquals(tasks[c].end, tasks[c].next, "task " + c + " is not finished");
      }
      workers.through(backlog, backlog.size());
    }
    for (int i = 0; i < cells; i++) {
      assertEquals(i, out[i], "cell " + i);
    }
  }

  /** With one thread the caller runs the serial step alone and finishes the backlog after. */
  @Test
  void oneThreadRunsTheBacklogInThrough() {
    int[] out = new int[100];
    Count task = new Count(out, 0, 100);
    try (Workers workers = new Workers(1)) {
      Workers.Backlog backlog = new Workers.Backlog(task);
      workers.serialBeside(() -> { }, backlog, 1);
      assertEquals(0, task.next);
      workers.through(backlog, 1);
    }
    for (int i = 0; i < out.length; i++) {
      assertEquals(i, out[i]);
    }
    assertEquals(0, task.stops);
  }
}
