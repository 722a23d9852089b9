package org.cfpipe.config;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.Optional;

/**
 * The shape of the model to learn ({@code cfpipe.model}). The y-range may depend on the data
 * (its bounds from the training ratings' scale) and on the engine (auto turns it off for the
 * gibbs engine's linear model): {@link #forData} resolves it before training.
 *
 * @param outputRange the sigmoid y-range, null when disabled or not yet resolved (see
 *     {@link #yRange()})
 * @param requested what the settings asked for, before the data was seen
 */
public record ModelSettings(
    Type type, int factors, Range outputRange, double initRange, boolean globalMean,
    Neural neural, YRangeRequest requested) implements Serializable {

  /** Whether the y-range is on: auto is on for the sparse and dl4j engines, off for gibbs. */
  public enum Toggle {
    AUTO,
    TRUE,
    FALSE
  }

  /**
   * The y-range as set ({@code cfpipe.model.y-range}).
   *
   * @param range the explicit bounds, null to take them from the data's scale
   * @param resolved whether {@link ModelSettings#outputRange} is final
   */
  public record YRangeRequest(Toggle enabled, Range range, boolean resolved)
      implements Serializable {}

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
    if (!requested.resolved()) {
      throw new IllegalStateException("the y-range depends on the data (cfpipe.model.y-range): "
          + "resolve it with ModelSettings.forData before training");
    }
    return Optional.ofNullable(outputRange);
  }

  /** The same settings with a fixed y-range (null: none), for callers that know it. */
  public ModelSettings withYRange(Range range) {
    return new ModelSettings(type, factors, range, initRange, globalMean, neural,
        new YRangeRequest(range == null ? Toggle.FALSE : Toggle.TRUE, range, true));
  }

  /**
   * The y-range resolved for the training ratings' scale and the engine: auto is off for the
   * gibbs engine; bounds not set are the scale's {@link RatingScale#yRange}; set bounds that do
   * not cover the observed ratings are an error naming both, as the sigmoid would clip them.
   */
  public ModelSettings forData(RatingScale scale, TrainSettings.Engine engine) {
    boolean on = switch (requested.enabled()) {
      case TRUE -> true;
      case FALSE -> false;
      case AUTO -> engine != TrainSettings.Engine.GIBBS;
    };
    if (on && engine == TrainSettings.Engine.GIBBS) {
      throw new SettingsException("cfpipe.train.engine = gibbs samples a linear model: set "
          + "cfpipe.model.y-range.enabled to auto or false");
    }
    Range range = null;
    if (on) {
      range = requested.range() != null ? requested.range() : scale.yRange();
      if (!(range.min() < scale.min() && scale.max() < range.max())) {
        throw new SettingsException("cfpipe.model.y-range (" + range.min() + ", " + range.max()
            + ") does not cover the training ratings " + scale + ": a sigmoid within those "
            + "bounds cannot reach them. Widen cfpipe.model.y-range.min/max, or set them to "
            + "null to take them from the data");
      }
    }
    return new ModelSettings(type, factors, range, initRange, globalMean, neural,
        new YRangeRequest(requested.enabled(), requested.range(), true));
  }

  public ModelSettings {
    if (globalMean && !type.hasBiases()) {
      throw new SettingsException("cfpipe.model.global-mean needs cfpipe.model.type = dot-bias");
    }
  }

  public static ModelSettings from(Config config) {
    Toggle enabled = Checks.oneOf(config, "cfpipe.model.y-range.enabled", Toggle.class);
    var min = Checks.optionalDoubleIn(config, "cfpipe.model.y-range.min", -1e9, 1e9);
    var max = Checks.optionalDoubleIn(config, "cfpipe.model.y-range.max", -1e9, 1e9);
    if (min.isPresent() != max.isPresent()) {
      throw new SettingsException("cfpipe.model.y-range.min and max are set together, or both "
          + "null to take them from the data");
    }
    Range explicit = min.isPresent() ? new Range(min.getAsDouble(), max.getAsDouble()) : null;
    // Known before the data only when off, or on with both bounds set.
    boolean resolved = enabled == Toggle.FALSE || (enabled == Toggle.TRUE && explicit != null);
    return new ModelSettings(
        Checks.oneOf(config, "cfpipe.model.type", Type.class),
        Checks.intIn(config, "cfpipe.model.factors", 1, 4096),
        enabled == Toggle.FALSE ? null : explicit,
        Checks.doubleIn(config, "cfpipe.model.init-range", 0.0, 10.0),
        Checks.bool(config, "cfpipe.model.global-mean"),
        neural(config, Checks.intIn(config, "cfpipe.model.factors", 1, 4096)),
        new YRangeRequest(enabled, explicit, resolved));
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
