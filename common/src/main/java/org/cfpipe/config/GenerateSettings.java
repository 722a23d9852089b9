package org.cfpipe.config;

import com.typesafe.config.Config;
import java.io.Serializable;

/** The synthetic ratings of the generate job ({@code cfpipe.generate}). */
public record GenerateSettings(
    int users,
    int items,
    long ratings,
    int rank,
    double noise,
    double userExponent,
    double itemExponent,
    double mean,
    long seed,
    int ratingsPerPartition) implements Serializable {

  public static GenerateSettings from(Config config) {
    String p = "cfpipe.generate.";
    return new GenerateSettings(
        Checks.intIn(config, p + "users", 1, Integer.MAX_VALUE),
        Checks.intIn(config, p + "items", 1, Integer.MAX_VALUE),
        Math.round(Checks.doubleIn(config, p + "ratings", 1, 1e12)),
        Checks.intIn(config, p + "rank", 1, 1024),
        Checks.doubleIn(config, p + "noise", 0, 100),
        Checks.doubleIn(config, p + "user-exponent", 0, 10),
        Checks.doubleIn(config, p + "item-exponent", 0, 10),
        Checks.doubleIn(config, p + "mean", -1e6, 1e6),
        Checks.anyLong(config, p + "seed"),
        Checks.intIn(config, p + "ratings-per-partition", 1, 100_000_000));
  }
}
