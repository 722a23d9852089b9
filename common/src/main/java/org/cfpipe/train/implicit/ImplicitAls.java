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
 * alternating solves: each user row given the items,
 * (Y^T Y + sum_{i rated} (c_ui - 1) y_i y_i^T + lambda n_u I) x_u = sum_{i rated} c_ui p_ui y_i,
 * with Y^T Y computed once for all users (the paper's speed-up), then each item row given the
 * users alike. Each row's system is solved by a few conjugate gradient steps from its last
 * value ({@link ConjugateGradient}, {@link RankingSettings#cgSteps}), or exactly
 * ({@link Cholesky}, cgSteps 0). Rows are independent, so
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
            + "alpha %s: %d iterations (%s) on %,d ratings in %.1f s", k,
        settings.regularization(), settings.weightingName(), settings.alpha(),
        settings.iterations(), settings.cgSteps() > 0 ? settings.cgSteps()
            + " conjugate gradient steps a row" : "exact solves", ratings.size(),
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
    workers.inChunks(rows.chunks(), (thread, chunk, from, to) -> {
      RowSolver solver = settings.cgSteps() > 0 ? new ConjugateGradient(k) : new Cholesky(k);
      for (int r = from; r < to; r++) {
        int first = rows.start[r];
        int last = rows.start[r + 1];
        if (first == last) {
          Arrays.fill(out, r * k, r * k + k, 0.0);
          continue;
        }
        double penalty = settings.countScaled() ? settings.regularization() * (last - first)
            : settings.regularization() * penaltyScale;
        solver.solve(rows, r, fixed, gram, penalty, out);
      }
    });
  }

  /** Solves one row's system in place in {@code out}; one per thread, holding its buffers. */
  private interface RowSolver {
    void solve(Rows rows, int r, double[] fixed, double[] gram, double penalty, double[] out);
  }

  /**
   * The exact solve: (G + sum (c - 1) y y^T + penalty I) x = sum c p y built whole, each rated
   * row added by BLAS's rank-one update ({@code dger}), then LAPACK's Cholesky ({@code dposv}).
   * k^2 multiplications a rating.
   */
  private final class Cholesky implements RowSolver {
    private final int k;
    private final BLAS blas = BLAS.getInstance();
    private final LAPACK lapack = LAPACK.getInstance();
    private final double[] system;
    private final double[] rhs;
    private final intW info = new intW(0);

    Cholesky(int k) {
      this.k = k;
      this.system = new double[k * k];
      this.rhs = new double[k];
    }

    @Override
    public void solve(Rows rows, int r, double[] fixed, double[] gram, double penalty,
        double[] out) {
      System.arraycopy(gram, 0, system, 0, gram.length);
      Arrays.fill(rhs, 0.0);
      double alpha = settings.alpha();
      for (int n = rows.start[r]; n < rows.start[r + 1]; n++) {
        int other = rows.other[n];
        double p = rows.preference[n];
        double c = 1 + alpha * p;
        // A general rank-one update (both triangles; the solve reads the upper one): dger is
        // one of the routines netlib's VectorBLAS runs in SIMD lanes, 2.7 times as fast as the
        // packed symmetric dspr at k = 32 on the 2-core machine (docs/benchmarks/top-n.md).
        blas.dger(k, k, c - 1, fixed, other * k, 1, fixed, other * k, 1, system, 0, k);
        blas.daxpy(k, c * p, fixed, other * k, 1, rhs, 0, 1);
      }
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
  }

  /**
   * The conjugate gradient method on the same system (Takacs, Pilaszy and Tikk, "Applications
   * of the Conjugate Gradient Method for Implicit Feedback Collaborative Filtering", RecSys
   * 2011), {@link RankingSettings#cgSteps} steps from the row's value of the last iteration. The
   * rated rows are gathered once into a k x n block B, so that the system times a vector v is
   * G v + B ((c - 1) * (B^T v)) + penalty v: two matrix-vector products over the block (BLAS
   * {@code dgemv}), about 4 n k multiplications a step against the exact solve's n k^2 to build
   * its system. Exact after k steps in exact arithmetic.
   */
  private final class ConjugateGradient implements RowSolver {
    private final int k;
    private final BLAS blas = BLAS.getInstance();
    private double[] block = new double[0];
    private double[] weight = new double[0];
    private double[] target = new double[0];
    private double[] along = new double[0];
    private final double[] x;
    private final double[] residual;
    private final double[] direction;
    private final double[] product;

    ConjugateGradient(int k) {
      this.k = k;
      this.x = new double[k];
      this.residual = new double[k];
      this.direction = new double[k];
      this.product = new double[k];
    }

    @Override
    public void solve(Rows rows, int r, double[] fixed, double[] gram, double penalty,
        double[] out) {
      int first = rows.start[r];
      int n = rows.start[r + 1] - first;
      if (weight.length < n) {
        int size = Math.max(n, weight.length * 2);
        block = new double[Math.multiplyExact(size, k)];
        weight = new double[size];
        target = new double[size];
        along = new double[size];
      }
      double alpha = settings.alpha();
      for (int j = 0; j < n; j++) {
        int other = rows.other[first + j];
        double p = rows.preference[first + j];
        System.arraycopy(fixed, other * k, block, j * k, k);
        weight[j] = alpha * p;
        target[j] = (1 + alpha * p) * p;
      }
      System.arraycopy(out, r * k, x, 0, k);
      // residual = B (c p) - A x
      times(x, n, gram, penalty, product);
      blas.dgemv("N", k, n, 1.0, block, k, target, 1, 0.0, residual, 1);
      blas.daxpy(k, -1.0, product, 1, residual, 1);
      System.arraycopy(residual, 0, direction, 0, k);
      double norm = blas.ddot(k, residual, 1, residual, 1);
      for (int step = 0; step < settings.cgSteps() && norm > 1e-20; step++) {
        times(direction, n, gram, penalty, product);
        double length = norm / blas.ddot(k, direction, 1, product, 1);
        blas.daxpy(k, length, direction, 1, x, 1);
        blas.daxpy(k, -length, product, 1, residual, 1);
        double next = blas.ddot(k, residual, 1, residual, 1);
        for (int f = 0; f < k; f++) {
          direction[f] = residual[f] + next / norm * direction[f];
        }
        norm = next;
      }
      System.arraycopy(x, 0, out, r * k, k);
    }

    /** {@code result} = (G + B diag(c - 1) B^T + penalty I) {@code v}. */
    private void times(double[] v, int n, double[] gram, double penalty, double[] result) {
      blas.dgemv("T", k, n, 1.0, block, k, v, 1, 0.0, along, 1);
      for (int j = 0; j < n; j++) {
        along[j] *= weight[j];
      }
      blas.dgemv("N", k, k, 1.0, gram, k, v, 1, 0.0, result, 1);
      blas.dgemv("N", k, n, 1.0, block, k, along, 1, 1.0, result, 1);
      blas.daxpy(k, penalty, v, 1, result, 1);
    }
  }

  /** Y^T Y of the rows of {@code fixed} (count x k, row-major), k x k, both triangles. */
  private static double[] gram(double[] fixed, int count, int k) {
    double[] full = new double[k * k];
    // fixed read column-major is the k x count matrix Y^T: Y^T (Y^T)^T = Y^T Y.
    BLAS.getInstance().dsyrk("U", "N", k, count, 1.0, fixed, k, 0.0, full, k);
    for (int a = 0; a < k; a++) {
      for (int b = 0; b < a; b++) {
        full[b * k + a] = full[a * k + b];
      }
    }
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
