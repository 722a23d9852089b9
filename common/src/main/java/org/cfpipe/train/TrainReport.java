package org.cfpipe.train;

import java.util.List;

/** What training did: the model's shape, the per-epoch history and the wall time. */
public record TrainReport(
    String model,
    int factors,
    int users,
    int items,
    long trainRows,
    long validRows,
    int epochs,
    int bestEpoch,
    double trainSeconds,
    double finalTrainLoss,
    double finalValidRmse,
    List<EpochStats> history,
    double seconds) {}
