package org.cfpipe.train.implicit;

import dev.ludovic.netlib.blas.BLAS;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import org.cfpipe.config.RankingSettings;
import org.cfpipe.config.RatingScale;
import org.cfpipe.model.FactorModel;
import org.cfpipe.train.TrainingSet;
import org.cfpipe.train.Workers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the top-N model on a holdout of the training ratings, as a user tunes Spark's implicit
 * ALS on a grid, but by a deterministic walk rather than a grid. A fifth of the ratings, by a
 * seeded hash of (user, item), are held out; each candidate is fitted on the rest and lists, for
 * a seeded sample of the users with a relevant held-out rating, his top {@value #K} of the items
 * with fitted ratings that he has not rated, scored by NDCG@{@value #K} against his relevant
 * held-out items (the evaluate stage's protocol and MLlib RankingMetrics' definitions).
 *
 * <p>The walk starts from the settings given. Regularization first, for each weighting (the
 * other one starting {@value #WEIGHTING_RATIO}x higher or lower, to match a row's count): up
 * the ladder 0.1, 0.3, 1, 3, ... while the NDCG rises, else down it while it rises. Then
 * alpha, on the same ladder, and factors, by 2x, alike from the best so far. The most-rated
 * items (not yet rated by the user) are a candidate too, chosen only if they beat every fitted
 * model. The data decide: on MovieLens the lists personalise, on ratings where which items a
 * user rates says little of taste they lean to the most-rated items (docs/benchmarks/top-n.md).
 */
public final class ImplicitTuning {
  private static final Logger LOG = LoggerFactory.getLogger(ImplicitTuning.class);
  /** Users whose lists are scored at once: one pass over the item rows for all of them. */
  private static final int CHUNK_USERS = 64;
  /** The list length the candidates are scored at. */
  public static final int K = 10;
  /** One rating in this many is held out. */
  static final int HOLDOUT = 5;
  /** The other weighting's regularization starts this many times the given one's (count-scaled
   *  penalties multiply by a row's count, so the constant one starts higher). */
  static final double WEIGHTING_RATIO = 100;
  static final int REGULARIZATION_STEPS = 6;
  static final int ALPHA_STEPS = 3;
  static final int FACTOR_STEPS = 2;
  /** A core's nanoseconds to add one rating to a row's system at k = 32, the exact solve
   *  ({@link #fitSeconds}). */
  static final double RATING_NANOS = 300;
  /** A core's nanoseconds a multiplication of the conjugate gradient solve
   *  ({@link #fitSeconds}). */
  static final double CG_MULTIPLY_NANOS = 0.2;
  /** The type of the most-rated candidate, in reports and model.json. */
  public static final String MOST_RATED = "most-rated";
  public static final String IMPLICIT = "implicit";

  /**
   * One candidate and its held-out scores.
   *
   * @param model {@value #IMPLICIT} or {@value #MOST_RATED}
   * @param weighting count or constant; null for the most-rated items
   * @param ndcg mean NDCG@{@value #K} over the scored users
   * @param precision mean precision@{@value #K}
   * @param seconds fitting and scoring
   */
  public record Candidate(String model, int factors, double regularization, String weighting,
      double alpha, double ndcg, double precision, double seconds) {

    boolean mostRated() {
      return MOST_RATED.equals(model);
    }

    /** {@code start} with this candidate's factors, regularization, weighting and alpha. */
    RankingSettings settings(RankingSettings start) {
      return start.with(factors, regularization, weighting, alpha);
    }

    String describe() {
      return mostRated() ? MOST_RATED
          : RankingSettings.describe(factors, regularization, weighting, alpha);
    }
  }

  /**
   * The walk: every candidate in the order tried, and the chosen one.
   *
   * @param fitRatings the ratings the candidates were fitted on
   * @param heldRatings the held-out ratings
   * @param eligibleUsers users with a relevant held-out rating and a fitted one
   * @param scoredUsers the seeded sample of them whose lists were scored
   * @param relevantRating a held-out rating at least this high is relevant
   * @param sampleUsers the users whose ratings the tuning used: all the users with training
   *     ratings, or above {@code cfpipe.ranking.tuning-max-ratings} a seeded sample of them
   * @param ratedUsers the users with training ratings
   */
  public record Result(Candidate chosen, List<Candidate> tried, int fitRatings, int heldRatings,
      int eligibleUsers, int scoredUsers, double relevantRating, int sampleUsers,
      int ratedUsers, double seconds) {

    /** The settings of the chosen model ({@code start}'s for the most-rated items). */
    public RankingSettings settings(RankingSettings start) {
      return chosen.mostRated() ? start : chosen.settings(start);
    }

    /** Whether the most-rated items were chosen. */
    public boolean mostRated() {
      return chosen.mostRated();
    }
  }

  /**
   * The top-N model on all {@code ratings}: the most-rated items' ({@link #mostRatedModel}) when
   * {@code settings} ask for them or the tuning chose them, else implicit ALS with the tuning's
   * choice, or with {@code settings} as given when {@code tuning} is null (not tuned).
   */
  public static FactorModel train(RankingSettings settings, Result tuning, RatingScale scale,
      TrainingSet ratings, int users, int items) {
    return train(tuning != null ? tuning.settings(settings) : settings,
        settings.mostRated() || tuning != null && tuning.mostRated(), scale, ratings, users,
        items);
  }

  /**
   * The top-N model on all {@code ratings}: the most-rated items' with {@code mostRated}, else
   * implicit ALS with {@code chosen}.
   */
  public static FactorModel train(RankingSettings chosen, boolean mostRated, RatingScale scale,
      TrainingSet ratings, int users, int items) {
    return mostRated ? mostRatedModel(ratings, users, items)
        : new ImplicitAls(chosen, scale).train(ratings, users, items);
  }

  private final RankingSettings start;
  private final RatingScale scale;
  private final double relevantRating;

  /**
   * @param start where the walk starts; its seed seeds the holdout and the users' sample
   * @param relevantRating a held-out rating at least this high is relevant (the evaluate
   *     stage's threshold)
   */
  public ImplicitTuning(RankingSettings start, RatingScale scale, double relevantRating) {
    this.start = start;
    this.scale = scale;
    this.relevantRating = relevantRating;
  }

  /**
   * Walks the candidates on the holdout of {@code ratings}, or of a seeded sample of the users'
   * with more than {@code cfpipe.ranking.tuning-max-ratings} of them.
   */
  public Result choose(TrainingSet ratings, int users, int items) {
    long begin = System.nanoTime();
    UserSample sample = UserSample.of(ratings, users, start.tuningMaxRatings(), start.seed());
    if (sample.sampled()) {
      LOG.info(String.format(Locale.ROOT, "top-N tuning on the ratings of a seeded sample of "
              + "the users: %,d of %,d users, %,d of %,d ratings (cfpipe.ranking."
              + "tuning-max-ratings %,d); the items' constant penalties times %.4f, the users' "
              + "share", sample.users(), sample.ratedUsers(), sample.ratings().size(),
          ratings.size(), start.tuningMaxRatings(), sample.share()));
    }
    Holdout holdout = Holdout.of(sample.ratings(), users, items, relevantRating, start.seed(),
        start.tuningUsers());
    LOG.info(String.format(Locale.ROOT, "top-N tuning: %,d ratings fitted, %,d held out; lists "
            + "of %,d of the %,d users with a held-out rating of at least %s scored (NDCG@%d)",
        holdout.fit.size(), sample.ratings().size() - holdout.fit.size(),
        holdout.scored.length, holdout.eligible, relevantRating, K));
    List<Candidate> tried = new ArrayList<>();
    Walk walk = new Walk(holdout, sample.share(), tried);
    Candidate best = null;
    for (boolean countScaled : new boolean[] {start.countScaled(), !start.countScaled()}) {
      double from = countScaled == start.countScaled() ? start.regularization()
          : countScaled ? start.regularization() / WEIGHTING_RATIO
              : start.regularization() * WEIGHTING_RATIO;
      Candidate first = walk.fit(start.with(start.factors(), from, countScaled, start.alpha()));
      Candidate line = walk.along(first, REGULARIZATION_STEPS,
          c -> c.with(c.factors(), ladder(c.regularization(), true), c.countScaled(),
              c.alpha()),
          c -> c.with(c.factors(), ladder(c.regularization(), false), c.countScaled(),
              c.alpha()));
      best = better(best, line);
    }
    best = walk.along(best, ALPHA_STEPS,
        c -> c.with(c.factors(), c.regularization(), c.countScaled(),
            ladder(c.alpha(), true)),
        c -> c.with(c.factors(), c.regularization(), c.countScaled(),
            ladder(c.alpha(), false)));
    best = walk.along(best, FACTOR_STEPS,
        c -> c.factors() * 2 > 256 || !withinBudget(c.factors() * 2, ratings.size()) ? null
            : c.with(c.factors() * 2, c.regularization(), c.countScaled(), c.alpha()),
        c -> c.factors() / 2 < 2 ? null
            : c.with(c.factors() / 2, c.regularization(), c.countScaled(), c.alpha()));
    Candidate popular = walk.mostRated();
    Candidate chosen = popular.ndcg() > best.ndcg() ? popular : best;
    double seconds = (System.nanoTime() - begin) / 1e9;
    LOG.info(String.format(Locale.ROOT, "top-N tuning: chose %s (held-out NDCG@%d %.4f, the "
            + "most-rated items %.4f) of %d candidates in %.1f s", chosen.describe(), K,
        chosen.ndcg(), popular.ndcg(), tried.size(), seconds));
    return new Result(chosen, List.copyOf(tried), holdout.fit.size(),
        sample.ratings().size() - holdout.fit.size(), holdout.eligible, holdout.scored.length,
        relevantRating, sample.users(), sample.ratedUsers(), seconds);
  }

  /**
   * The most-rated items as a factor model, so that every reader of the top-N tables lists
   * alike: one factor, 1 for every user and, for each item, its count of training ratings over
   * the largest count (0 for items without ratings).
   */
  public static FactorModel mostRatedModel(TrainingSet ratings, int users, int items) {
    float[] counts = new float[items];
    for (int i : ratings.items()) {
      counts[i]++;
    }
    float largest = 0;
    for (float c : counts) {
      largest = Math.max(largest, c);
    }
    for (int i = 0; i < items; i++) {
      counts[i] = largest > 0 ? counts[i] / largest : 0;
    }
    float[] ones = new float[users];
    Arrays.fill(ones, 1f);
    return new FactorModel(1, false, users, items, 0.0, Optional.empty(), ones, counts);
  }

  /**
   * The next value above (or below) {@code value} on the ladder 1, 3, 10, 30, ... (and 0.3,
   * 0.1, ...): 0.1 to 0.3, 1.5 to 3, 1.5 down to 1.
   */
  static double ladder(double value, boolean up) {
    int exponent = (int) Math.floor(Math.log10(value)) - 1;
    for (int n = 0; n < 6; n++) {
      int e = up ? exponent + n / 2 : exponent + 2 - n / 2;
      int mantissa = up == (n % 2 == 0) ? 1 : 3;
      double rung = BigDecimal.valueOf(mantissa).scaleByPowerOfTen(e).doubleValue();
      if (up ? rung > value * (1 + 1e-9) : rung < value * (1 - 1e-9)) {
        return rung;
      }
    }
    throw new IllegalStateException("no rung " + (up ? "above " : "below ") + value);
  }

  /**
   * Whether a model of {@code factors} factors, fitted on all {@code ratings} training ratings,
   * is estimated within cfpipe.ranking.budget: {@link #fitSeconds}. Logged when it is not.
   */
  private boolean withinBudget(int factors, int ratings) {
    double estimate = fitSeconds(factors, start.iterations(), start.cgSteps(), ratings,
        threads());
    if (start.budgetMinutes() <= 0 || estimate <= start.budgetMinutes() * 60) {
      return true;
    }
    LOG.info(String.format(Locale.ROOT, "top-N tuning: %d factors not tried: their fit on all "
            + "%,d training ratings is estimated at %.0f s, above cfpipe.ranking.budget (%s "
            + "min)", factors, ratings, estimate, start.budgetMinutes()));
    return false;
  }

  /**
   * The estimated seconds of {@code iterations} iterations of implicit ALS with {@code factors}
   * factors and {@code cgSteps} conjugate gradient steps a row on {@code ratings} ratings in
   * {@code threads} threads. Each iteration takes every rating once on each side. The exact
   * solve ({@code cgSteps} 0) adds it to a k x k system: {@value #RATING_NANOS} ns of a core at
   * k = 32, growing with k squared (18.6M ratings, 10 iterations: 58.1 s on 2 cores,
   * 2026-12-07). The conjugate gradient solve gathers its row, forms its part of the right-hand
   * side and of the first residual and multiplies it twice a step: (7 + 4 steps) k
   * multiplications, {@value #CG_MULTIPLY_NANOS} ns each (the same ratings: 22.5 s at 32
   * factors and 47.6 s at 64, 3 steps, 2026-12-07). Counts, not a clock, so the choice does not
   * depend on how busy the machine is.
   */
  static double fitSeconds(int factors, int iterations, int cgSteps, long ratings,
      int threads) {
    double nanos = cgSteps > 0 ? CG_MULTIPLY_NANOS * (7 + 4 * cgSteps) * factors
        : RATING_NANOS * Math.pow(factors / 32.0, 2);
    return iterations * 2.0 * ratings * nanos / 1e9 / Math.max(1, threads);
  }

  private static Candidate better(Candidate a, Candidate b) {
    return a == null || b.ndcg() > a.ndcg() ? b : a;
  }

  /** The candidates fitted so far, by their settings, and the walk along one setting. */
  private final class Walk {
    private final Holdout holdout;
    private final double userShare;
    private final List<Candidate> tried;
    private final Map<RankingSettings, Candidate> fitted = new HashMap<>();

    Walk(Holdout holdout, double userShare, List<Candidate> tried) {
      this.holdout = holdout;
      this.userShare = userShare;
      this.tried = tried;
    }

    /** From {@code from}, up while the NDCG rises; if the first step up does not, down alike. */
    Candidate along(Candidate from, int steps, UnaryOperator<RankingSettings> up,
        UnaryOperator<RankingSettings> down) {
      for (UnaryOperator<RankingSettings> direction : List.of(up, down)) {
        Candidate here = from;
        for (int step = 0; step < steps; step++) {
          RankingSettings next = direction.apply(here.settings(start));
          if (next == null) {
            break;
          }
          Candidate there = fit(next);
          if (there.ndcg() <= here.ndcg()) {
            break;
          }
          here = there;
        }
        if (here != from) {
          return here;
        }
      }
      return from;
    }

    Candidate fit(RankingSettings settings) {
      Candidate seen = fitted.get(settings);
      if (seen != null) {
        return seen;
      }
      long begin = System.nanoTime();
      FactorModel model = new ImplicitAls(settings, scale, userShare).train(holdout.fit,
          holdout.users, holdout.items);
      int k = model.factors();
      float[] x = model.userRows();
      double[] itemRows = doubles(model.itemRows());
      double[] scores = holdout.score((users, out) -> {
        // The chunk's user rows, k x users column-major; out = Y X^T, items x users: one pass
        // over the item rows for the chunk rather than one a user.
        double[] block = new double[users.length * k];
        for (int j = 0; j < users.length; j++) {
          for (int f = 0; f < k; f++) {
            block[j * k + f] = x[users[j] * k + f];
          }
        }
        BLAS.getInstance().dgemm("T", "N", holdout.items, users.length, k, 1.0, itemRows, k,
            block, k, 0.0, out, holdout.items);
      }, threads());
      Candidate c = new Candidate(IMPLICIT, settings.factors(), settings.regularization(),
          settings.weightingName(), settings.alpha(), scores[0], scores[1],
          (System.nanoTime() - begin) / 1e9);
      fitted.put(settings, c);
      tried.add(c);
      log(c);
      return c;
    }

    Candidate mostRated() {
      long begin = System.nanoTime();
      double[] counts = new double[holdout.items];
      for (int i : holdout.fit.items()) {
        counts[i]++;
      }
      double[] scores = holdout.score((users, out) -> {
        for (int j = 0; j < users.length; j++) {
          System.arraycopy(counts, 0, out, j * counts.length, counts.length);
        }
      }, threads());
      Candidate c = new Candidate(MOST_RATED, 0, 0, null, 0, scores[0], scores[1],
          (System.nanoTime() - begin) / 1e9);
      tried.add(c);
      log(c);
      return c;
    }

    private void log(Candidate c) {
      LOG.info(String.format(Locale.ROOT, "top-N tuning: %s: held-out NDCG@%d %.4f, P@%d %.4f "
          + "(%.1f s)", c.describe(), K, c.ndcg(), K, c.precision(), c.seconds()));
    }
  }

  private int threads() {
    return start.threads() > 0 ? start.threads() : Runtime.getRuntime().availableProcessors();
  }

  /** Fills the score of every item for each of {@code users}: user j's at
   *  {@code out[j * items]} to {@code out[(j + 1) * items - 1]}. */
  interface Scorer {
    void fill(int[] users, double[] out);
  }

  private static double[] doubles(float[] values) {
    double[] out = new double[values.length];
    for (int n = 0; n < values.length; n++) {
      out[n] = values[n];
    }
    return out;
  }

  /**
   * The ratings the tuning uses: all of them, or above {@code maxRatings} those of a seeded
   * sample of the users, each user with ratings kept with probability maxRatings / ratings (a
   * seeded hash of his index), so about maxRatings of them. Whole users, so that each sampled
   * user's lists are scored against his own held-out ratings as on all the data.
   *
   * @param users the sampled users (with ratings)
   * @param ratedUsers all the users with ratings
   */
  record UserSample(TrainingSet ratings, int users, int ratedUsers) {

    boolean sampled() {
      return users < ratedUsers;
    }

    /** The sampled users' share of the users with ratings. */
    double share() {
      return ratedUsers == 0 ? 1.0 : users / (double) ratedUsers;
    }

    static UserSample of(TrainingSet ratings, int users, long maxRatings, long seed) {
      int[] count = new int[users];
      for (int u : ratings.users()) {
        count[u]++;
      }
      int rated = (int) IntStream.of(count).filter(c -> c > 0).count();
      if (maxRatings <= 0 || ratings.size() <= maxRatings) {
        return new UserSample(ratings, rated, rated);
      }
      double probability = maxRatings / (double) ratings.size();
      boolean[] keep = new boolean[users];
      int kept = 0;
      int keptRatings = 0;
      for (int u = 0; u < users; u++) {
        // The top 53 bits of the hash as a uniform number in [0, 1).
        if (count[u] > 0 && (Holdout.mix(seed + 2 + Holdout.mix(u)) >>> 11) * 0x1.0p-53
            < probability) {
          keep[u] = true;
          kept++;
          keptRatings += count[u];
        }
      }
      int[] su = new int[keptRatings];
      int[] si = new int[keptRatings];
      float[] sr = new float[keptRatings];
      for (int r = 0, at = 0; r < ratings.size(); r++) {
        if (keep[ratings.users()[r]]) {
          su[at] = ratings.users()[r];
          si[at] = ratings.items()[r];
          sr[at++] = ratings.ratings()[r];
        }
      }
      return new UserSample(new TrainingSet(su, si, sr), kept, rated);
    }
  }

  /**
   * The split: the fitted ratings, each user's fitted items (left out of his list) and relevant
   * held-out items, and the scored users.
   */
  static final class Holdout {
    final TrainingSet fit;
    final int users;
    final int items;
    final int[] fitStart;
    final int[] fitItems;
    final int[] relevantStart;
    final int[] relevantItems;
    final boolean[] listable;
    final int eligible;
    final int[] scored;

    private Holdout(TrainingSet fit, int users, int items, int[] fitStart, int[] fitItems,
        int[] relevantStart, int[] relevantItems, boolean[] listable, int eligible,
        int[] scored) {
      this.fit = fit;
      this.users = users;
      this.items = items;
      this.fitStart = fitStart;
      this.fitItems = fitItems;
      this.relevantStart = relevantStart;
      this.relevantItems = relevantItems;
      this.listable = listable;
      this.eligible = eligible;
      this.scored = scored;
    }

    /** Whether rating (user, item) is held out: one in {@value #HOLDOUT} by a seeded hash. */
    static boolean held(long seed, int user, int item) {
      return Math.floorMod(mix(seed ^ mix(((long) user << 32) | (item & 0xffffffffL))),
          HOLDOUT) == 0;
    }

    /** MurmurHash3's 64-bit finaliser. */
    static long mix(long z) {
      z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
      z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
      return z ^ (z >>> 33);
    }

    static Holdout of(TrainingSet ratings, int users, int items, double relevantRating,
        long seed, int maxUsers) {
      int n = ratings.size();
      boolean[] isHeld = new boolean[n];
      int heldCount = 0;
      for (int r = 0; r < n; r++) {
        isHeld[r] = held(seed, ratings.users()[r], ratings.items()[r]);
        heldCount += isHeld[r] ? 1 : 0;
      }
      int[] fu = new int[n - heldCount];
      int[] fi = new int[n - heldCount];
      float[] fr = new float[n - heldCount];
      int[] fitStart = new int[users + 1];
      int[] relevantStart = new int[users + 1];
      boolean[] listable = new boolean[items];
      for (int r = 0, at = 0; r < n; r++) {
        int u = ratings.users()[r];
        if (isHeld[r]) {
          relevantStart[u + 1] += ratings.ratings()[r] >= relevantRating ? 1 : 0;
        } else {
          fu[at] = u;
          fi[at] = ratings.items()[r];
          fr[at++] = ratings.ratings()[r];
          fitStart[u + 1]++;
          listable[ratings.items()[r]] = true;
        }
      }
      for (int u = 0; u < users; u++) {
        fitStart[u + 1] += fitStart[u];
        relevantStart[u + 1] += relevantStart[u];
      }
      int[] fitItems = new int[fitStart[users]];
      int[] relevantItems = new int[relevantStart[users]];
      int[] nextFit = Arrays.copyOf(fitStart, users);
      int[] nextRelevant = Arrays.copyOf(relevantStart, users);
      for (int r = 0; r < n; r++) {
        int u = ratings.users()[r];
        int i = ratings.items()[r];
        if (!isHeld[r]) {
          fitItems[nextFit[u]++] = i;
        } else if (ratings.ratings()[r] >= relevantRating && listable[i]) {
          relevantItems[nextRelevant[u]++] = i;
        }
      }
      // Relevant held-out items without a fitted rating cannot be listed (as in the evaluate
      // stage, whose candidates are the items with training ratings): their slots stay -1.
      for (int u = 0; u < users; u++) {
        Arrays.fill(relevantItems, nextRelevant[u], relevantStart[u + 1], -1);
      }
      int[] eligibleUsers = IntStream.range(0, users)
          .filter(u -> fitStart[u + 1] > fitStart[u]
              && relevantStart[u + 1] > relevantStart[u] && relevantItems[relevantStart[u]] >= 0)
          .toArray();
      int[] scored = eligibleUsers;
      if (maxUsers > 0 && eligibleUsers.length > maxUsers) {
        scored = IntStream.of(eligibleUsers).boxed()
            .sorted(Comparator.comparingLong((Integer u) -> mix(seed + 1 + mix(u)))
                .thenComparing(Comparator.naturalOrder()))
            .limit(maxUsers).mapToInt(Integer::intValue).sorted().toArray();
      }
      return new Holdout(new TrainingSet(fu, fi, fr), users, items, fitStart, fitItems,
          relevantStart, relevantItems, listable, eligibleUsers.length, scored);
    }

    /** Mean NDCG@K and precision@K of the scored users' lists by {@code scorer}. */
    double[] score(Scorer scorer, int threads) {
      double[] ndcg = new double[scored.length];
      double[] precision = new double[scored.length];
      // A chunk's scores, one array a thread: items x 64 doubles, 30 MB at 59k items.
      double[][] buffers = new double[threads][];
      try (Workers workers = new Workers(threads)) {
        workers.inChunks(scored.length, CHUNK_USERS, (thread, chunk, from, to) -> {
          int count = to - from;
          if (buffers[thread] == null) {
            buffers[thread] = new double[Math.multiplyExact(CHUNK_USERS, items)];
          }
          double[] scores = buffers[thread];
          int[] top = new int[K];
          scorer.fill(Arrays.copyOfRange(scored, from, to), scores);
          for (int j = 0; j < count; j++) {
            int u = scored[from + j];
            int offset = j * items;
            for (int n = fitStart[u]; n < fitStart[u + 1]; n++) {
              scores[offset + fitItems[n]] = Double.NEGATIVE_INFINITY;
            }
            int listed = topK(scores, offset, listable, top);
            int[] relevant = Arrays.stream(relevantItems, relevantStart[u], relevantStart[u + 1])
                .filter(i -> i >= 0).sorted().toArray();
            double[] m = metrics(top, listed, relevant);
            ndcg[from + j] = m[0];
            precision[from + j] = m[1];
          }
        });
      }
      return new double[] {mean(ndcg), mean(precision)};
    }
  }

  /**
   * The {@code top.length} highest scores among the listable items not set to minus infinity,
   * highest first, ties to the lower index; returns how many there are.
   */
  static int topK(double[] scores, boolean[] listable, int[] top) {
    return topK(scores, 0, listable, top);
  }

  /** {@link #topK(double[], boolean[], int[])} of the item scores at {@code scores[offset]}
   *  on: item i's at {@code scores[offset + i]}. */
  static int topK(double[] scores, int offset, boolean[] listable, int[] top) {
    int size = 0;
    for (int i = 0; i < listable.length; i++) {
      double s = scores[offset + i];
      if (!listable[i] || s == Double.NEGATIVE_INFINITY
          || size == top.length && s <= scores[offset + top[size - 1]]) {
        continue;
      }
      int at = size < top.length ? size++ : size - 1;
      while (at > 0 && scores[offset + top[at - 1]] < s) {
        top[at] = top[at - 1];
        at--;
      }
      top[at] = i;
    }
    return size;
  }

  /**
   * NDCG and precision at {@code top.length} of the first {@code listed} items of {@code top}
   * against the sorted {@code relevant} items, by MLlib RankingMetrics' definitions (ndcgAt,
   * precisionAt).
   */
  static double[] metrics(int[] top, int listed, int[] relevant) {
    int k = top.length;
    double dcg = 0;
    double ideal = 0;
    int hits = 0;
    int n = Math.min(Math.max(listed, relevant.length), k);
    for (int i = 0; i < n; i++) {
      double gain = 1.0 / Math.log(i + 2);
      if (i < listed && Arrays.binarySearch(relevant, top[i]) >= 0) {
        dcg += gain;
        hits++;
      }
      if (i < relevant.length) {
        ideal += gain;
      }
    }
    return new double[] {ideal > 0 ? dcg / ideal : 0, hits / (double) k};
  }

  private static double mean(double[] values) {
    double sum = 0;
    for (double v : values) {
      sum += v;
    }
    return values.length > 0 ? sum / values.length : 0;
  }
}
