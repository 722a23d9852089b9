package org.cfpipe.config;

import com.typesafe.config.Config;
import java.io.Serializable;

/**
 * The synthetic ratings of the generate job ({@code cfpipe.generate}).
 *
 * @param scale the scale the ratings are rounded and clamped to
 * @param mean the rating a user and item of zero planted score get
 */
public record GenerateSettings(
    int users,
    int items,
    long ratings,
    int rank,
    double noise,
    double userExponent,
    double itemExponent,
    RatingScale scale,
    double mean,
    long seed,
    int ratingsPerPartition) implements Serializable {

  /** How far the planted score stretches on this scale: (max - min) / 4.5, 1 on 0.5-5. */
  public double spread() {
    return (scale.max() - scale.min()) / 4.5;
  }

  public static GenerateSettings from(Config config) {
    String p = "cfpipe.generate.";
    double min = Checks.doubleIn(config, p + "scale.min", -1e6, 1e6);
    double max = Checks.doubleIn(config, p + "scale.max", -1e6, 1e6);
    if (!(min < max)) {
      throw new SettingsException(p + "scale.min (" + min + ") must be below " + p
          + "scale.max (" + max + ")");
    }
    RatingScale scale = new RatingScale(min, max, Checks.doubleIn(config, p + "scale.step", 0,
        max - min));
    double mean = Checks.optionalDoubleIn(config, p + "mean", -1e6, 1e6)
        .orElse(min + 2 * (max - min) / 3);
    return new GenerateSettings(
        Checks.intIn(config, p + "users", 1, Integer.MAX_VALUE),
        Checks.intIn(config, p + "items", 1, Integer.MAX_VALUE),
        Math.round(Checks.doubleIn(config, p + "ratings", 1, 1e12)),
        Checks.intIn(config, p + "rank", 1, 1024),
        Checks.doubleIn(config, p + "noise", 0, 100),
        Checks.doubleIn(config, p + "user-exponent", 0, 10),
        Checks.doubleIn(config, p + "item-exponent", 0, 10),
        scale,
        mean,
        Checks.anyLong(config, p + "seed"),
        Checks.intIn(config, p + "ratings-per-partition", 1, 100_000_000));
  }
}
