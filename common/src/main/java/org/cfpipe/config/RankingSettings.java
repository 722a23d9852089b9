package org.cfpipe.config;

import com.typesafe.config.Config;
import java.io.Serializable;

/**
 * The top-N model ({@code cfpipe.ranking}): implicit-feedback ALS with graded preferences,
 * trained from the same ratings as the rating model, for the ranked lists (issue 19).
 *
 * @param enabled whether a run trains it (beside the rating model, which keeps RMSE)
 * @param mostRated whether the top-N lists are simply the most-rated items a user has not
 *     rated (no fit, no tuning); else implicit ALS, tuned or not
 * @param factors the length of each user's and item's vector
 * @param regularization lambda: each row's penalty is lambda times its squared norm, times its
 *     count of ratings when {@code countScaled}
 * @param countScaled whether the penalty grows with the row's count of ratings (Zhou et al.'s
 *     weighting, as Spark MLlib's ALS), which holds popular items back; else it is the same for
 *     every row (Hu et al.'s), which leaves the lists free to lean to popular items
 * @param alpha a rating's confidence is 1 + alpha times its preference
 * @param iterations alternations: every user row solved given the items, then every item row
 *     given the users
 * @param cgSteps each row's system solved by this many steps of the conjugate gradient method,
 *     from the row's last value (Takacs, Pilaszy and Tikk 2011); 0: solved exactly (Cholesky)
 * @param graded a rating's preference grows with the rating ({@link #preference}); else it is 1
 *     for every rating (Hu, Koren and Volinsky's binary preference)
 * @param seed the seed of the items' starting vectors
 * @param threads rows solved at once; 0 takes every core
 * @param tune whether the train stage chooses factors, regularization (both weightings), alpha
 *     and the most-rated items among them on a holdout of the training ratings, starting from
 *     these settings ({@code org.cfpipe.train.implicit.ImplicitTuning}); else it trains these
 * @param tuningMaxRatings above this many training ratings the tuning fits its candidates on
 *     the ratings of a seeded sample of the users, about this many of them (its fits grow with
 *     the data), logged and recorded; 0: on all of them
 * @param tuningUsers the holdout's lists are scored for a seeded sample of this many users (0:
 *     every user with a relevant held-out rating)
 * @param budgetMinutes the tuning tries more factors only while the chosen model's fit on all
 *     the training ratings is estimated within this many minutes (0: no bound)
 * @param reuseTuningDays a night whose id maps extend an earlier night's run trains that run's
 *     tuned choice again, without tuning, when it was tuned at most this many days before
 *     (0: every night tunes)
 */
public record RankingSettings(boolean enabled, boolean mostRated, int factors,
    double regularization, boolean countScaled, double alpha, int iterations, int cgSteps,
    boolean graded, long seed, int threads, boolean tune, long tuningMaxRatings,
    int tuningUsers, double budgetMinutes, int reuseTuningDays) implements Serializable {

  /** These settings with another model: factors, regularization, its weighting and alpha. */
  public RankingSettings with(int factors, double regularization, boolean countScaled,
      double alpha) {
    return new RankingSettings(enabled, mostRated, factors, regularization, countScaled, alpha,
        iterations, cgSteps, graded, seed, threads, tune, tuningMaxRatings, tuningUsers,
        budgetMinutes, reuseTuningDays);
  }

  /** These settings with another model, its weighting by name ({@link #weightingName}). */
  public RankingSettings with(int factors, double regularization, String weighting,
      double alpha) {
    return with(factors, regularization, "count".equals(weighting), alpha);
  }

  /** These settings with another cap on the ratings the tuning fits on. */
  public RankingSettings withTuningMaxRatings(long cap) {
    return new RankingSettings(enabled, mostRated, factors, regularization, countScaled, alpha,
        iterations, cgSteps, graded, seed, threads, tune, cap, tuningUsers, budgetMinutes,
        reuseTuningDays);
  }

  /** The spelling of the regularization's weighting, for reports. */
  public String weightingName() {
    return countScaled ? "count" : "constant";
  }

  /** The model, for logs and reasons: "implicit ALS, k factors, regularization ... (its
   *  weighting), alpha ...". */
  public String describe() {
    return describe(factors, regularization, weightingName(), alpha);
  }

  /** An implicit ALS model's settings in the words of {@link #describe()}. */
  public static String describe(int factors, double regularization, String weighting,
      double alpha) {
    return String.format(java.util.Locale.ROOT, "implicit ALS, %d factors, regularization %s "
        + "(%s), alpha %s", factors, regularization, weighting, alpha);
  }

  /** The spelling of the preference setting, for reports. */
  public String preferenceName() {
    return graded ? "graded" : "binary";
  }

  /**
   * The preference of rating {@code rating} on {@code scale}: with {@code graded}, its place on
   * the scale counted from one step below the lowest rating, (r - min + step) / (max - min +
   * step), in (0, 1]: r / 5 on 0.5-5 half stars and 1-5 stars, (r + 1) / 11 on 0-10 (ratings
   * on no step: a tenth of the range below the lowest); else 1.
   */
  public double preference(double rating, RatingScale scale) {
    if (!graded) {
      return 1.0;
    }
    double span = scale.max() - scale.min();
    double below = scale.step() > 0 ? scale.step() : span > 0 ? span / 10 : 1.0;
    return (rating - scale.min() + below) / (span + below);
  }

  public static RankingSettings from(Config config) {
    String p = "cfpipe.ranking.";
    return new RankingSettings(
        Checks.bool(config, p + "enabled"),
        Checks.oneOf(config, p + "model", Model.class) == Model.MOST_RATED,
        Checks.intIn(config, p + "factors", 1, 1024),
        Checks.doubleIn(config, p + "regularization", 0.0, 1e6),
        Checks.oneOf(config, p + "regularization-weight", Weighting.class) == Weighting.COUNT,
        Checks.doubleIn(config, p + "alpha", 0.0, 1e6),
        Checks.intIn(config, p + "iterations", 1, 10_000),
        Checks.intIn(config, p + "cg-steps", 0, 1024),
        Checks.oneOf(config, p + "preference", Preference.class) == Preference.GRADED,
        config.getLong(p + "seed"),
        Checks.intIn(config, p + "threads", 0, 1024),
        Checks.bool(config, p + "tune"),
        config.getLong(p + "tuning-max-ratings"),
        Checks.intIn(config, p + "tuning-users", 0, Integer.MAX_VALUE),
        Checks.doubleIn(config, p + "budget", 0.0, 1e6),
        Checks.intIn(config, p + "reuse-tuning-days", 0, 100_000));
  }

  /** Values of {@code cfpipe.ranking.model}. */
  enum Model {
    IMPLICIT,
    MOST_RATED
  }

  /** Values of {@code cfpipe.ranking.regularization-weight}. */
  enum Weighting {
    COUNT,
    CONSTANT
  }

  /** Values of {@code cfpipe.ranking.preference}. */
  enum Preference {
    GRADED,
    BINARY
  }
}
