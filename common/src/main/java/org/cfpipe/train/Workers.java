package org.cfpipe.train;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of threads that run one task together and wait for each other, many times a
 * second: the caller is thread 0, the others are daemon threads. With one thread everything runs
 * in the caller.
 *
 * <p>Between tasks a thread first spins for up to {@link #SPIN_NANOS}, then parks. The trainers
 * alternate parallel passes with short serial steps (the gibbs engine's implicit prior: a serial
 * column of draws, then a pass over the ratings, 50 times a sweep), and waking a parked thread
 * took about 60 us on the 2-core machines seen, against about 1 us for a spinning one: the
 * waits of parked threads cost a gibbs sweep more than its serial steps. OpenMP runtimes spin
 * the same way before they sleep (KMP_BLOCKTIME, 200 ms by default); this spins far less, so an
 * idle team gives its cores back at once to the Spark tasks beside it.
 */
public final class Workers implements AutoCloseable {
  /** How long a thread spins for the next task, or for the others to finish, before parking. */
  static final long SPIN_NANOS = 1_000_000;

  /** Work for thread {@code thread} of {@code threads}. */
  @FunctionalInterface
  public interface Task {
    void run(int thread);
  }

  private final int threads;
  private final Thread[] team;
  /** Which threads are parked (or about to park); index 0 is the caller, waiting for the rest. */
  private final AtomicInteger[] parked;
  private final AtomicInteger running = new AtomicInteger();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private volatile Thread caller;
  private volatile Task task;
  /** Counts the tasks started: a thread runs a task when it sees this change. */
  private volatile int generation;
  private volatile boolean closed;

  public Workers(int threads) {
    this.threads = threads;
    this.team = new Thread[threads];
    this.parked = new AtomicInteger[threads];
    for (int t = 0; t < threads; t++) {
      parked[t] = new AtomicInteger();
    }
    for (int t = 1; t < threads; t++) {
      int id = t;
      Thread worker = new Thread(() -> loop(id), "cfpipe-trainer-" + id);
      worker.setDaemon(true);
      team[t] = worker;
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

  /**
   * Runs {@code work} on each chunk of rows {@code bounds[c]} to {@code bounds[c + 1]}, the
   * threads taking the chunks in turn.
   */
  public void inChunks(int[] bounds, ChunkTask work) {
    int chunks = bounds.length - 1;
    AtomicInteger next = new AtomicInteger();
    run(t -> {
      for (int c = next.getAndIncrement(); c < chunks; c = next.getAndIncrement()) {
        work.run(t, c, bounds[c], bounds[c + 1]);
      }
    });
  }

  /** Runs {@code work} on every thread and returns when all have finished it. */
  public void run(Task work) {
    if (threads == 1) {
      work.run(0);
      return;
    }
    caller = Thread.currentThread();
    task = work;
    running.set(threads - 1);
    generation++;
    for (int t = 1; t < threads; t++) {
      if (parked[t].get() != 0) {
        LockSupport.unpark(team[t]);
      }
    }
    try {
      work.run(0);
    } catch (RuntimeException | Error e) {
      failure.compareAndSet(null, e);
    }
    awaitOthers();
    Throwable failed = failure.getAndSet(null);
    if (failed instanceof RuntimeException e) {
      throw e;
    } else if (failed instanceof Error e) {
      throw e;
    }
  }

  private void awaitOthers() {
    long deadline = System.nanoTime() + SPIN_NANOS;
    while (running.get() != 0) {
      if (System.nanoTime() < deadline) {
        Thread.onSpinWait();
        continue;
      }
      // Parked is set before the last look: a worker that finishes after it unparks us.
      parked[0].set(1);
      if (running.get() != 0) {
        LockSupport.park(this);
      }
      parked[0].set(0);
    }
  }

  private void loop(int id) {
    int seen = 0;
    while (true) {
      seen = awaitTask(id, seen);
      if (closed) {
        return;
      }
      try {
        task.run(id);
      } catch (RuntimeException | Error e) {
        failure.compareAndSet(null, e);
      }
      if (running.decrementAndGet() == 0 && parked[0].get() != 0) {
        LockSupport.unpark(caller);
      }
    }
  }

  /** Waits for a generation after {@code seen}, spinning then parking; returns it. */
  private int awaitTask(int id, int seen) {
    long deadline = System.nanoTime() + SPIN_NANOS;
    while (generation == seen) {
      if (System.nanoTime() < deadline) {
        Thread.onSpinWait();
        continue;
      }
      // Parked is set before the last look: a caller that starts a task after it unparks us.
      parked[id].set(1);
      if (generation == seen) {
        LockSupport.park(this);
      }
      parked[id].set(0);
    }
    return generation;
  }

  @Override
  public void close() {
    if (threads > 1 && !closed) {
      closed = true;
      generation++;
      for (int t = 1; t < threads; t++) {
        LockSupport.unpark(team[t]);
      }
    }
  }
}
