package org.cfpipe.config;

import com.typesafe.config.Config;
import java.io.Serializable;

/**
 * Ranking metrics on the validation ratings ({@code cfpipe.eval}).
 *
 * @param k the length of each user's ranked list; 0 computes no ranking metrics
 * @param relevantRating a validation rating at least this high marks a relevant item; null
 *     takes the rating scale's {@link RatingScale#relevantRating}
 * @param rankingUsers the ranking metrics' seeded sample of the users with a relevant item; 0
 *     takes them all
 * @param rankingSeed the seed of that sample
 */
public record EvalSettings(int k, Double relevantRating, int rankingUsers, long rankingSeed)
    implements Serializable {

  /** The defaults of reference.conf, for callers without a configuration. */
  public static final EvalSettings DEFAULT = new EvalSettings(10, null, 10_000, 42);

  /** The relevance threshold for ratings on {@code scale}. */
  public double relevantRating(RatingScale scale) {
    return relevantRating != null ? relevantRating : scale.relevantRating();
  }

  public static EvalSettings from(Config config) {
    var relevant = Checks.optionalDoubleIn(config, "cfpipe.eval.relevant-rating", -1e9, 1e9);
    return new EvalSettings(Checks.intIn(config, "cfpipe.eval.k", 0, 1000),
        relevant.isPresent() ? relevant.getAsDouble() : null,
        Checks.intIn(config, "cfpipe.eval.ranking-users", 0, Integer.MAX_VALUE),
        config.getLong("cfpipe.eval.ranking-seed"));
  }
}
