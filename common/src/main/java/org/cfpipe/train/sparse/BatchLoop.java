package org.cfpipe.train.sparse;

import org.cfpipe.train.LearningRateSchedule;
import org.cfpipe.train.ParameterTable;
import org.cfpipe.train.RowOptimizer;
import org.cfpipe.train.TouchedRows;
import org.cfpipe.train.TrainingSet;

/**
 * Consecutive mini-batches over a range of ratings against a pair of parameter tables: the inner
 * loop of both the single-JVM engine (one block at a time) and the distributed one (one shard's
 * slice of a round). Not thread-safe: one per thread.
 */
final class BatchLoop {
  private final BatchGradient gradient;
  private final RowOptimizer optimizer;
  private final LearningRateSchedule schedule;
  private final int batchSize;
  private final TouchedRows userGrads;
  private final TouchedRows itemGrads;
  private final boolean preRead;

  /**
   * @param preRead read each batch's rows once before computing on them: worth it when the
   *     tables are larger than the cache (see {@link #preRead})
   */
  BatchLoop(BatchGradient gradient, RowOptimizer optimizer, LearningRateSchedule schedule,
      int batchSize, int users, int items, int width, boolean preRead) {
    this.gradient = gradient;
    this.optimizer = optimizer;
    this.schedule = schedule;
    this.batchSize = batchSize;
    this.userGrads = new TouchedRows(users, width, batchSize);
    this.itemGrads = new TouchedRows(items, width, batchSize);
    this.preRead = preRead;
  }

  /** Whether tables of {@code stateBytes} in all are beyond the cache, so pre-reading pays. */
  static boolean worthPreReading(long stateBytes) {
    return stateBytes > 8L << 20;
  }

  /** Optimizer steps that {@code ratings} ratings take. */
  static long batches(long ratings, int batchSize) {
    return (ratings + batchSize - 1) / batchSize;
  }

  /**
   * Trains on ratings [from, to) of {@code data} in batches, the first of which is optimizer step
   * {@code firstStep} (0-based) of the schedule.
   *
   * @return the sum of squared errors, each measured before its batch's update
   */
  double run(ParameterTable users, ParameterTable items, TrainingSet data, int from, int to,
      long firstStep) {
    double squared = 0;
    long step = firstStep;
    for (int lo = from; lo < to; lo += batchSize) {
      int hi = Math.min(to, lo + batchSize);
      userGrads.clear();
      itemGrads.clear();
      if (preRead) {
        preRead(users, items, data, lo, hi);
      }
      squared += gradient.accumulate(users, items, data, lo, hi, userGrads, itemGrads);
      double rate = schedule.learningRate(step);
      double momentum = schedule.beta1(step);
      step++;
      optimizer.update(users, userGrads, rate, momentum, step);
      optimizer.update(items, itemGrads, rate, momentum, step);
    }
    return squared;
  }

  /**
   * Reads one float of every cache line of the batch's rows. The loads are independent, so the
   * CPU keeps many misses in flight at once, where the gradient loop, a long dependent chain per
   * rating, keeps two or three; the gradient and update that follow then find the rows in cache.
   * With 3M users it made an epoch 1.65 times faster (docs/engines.md).
   */
  private float preRead(ParameterTable users, ParameterTable items, TrainingSet data, int lo,
      int hi) {
    float[] userData = users.data();
    float[] itemData = items.data();
    int userStride = users.stride();
    int itemStride = items.stride();
    int[] u = data.users();
    int[] i = data.items();
    float sum = 0;
    for (int n = lo; n < hi; n++) {
      int a = u[n] * userStride;
      int b = i[n] * itemStride;
      for (int j = 0; j < userStride; j += FLOATS_PER_LINE) {
        sum += userData[a + j];
      }
      for (int j = 0; j < itemStride; j += FLOATS_PER_LINE) {
        sum += itemData[b + j];
      }
    }
    blackhole = sum;
    return sum;
  }

  private static final int FLOATS_PER_LINE = 16;
  // Keeps the JIT from dropping the reads as dead code.
  @SuppressWarnings("unused")
  private volatile float blackhole;
}
