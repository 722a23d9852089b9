package org.cfpipe.train;

/**
 * One epoch of training.
 *
 * @param trainLoss mean squared error over the epoch's batches, each measured before its update
 * @param validRmse NaN without validation ratings
 * @param elapsedSeconds since training started
 */
public record EpochStats(
    int epoch,
    double trainLoss,
    double validRmse,
    double validMae,
    double learningRate,
    double ratingsPerSecond,
    double elapsedSeconds) {

  /** The epoch's log line, with the estimated time to the last of {@code epochs} epochs. */
  public String describe(int epochs, double etaSeconds) {
    return String.format(java.util.Locale.ROOT, "epoch %d/%d  train_loss %.4f  valid_rmse %.4f  "
            + "lr %.2e  %,.0f ratings/s  elapsed %.1f s  eta %.1f s", epoch, epochs, trainLoss,
        validRmse, learningRate, ratingsPerSecond, elapsedSeconds, etaSeconds);
  }
}
