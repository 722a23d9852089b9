package org.cfpipe.config;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.Optional;

/**
 * The shape of the model to learn ({@code cfpipe.model}).
 *
 * @param outputRange the sigmoid y-range, null when disabled (see {@link #yRange()})
 */
public record ModelSettings(
    Type type, int factors, Range outputRange, double initRange, boolean globalMean,
    Neural neural) implements Serializable {

  /** Model families. */
  public enum Type {
    /** u.v, optionally through a sigmoid y-range. */
    DOT,
    /** u.v + b_u + b_i, optionally through a sigmoid y-range. */
    DOT_BIAS,
    /** concat(u, v) -> dropout -> dense(hidden, relu) -> dropout -> dense(1), optionally through
     *  a sigmoid y-range; trained by the dl4j engine. */
    NEURAL;

    public boolean hasBiases() {
      return this == DOT_BIAS;
    }

    public String spelling() {
      return Checks.spelling(this);
    }
  }

  /** The sigmoid output range [min, max] of fastai's y_range. */
  public record Range(double min, double max) implements Serializable {
    public Range {
      if (!(min < max)) {
        throw new SettingsException("cfpipe.model.y-range.min (" + min
            + ") must be below cfpipe.model.y-range.max (" + max + ")");
      }
    }
  }

  /**
   * The neural model's layers ({@code cfpipe.model.neural}).
   *
   * @param userFactors width of the user embedding
   * @param itemFactors width of the item embedding
   * @param embeddingDropout probability of dropping each value of concat(u, v) while training
   * @param hiddenDropout probability of dropping each hidden unit while training
   */
  public record Neural(int userFactors, int itemFactors, int hidden, double embeddingDropout,
      double hiddenDropout) implements Serializable {}

  /** The sigmoid y-range; empty when it is disabled. */
  public Optional<Range> yRange() {
    return Optional.ofNullable(outputRange);
  }

  public ModelSettings {
    if (globalMean && !type.hasBiases()) {
      throw new SettingsException("cfpipe.model.global-mean needs cfpipe.model.type = dot-bias");
    }
  }

  public static ModelSettings from(Config config) {
    Range yRange = Checks.bool(config, "cfpipe.model.y-range.enabled")
        ? new Range(
            Checks.doubleIn(config, "cfpipe.model.y-range.min", -1e9, 1e9),
            Checks.doubleIn(config, "cfpipe.model.y-range.max", -1e9, 1e9))
        : null;
    return new ModelSettings(
        Checks.oneOf(config, "cfpipe.model.type", Type.class),
        Checks.intIn(config, "cfpipe.model.factors", 1, 4096),
        yRange,
        Checks.doubleIn(config, "cfpipe.model.init-range", 0.0, 10.0),
        Checks.bool(config, "cfpipe.model.global-mean"),
        neural(config, Checks.intIn(config, "cfpipe.model.factors", 1, 4096)));
  }

  private static Neural neural(Config config, int factors) {
    String p = "cfpipe.model.neural.";
    int users = Checks.intIn(config, p + "user-factors", 0, 4096);
    int items = Checks.intIn(config, p + "item-factors", 0, 4096);
    return new Neural(users == 0 ? factors : users, items == 0 ? factors : items,
        Checks.intIn(config, p + "hidden", 1, 65_536),
        Checks.doubleIn(config, p + "embedding-dropout", 0.0, 0.99),
        Checks.doubleIn(config, p + "hidden-dropout", 0.0, 0.99));
  }
}
