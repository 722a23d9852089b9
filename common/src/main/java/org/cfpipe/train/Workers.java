package org.cfpipe.train;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

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

  /**
   * Chunk bounds over the rows of {@code start}: a chunk ends once it holds {@code ratings}
   * ratings or {@code maxRows} rows.
   */
  public static int[] ratingChunks(int[] start, int maxRows, int ratings) {
    int rows = start.length - 1;
    int[] bounds = new int[rows + 2];
    int chunks = 0;
    int from = 0;
    for (int r = 0; r < rows; r++) {
      if (start[r + 1] - start[from] >= ratings || r + 1 - from >= maxRows) {
        bounds[++chunks] = r + 1;
        from = r + 1;
      }
    }
    if (from < rows || chunks == 0) {
      bounds[++chunks] = rows;
    }
    return Arrays.copyOf(bounds, chunks + 1);
  }

  /**
   * A task of a {@link Backlog}: it can stop part way, when the thread running it is needed
   * elsewhere, and go on later from where it stopped, on any thread.
   */
  @FunctionalInterface
  public interface Resumable {
    /** Goes on until the task is finished (true) or {@code pause} says to stop (false). */
    boolean run(BooleanSupplier pause);
  }

  /**
   * A resumable task over the indices {@code from} to {@code to}, done a stretch at a time: it
   * can stop between two stretches, and the next run goes on with the stretch after.
   */
  public abstract static class Stretches implements Resumable {
    private final int end;
    private final int stretch;
    private int next;
    private boolean begun;

    protected Stretches(int from, int to, int stretch) {
      this.next = from;
      this.end = to;
      this.stretch = stretch;
    }

    /** What the task does once, before its first stretch; nothing unless overridden. */
    protected void begin() {}

    /** Does indices {@code from} to {@code to - 1}. */
    protected abstract void stretch(int from, int to);

    @Override
    public final boolean run(BooleanSupplier pause) {
      if (!begun) {
        begun = true;
        begin();
      }
      while (next < end) {
        int stop = Math.min(end, next + stretch);
        stretch(next, stop);
        next = stop;
        if (next < end && pause.getAsBoolean()) {
          return false;
        }
      }
      return true;
    }
  }

  /**
   * Work that can be done ahead of its use: tasks numbered in the order they will be needed,
   * each writing only its own output, so that which thread runs one, and when, changes nothing.
   * The other threads take them while the caller runs a serial step ({@link #serialBeside}), and
   * {@link #through} finishes those still left before their output is read.
   */
  public static final class Backlog {
    private static final int FREE = 0;
    private static final int TAKEN = 1;
    private static final int DONE = 2;

    private final Resumable[] tasks;
    private final AtomicIntegerArray states;
    /** No task before this one is free: they are done, or being run. */
    private final AtomicInteger first = new AtomicInteger();
    private volatile boolean pause;

    public Backlog(Resumable... tasks) {
      this.tasks = tasks;
      this.states = new AtomicIntegerArray(tasks.length);
    }

    public int size() {
      return tasks.length;
    }

    /**
     * Takes a free task before {@code end} and runs it until it finishes or {@code pause} says
     * to stop; false if no task before {@code end} was free.
     */
    private boolean runOne(int end, BooleanSupplier pause) {
      for (int i = first.get(); i < end; i++) {
        if (states.get(i) == FREE && states.compareAndSet(i, FREE, TAKEN)) {
          states.set(i, tasks[i].run(pause) ? DONE : FREE);
          return true;
        }
      }
      return false;
    }

    private boolean paused() {
      return pause;
    }
  }

  /**
   * Runs {@code serial} in the caller while the other threads take the tasks of {@code backlog}
   * before {@code end} in turn; returns when the serial step has finished, the tasks being run
   * then stopping where they are, to go on later.
   */
  public void serialBeside(Runnable serial, Backlog backlog, int end) {
    run(t -> {
      if (t == 0) {
        try {
          serial.run();
        } finally {
          backlog.pause = true;
        }
      } else {
        while (!backlog.pause && backlog.runOne(end, backlog::paused)) {
          // Taken and run.
        }
      }
    });
    backlog.pause = false;
  }

  /** Finishes the tasks of {@code backlog} before {@code end}, on all threads. */
  public void through(Backlog backlog, int end) {
    int done = backlog.first.get();
    while (done < end && backlog.states.get(done) == Backlog.DONE) {
      done++;
    }
    backlog.first.set(done);
    if (done >= end) {
      return;
    }
    run(t -> {
      while (backlog.runOne(end, () -> false)) {
        // Taken and run to its end.
      }
    });
    backlog.first.set(end);
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
