package org.cfpipe.train;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Locale;
import org.cfpipe.config.TrainSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Early stopping on validation RMSE ({@code cfpipe.train.early-stopping}), shared by the
 * engines: it remembers the best epoch, tells the trainer when to keep a copy of the parameters,
 * and when to stop. Disabled, or without validation ratings, it keeps nothing and never stops.
 */
public final class EarlyStopping {
  private static final Logger LOG = LoggerFactory.getLogger(EarlyStopping.class);

  private final TrainSettings.EarlyStopping settings;
  private int bestEpoch;
  private double bestRmse = Double.POSITIVE_INFINITY;
  private boolean kept;

  public EarlyStopping(TrainSettings.EarlyStopping settings) {
    this.settings = settings;
  }

  /** Records an epoch; true when its parameters are the best so far and must be kept. */
  public boolean keep(EpochStats stats) {
    if (!settings.enabled() || Double.isNaN(stats.validRmse())) {
      bestEpoch = stats.epoch();
      return false;
    }
    if (stats.validRmse() >= bestRmse) {
      return false;
    }
    bestRmse = stats.validRmse();
    bestEpoch = stats.epoch();
    kept = true;
    return true;
  }

  /** Whether training stops after {@code epoch}: no improvement for {@code patience} epochs. */
  public boolean stop(int epoch) {
    if (!kept || epoch - bestEpoch < settings.patience()) {
      return false;
    }
    LOG.info("early stopping after epoch {}: validation RMSE has not improved since epoch {} "
        + "({})", epoch, bestEpoch, String.format(Locale.ROOT, "%.4f", bestRmse));
    return true;
  }

  /** Whether some epoch's parameters were kept, to be restored at the end. */
  public boolean kept() {
    return kept;
  }

  /** The epoch whose parameters the trained model holds, after {@code epochs} epochs. */
  public int bestEpoch(int epochs) {
    return kept ? bestEpoch : epochs;
  }

  /** Writes the state into a checkpoint. */
  public void write(DataOutputStream out) throws IOException {
    out.writeInt(bestEpoch);
    out.writeDouble(bestRmse);
    out.writeBoolean(kept);
  }

  /** Reads the state back from a checkpoint. */
  public void read(DataInputStream in) throws IOException {
    bestEpoch = in.readInt();
    bestRmse = in.readDouble();
    kept = in.readBoolean();
  }
}
