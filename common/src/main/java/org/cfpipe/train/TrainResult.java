package org.cfpipe.train;

import java.util.List;
import org.cfpipe.model.DotBiasModel;

/** A trained model with its per-epoch history and the wall time of training. */
public record TrainResult(DotBiasModel model, List<EpochStats> history, double seconds) {

  public EpochStats last() {
    return history.get(history.size() - 1);
  }
}
