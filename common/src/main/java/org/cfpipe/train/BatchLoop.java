package org.cfpipe.train;

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

  BatchLoop(BatchGradient gradient, RowOptimizer optimizer, LearningRateSchedule schedule,
      int batchSize, int users, int items, int width) {
    this.gradient = gradient;
    this.optimizer = optimizer;
    this.schedule = schedule;
    this.batchSize = batchSize;
    this.userGrads = new TouchedRows(users, width, batchSize);
    this.itemGrads = new TouchedRows(items, width, batchSize);
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
      squared += gradient.accumulate(users, items, data, lo, hi, userGrads, itemGrads);
      double rate = schedule.learningRate(step);
      double momentum = schedule.beta1(step);
      step++;
      optimizer.update(users, userGrads, rate, momentum, step);
      optimizer.update(items, itemGrads, rate, momentum, step);
    }
    return squared;
  }
}
