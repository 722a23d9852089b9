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
    double elapsedSeconds) {}
