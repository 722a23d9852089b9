package org.cfpipe.train.implicit;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.lapack.LAPACK;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import org.cfpipe.config.RankingSettings;
import org.cfpipe.config.RatingScale;
import org.cfpipe.model.FactorModel;
import org.cfpipe.train.TrainingSet;
import org.cfpipe.train.Workers;
import org.netlib.util.intW;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Implicit-feedback ALS (Hu, Koren and Volinsky, "Collaborative Filtering for Implicit Feedback
 * Datasets", ICDM 2008) with graded preferences, in this JVM. Every (user, item) pair is a
 * preference p held with a confidence c: a rated pair, p = {@link RankingSettings#preference}
 * of its rating and c = 1 + alpha p; an unrated pair, p = 0 and c = 1. The model minimises
 * sum over all pairs of c (p - x_u . y_i)^2 + lambda (sum_u n_u |x_u|^2 + sum_i n_i |y_i|^2),
 * n the row's count of ratings (the weighting of Zhou et al. 2008, as Spark MLlib's ALS), or 1
 * for every row ({@link RankingSettings#countScaled} false, Hu et al.'s), by
 * alternating exact solves: each user row given the items,
 * (Y^T Y + sum_{i rated} (c_ui - 1) y_i y_i^T + lambda n_u I) x_u = sum_{i rated} c_ui p_ui y_i,
 * with Y^T Y computed once for all users (the paper's speed-up), then each item row given the
 * users alike. Each row's system is solved by LAPACK's Cholesky ({@code dposv}), its rated
 * items added by BLAS's rank-one update ({@code dger}). Rows are independent, so
 * threads share them and the model does not depend on their number. A row without ratings stays
 * 0.
 */
public final class ImplicitAls {
  private static final Logger LOG = LoggerFactory.getLogger(ImplicitAls.class);
  /** Standard deviation of the items' starting values, times sqrt(factors). */
  static final double INIT_STD = 0.1;
  /** A chunk of rows the threads take at a time ends at this many rows or ratings: a few users
   *  may hold most of the ratings. */
  private static final int CHUNK_ROWS = 256;
  private static final int CHUNK_RATINGS = 16_384;

  private final RankingSettings settings;
  private final RatingScale scale;
  private final double itemPenaltyScale;

  /**
   * @param scale the ratings' scale, which the graded preferences are taken on
   */
  public ImplicitAls(RankingSettings settings, RatingScale scale) {
    this(settings, scale, 1.0);
  }

  /**
   * @param itemPenaltyScale the items' constant penalty (Hu et al.'s weighting) times this: on
   *     the ratings of a share s of the users, an item's sums over users are about s times
   *     their size on all of them, so lambda s on the sample stands for lambda on all users
   *     (a count-scaled penalty scales with the item's ratings by itself)
   */
  ImplicitAls(RankingSettings settings, RatingScale scale, double itemPenaltyScale) {
    this.settings = settings;
    this.scale = scale;
    this.itemPenaltyScale = itemPenaltyScale;
  }

  /** Trains on {@code ratings}, their user and item indices below {@code users}, {@code items}. */
  public FactorModel train(TrainingSet ratings, int users, int items) {
    int k = settings.factors();
    float[] preference = new float[ratings.size()];
    for (int n = 0; n < preference.length; n++) {
      preference[n] = (float) settings.preference(ratings.ratings()[n], scale);
    }
    Rows byUser = Rows.of(ratings.users(), ratings.items(), preference, users);
    Rows byItem = Rows.of(ratings.items(), ratings.users(), preference, items);
    double[] userRows = new double[Math.multiplyExact(users, k)];
    double[] itemRows = new double[Math.multiplyExact(items, k)];
    for (int i = 0; i < items; i++) {
      SplittableRandom random = new SplittableRandom(FactorModel.rowSeed(settings.seed(),
          FactorModel.ITEMS, i));
      for (int f = 0; f < k; f++) {
        itemRows[i * k + f] = random.nextGaussian() * INIT_STD / Math.sqrt(k);
      }
    }
    int threads = settings.threads() > 0 ? settings.threads()
        : Runtime.getRuntime().availableProcessors();
    long start = System.nanoTime();
    try (Workers workers = new Workers(threads)) {
      for (int iteration = 1; iteration <= settings.iterations(); iteration++) {
        solve(byUser, itemRows, items, userRows, 1.0, workers);
        solve(byItem, userRows, users, itemRows, itemPenaltyScale, workers);
        LOG.debug(String.format(Locale.ROOT, "implicit ALS: iteration %d/%d, %.1f s",
            iteration, settings.iterations(), (System.nanoTime() - start) / 1e9));
      }
    }
    LOG.info(String.format(Locale.ROOT, "implicit ALS: %d factors, regularization %s (%s), "
            + "alpha %s: %d iterations on %,d ratings in %.1f s", k, settings.regularization(),
        settings.weightingName(), settings.alpha(), settings.iterations(), ratings.size(),
        (System.nanoTime() - start) / 1e9));
    return new FactorModel(k, false, users, items, 0.0, Optional.empty(), floats(userRows),
        floats(itemRows));
  }

  /**
   * Solves every row of {@code out} (one per row of {@code rows}) given the other side's rows
   * {@code fixed} ({@code fixedCount} of them), a constant penalty times {@code penaltyScale}.
   */
  private void solve(Rows rows, double[] fixed, int fixedCount, double[] out,
      double penaltyScale, Workers workers) {
    int k = settings.factors();
    double[] gram = gram(fixed, fixedCount, k);
    double lambda = settings.regularization();
    double alpha = settings.alpha();
    workers.inChunks(rows.chunks(), (thread, chunk, from, to) -> {
      BLAS blas = BLAS.getInstance();
      LAPACK lapack = LAPACK.getInstance();
      double[] system = new double[k * k];
      double[] rhs = new double[k];
      intW info = new intW(0);
      for (int r = from; r < to; r++) {
        int first = rows.start[r];
        int last = rows.start[r + 1];
        if (first == last) {
          Arrays.fill(out, r * k, r * k + k, 0.0);
          continue;
        }
        System.arraycopy(gram, 0, system, 0, gram.length);
        Arrays.fill(rhs, 0.0);
        for (int n = first; n < last; n++) {
          int other = rows.other[n];
          double p = rows.preference[n];
          double c = 1 + alpha * p;
          // A general rank-one update (both triangles; the solve reads the upper one): dger
          // is one of the routines netlib's VectorBLAS runs in SIMD lanes, 2.7 times as fast
          // as the packed symmetric dspr at k = 32 on the 2-core machine (docs/benchmarks/
          // top-n.md).
          blas.dger(k, k, c - 1, fixed, other * k, 1, fixed, other * k, 1, system, 0, k);
          blas.daxpy(k, c * p, fixed, other * k, 1, rhs, 0, 1);
        }
        double penalty = settings.countScaled() ? lambda * (last - first)
            : lambda * penaltyScale;
        for (int f = 0; f < k; f++) {
          system[f * k + f] += penalty;
        }
        lapack.dposv("U", k, 1, system, k, rhs, k, info);
        if (info.val != 0) {
          throw new IllegalStateException("implicit ALS: the system of row " + r
              + " is not positive definite (LAPACK dposv info " + info.val + ")");
        }
        System.arraycopy(rhs, 0, out, r * k, k);
      }
    });
  }

  /** Y^T Y of the rows of {@code fixed} (count x k, row-major), its upper triangle, k x k. */
  private static double[] gram(double[] fixed, int count, int k) {
    double[] full = new double[k * k];
    // fixed read column-major is the k x count matrix Y^T: Y^T (Y^T)^T = Y^T Y.
    BLAS.getInstance().dsyrk("U", "N", k, count, 1.0, fixed, k, 0.0, full, k);
    return full;
  }

  private static float[] floats(double[] values) {
    float[] out = new float[values.length];
    for (int n = 0; n < values.length; n++) {
      out[n] = (float) values[n];
    }
    return out;
  }

  /**
   * One side's ratings grouped by row: the other side's index and the preference of each, and
   * the bounds of the chunks of rows the threads take ({@link Workers#ratingChunks}).
   */
  private record Rows(int[] start, int[] other, float[] preference, int[] chunks) {

    int count() {
      return start.length - 1;
    }

    static Rows of(int[] row, int[] other, float[] preference, int rows) {
      int[] start = new int[rows + 1];
      for (int r : row) {
        start[r + 1]++;
      }
      for (int r = 0; r < rows; r++) {
        start[r + 1] += start[r];
      }
      int[] next = start.clone();
      int[] others = new int[row.length];
      float[] prefs = new float[row.length];
      for (int n = 0; n < row.length; n++) {
        int at = next[row[n]]++;
        others[at] = other[n];
        prefs[at] = preference[n];
      }
      return new Rows(start, others, prefs,
          Workers.ratingChunks(start, CHUNK_ROWS, CHUNK_RATINGS));
    }
  }
}
