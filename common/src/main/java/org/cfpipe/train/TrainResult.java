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
 * @param chainState the gibbs engine's last chain state (parameters, hyperparameters, noise), from
 *     which the next night's chain continues with a warm start; null from the other engines
 */
public record TrainResult<M extends RatingModel>(M model, List<EpochStats> history, int bestEpoch,
    double seconds, byte[] network, byte[] chainState) {

  public TrainResult(M model, List<EpochStats> history, int bestEpoch, double seconds) {
    this(model, history, bestEpoch, seconds, null, null);
  }

  public TrainResult(M model, List<EpochStats> history, int bestEpoch, double seconds,
      byte[] network) {
    this(model, history, bestEpoch, seconds, network, null);
  }

  public EpochStats last() {
    return history.get(history.size() - 1);
  }

  /** The statistics of the epoch whose parameters the model holds. */
  public EpochStats best() {
    return history.get(bestEpoch - 1);
  }
}
