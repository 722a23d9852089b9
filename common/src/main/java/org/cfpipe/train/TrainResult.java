package org.cfpipe.train;

import java.util.List;
import org.cfpipe.model.RatingModel;

/**
 * A trained model with its per-epoch history and the wall time of training.
 *
 * @param bestEpoch the epoch whose parameters the model holds (the last one run, unless early
 *     stopping kept an earlier one)
 */
public record TrainResult<M extends RatingModel>(M model, List<EpochStats> history, int bestEpoch,
    double seconds) {

  public EpochStats last() {
    return history.get(history.size() - 1);
  }

  /** The statistics of the epoch whose parameters the model holds. */
  public EpochStats best() {
    return history.get(bestEpoch - 1);
  }
}
