package org.cfpipe.train;

import java.util.List;
import org.cfpipe.model.RatingModel;

/**
 * A trained model with its per-epoch history and the wall time of training.
 *
 * @param bestEpoch the epoch whose parameters the model holds (the last one run, unless early
 *     stopping kept an earlier one)
 * @param network the dl4j engine's network with those parameters, as DL4J's ModelSerializer
 *     writes it (without the updater state); null from the sparse engine
 */
public record TrainResult<M extends RatingModel>(M model, List<EpochStats> history, int bestEpoch,
    double seconds, byte[] network) {

  public TrainResult(M model, List<EpochStats> history, int bestEpoch, double seconds) {
    this(model, history, bestEpoch, seconds, null);
  }

  public EpochStats last() {
    return history.get(history.size() - 1);
  }

  /** The statistics of the epoch whose parameters the model holds. */
  public EpochStats best() {
    return history.get(bestEpoch - 1);
  }
}
