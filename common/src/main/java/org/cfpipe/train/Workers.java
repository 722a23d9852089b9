package org.cfpipe.train;

import java.util.concurrent.Phaser;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A fixed team of threads that run one task together and wait for each other, many times a
 * second: the caller is thread 0, the others are daemon threads parked on a {@link Phaser}
 * between tasks. With one thread everything runs in the caller.
 */
public final class Workers implements AutoCloseable {
  /** Work for thread {@code thread} of {@code threads}. */
  @FunctionalInterface
  public interface Task {
    void run(int thread);
  }

  private final int threads;
  private final Phaser phaser;
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private volatile Task task;
  private volatile boolean closed;

  public Workers(int threads) {
    this.threads = threads;
    this.phaser = new Phaser(threads);
    for (int t = 1; t < threads; t++) {
      int id = t;
      Thread worker = new Thread(() -> loop(id), "cfpipe-trainer-" + id);
      worker.setDaemon(true);
      worker.start();
    }
  }

  public int threads() {
    return threads;
  }

  /** Work on rows {@code from} to {@code to} of chunk {@code chunk}, in thread {@code thread}. */
  @FunctionalInterface
  public interface ChunkTask {
    void run(int thread, int chunk, int from, int to);
  }

  /**
   * Runs {@code work} on each chunk of {@code size} of {@code rows} rows, the threads taking the
   * chunks in turn.
   */
  public void inChunks(int rows, int size, ChunkTask work) {
    int chunks = (rows + size - 1) / size;
    AtomicInteger next = new AtomicInteger();
    run(t -> {
      for (int c = next.getAndIncrement(); c < chunks; c = next.getAndIncrement()) {
        work.run(t, c, c * size, Math.min(rows, c * size + size));
      }
    });
  }

  /** Runs {@code work} on every thread and returns when all have finished it. */
  public void run(Task work) {
    if (threads == 1) {
      work.run(0);
      return;
    }
    task = work;
    phaser.arriveAndAwaitAdvance();
    try {
      work.run(0);
    } catch (RuntimeException | Error e) {
      failure.compareAndSet(null, e);
    }
    phaser.arriveAndAwaitAdvance();
    Throwable failed = failure.getAndSet(null);
    if (failed instanceof RuntimeException e) {
      throw e;
    } else if (failed instanceof Error e) {
      throw e;
    }
  }

  private void loop(int id) {
    while (true) {
      phaser.arriveAndAwaitAdvance();
      if (closed) {
        return;
      }
      try {
        task.run(id);
      } catch (RuntimeException | Error e) {
        failure.compareAndSet(null, e);
      }
      phaser.arriveAndAwaitAdvance();
    }
  }

  @Override
  public void close() {
    if (threads > 1 && !closed) {
      closed = true;
      phaser.arriveAndDeregister();
    }
  }
}
