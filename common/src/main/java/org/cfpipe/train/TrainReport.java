package org.cfpipe.train;

import java.util.List;
import org.cfpipe.config.RatingScale;

/**
 * What training did: the model's shape, the per-epoch history, the choices made for the data
 * and the wall time.
 */
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
    Choice choice,
    double seconds) {

  /**
   * What the train stage settled on seeing the data ({@link EngineChoice}).
   *
   * @param gibbsEstimateSeconds the gibbs engine's estimated training time, which auto compares
   *     with the budget
   * @param scale the training ratings' scale, which the y-range follows
   * @param warmStart the run whose model training started from, or why none
   */
  public record Choice(String engine, String reason, double gibbsEstimateSeconds,
      RatingScale scale, WarmStart.Report warmStart) {}
}
