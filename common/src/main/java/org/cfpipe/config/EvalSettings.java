package org.cfpipe.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValueType;
import java.io.Serializable;
import java.util.List;

/**
 * Ranking metrics on the validation ratings ({@code cfpipe.eval}).
 *
 * @param k the cutoffs of the ranking metrics, ascending: each user's ranked list is as long as
 *     the last; empty computes no ranking metrics
 * @param relevantRating a validation rating at least this high marks a relevant item; null
 *     takes the rating scale's {@link RatingScale#relevantRating}
 * @param rankingUsers the ranking metrics' seeded sample of the users with a relevant item; 0
 *     takes them all
 * @param rankingSeed the seed of that sample
 * @param implicitAls the peer: implicit-feedback Spark MLlib ALS tuned on the training ratings
 */
public record EvalSettings(List<Integer> k, Double relevantRating, int rankingUsers,
    long rankingSeed, ImplicitAls implicitAls) implements Serializable {

  /** reference.conf's peer: off, with its grid. */
  static final ImplicitAls NO_PEER = new ImplicitAls(false, List.of(16, 32, 64),
      List.of(0.01, 0.1, 1.0), List.of(0.1, 0.3, 1.0, 5.0), 10);

  /** The defaults of reference.conf, for callers without a configuration. */
  public static final EvalSettings DEFAULT = new EvalSettings(List.of(10, 20), null, 10_000, 42);

  /** Without the peer. */
  public EvalSettings(List<Integer> k, Double relevantRating, int rankingUsers,
      long rankingSeed) {
    this(k, relevantRating, rankingUsers, rankingSeed, NO_PEER);
  }

  /**
   * Implicit-feedback Spark MLlib ALS ({@code cfpipe.eval.implicit-als}), its grid searched on a
   * holdout of the training ratings, listed beside the run's models.
   *
   * @param enabled whether the evaluate stage trains it
   * @param ranks the grid's ranks
   * @param regParams the grid's regParam values
   * @param alphas the grid's alpha values
   * @param iterations ALS's maxIter for every fit
   */
  public record ImplicitAls(boolean enabled, List<Integer> ranks, List<Double> regParams,
      List<Double> alphas, int iterations) implements Serializable {

    public ImplicitAls {
      ranks = List.copyOf(ranks);
      regParams = List.copyOf(regParams);
      alphas = List.copyOf(alphas);
    }

    /** The grid's size. */
    public int points() {
      return ranks.size() * regParams.size() * alphas.size();
    }
  }

  public EvalSettings {
    k = List.copyOf(k);
    for (int i = 0; i < k.size(); i++) {
      if (k.get(i) < 1 || (i > 0 && k.get(i) <= k.get(i - 1))) {
        throw new IllegalArgumentException("ranking cutoffs must be ascending and at least 1: "
            + k);
      }
    }
  }

  /** Whether any ranking metric is asked for. */
  public boolean ranks() {
    return !k.isEmpty();
  }

  /** The length of each user's ranked list: the largest cutoff. */
  public int longest() {
    return k.get(k.size() - 1);
  }

  /** The relevance threshold for ratings on {@code scale}. */
  public double relevantRating(RatingScale scale) {
    return relevantRating != null ? relevantRating : scale.relevantRating();
  }

  public static EvalSettings from(Config config) {
    var relevant = Checks.optionalDoubleIn(config, "cfpipe.eval.relevant-rating", -1e9, 1e9);
    return new EvalSettings(cutoffs(config, "cfpipe.eval.k"),
        relevant.isPresent() ? relevant.getAsDouble() : null,
        Checks.intIn(config, "cfpipe.eval.ranking-users", 0, Integer.MAX_VALUE),
        config.getLong("cfpipe.eval.ranking-seed"), implicitAls(config));
  }

  private static ImplicitAls implicitAls(Config config) {
    String p = "cfpipe.eval.implicit-als.";
    List<Integer> ranks;
    List<Double> regParams;
    List<Double> alphas;
    try {
      ranks = config.getIntList(p + "ranks");
      regParams = config.getDoubleList(p + "reg-params");
      alphas = config.getDoubleList(p + "alphas");
    } catch (ConfigException e) {
      throw new SettingsException(p + "ranks, reg-params and alphas must be lists of numbers: "
          + e.getMessage(), e);
    }
    if (ranks.isEmpty() || regParams.isEmpty() || alphas.isEmpty()
        || ranks.stream().anyMatch(r -> r < 1 || r > 1024)
        || regParams.stream().anyMatch(r -> r < 0) || alphas.stream().anyMatch(a -> a < 0)) {
      throw new SettingsException(p + "ranks (1 to 1024), reg-params and alphas (at least 0) "
          + "must each hold a value: got " + ranks + ", " + regParams + ", " + alphas);
    }
    return new ImplicitAls(Checks.bool(config, p + "enabled"), ranks, regParams, alphas,
        Checks.intIn(config, p + "iterations", 1, 1000));
  }

  /** One cutoff or a list of them, each in [1, 1000], sorted; a single 0 is none. */
  private static List<Integer> cutoffs(Config config, String key) {
    if (config.getValue(key).valueType() != ConfigValueType.LIST) {
      int single = Checks.intIn(config, key, 0, 1000);
      return single == 0 ? List.of() : List.of(single);
    }
    List<Integer> values;
    try {
      values = config.getIntList(key);
    } catch (ConfigException e) {
      throw new SettingsException(key + " must be a number or a list of numbers: "
          + e.getMessage(), e);
    }
    for (int cutoff : values) {
      if (cutoff < 1 || cutoff > 1000) {
        throw new SettingsException(key + " must hold cutoffs in [1, 1000], got " + values);
      }
    }
    return values.stream().distinct().sorted().toList();
  }
}
