package org.cfpipe.config;

import com.typesafe.config.Config;
import java.io.Serializable;

/**
 * Ranking metrics on the validation ratings ({@code cfpipe.eval}).
 *
 * @param k the length of each user's ranked list; 0 computes no ranking metrics
 * @param relevantRating a validation rating at least this high marks a relevant item
 */
public record EvalSettings(int k, double relevantRating) implements Serializable {

  /** The defaults of reference.conf, for callers without a configuration. */
  public static final EvalSettings DEFAULT = new EvalSettings(10, 4.0);

  public static EvalSettings from(Config config) {
    return new EvalSettings(Checks.intIn(config, "cfpipe.eval.k", 0, 1000),
        Checks.doubleIn(config, "cfpipe.eval.relevant-rating", -1e9, 1e9));
  }
}
