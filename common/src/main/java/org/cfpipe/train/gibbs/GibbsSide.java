package org.cfpipe.train.gibbs;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntToDoubleFunction;
import org.cfpipe.train.Workers;

/**
 * One side of the Gibbs sampler's model, users or items: rows x k factors, a bias per row, a
 * noise scale per row, the Gaussian priors' hyperparameters of each column, the running sums of
 * the samples, and the side's ratings grouped by row.
 */
final class GibbsSide {
  final int rows;
  final int k;
  final double[] factors;
  final double[] bias;
  final double[] mu;
  final double[] lambda;
  final double[] factorSum;
  final double[] biasSum;
  /**
   * The samples added since the sums last took them in, unrotated: with align-samples, a block
   * of samples is rotated onto the mean as one ({@code GibbsSampler.ALIGN_BLOCK}).
   */
  final double[] blockSum;
  final double[] blockBias;
  /**
   * Each row's coordinates' conditional means at their last draw (the factors', then the bias):
   * the Rao-Blackwellised sample the posterior mean adds up instead of the draws themselves.
   */
  final double[] factorMean;
  final double[] biasMean;
  /** A sweep's standard Gaussians for the rows' draws, k + 1 a row, drawn ahead of them. */
  final double[] gaussians;
  /** Each row's noise precision scale: a rating's precision is alpha * user's * item's. */
  final double[] noise;
  /** Ratings of each row: rating ids from start[row] to start[row + 1] of ids. */
  final int[] start;
  final int[] ids;
  /** For each rating, the row on the other side. */
  final int[] other;
  /**
   * Bounds of chunks of rows with about as many ratings each (chunk c is rows bounds[c] to
   * bounds[c + 1]), for the passes over the ratings that draw nothing: the ids number rows by
   * rating count, so equal counts of rows would put most ratings in the first chunk, and one
   * thread would do most of a pass while the others wait.
   */
  final int[] ratingChunks;
  /**
   * The factor rows the other side and the predictions see: the factors themselves, or for
   * users with the implicit prior, their factors plus the implicit offsets.
   */
  double[] visible;

  GibbsSide(int rows, int k, int[] rowOf, int[] otherOf) {
    this(rows, k, csr(rows, rowOf), otherOf);
  }

  private GibbsSide(int rows, int k, int[][] csr, int[] otherOf) {
    this.rows = rows;
    this.k = k;
    this.factors = new double[rows * k];
    this.visible = factors;
    this.bias = new double[rows];
    this.mu = new double[k + 1];
    this.lambda = new double[k + 1];
    Arrays.fill(lambda, 1.0);
    this.factorSum = new double[rows * k];
    this.biasSum = new double[rows];
    this.blockSum = new double[rows * k];
    this.blockBias = new double[rows];
    this.factorMean = new double[rows * k];
    this.biasMean = new double[rows];
    this.gaussians = new double[rows * (k + 1)];
    this.noise = new double[rows];
    Arrays.fill(noise, 1.0);
    this.start = csr[0];
    this.ids = csr[1];
    this.other = otherOf;
    this.ratingChunks = Workers.ratingChunks(start, GibbsSampler.CHUNK, RATINGS_PER_CHUNK);
  }

  /** About how many ratings a chunk of {@link #ratingChunks} holds. */
  static final int RATINGS_PER_CHUNK = 4096;

  /** Start offsets per row and rating ids grouped by row (compressed sparse rows). */
  private static int[][] csr(int rows, int[] rowOf) {
    int[] start = new int[rows + 1];
    for (int row : rowOf) {
      start[row + 1]++;
    }
    for (int r = 0; r < rows; r++) {
      start[r + 1] += start[r];
    }
    int[] next = start.clone();
    int[] ids = new int[rowOf.length];
    for (int n = 0; n < rowOf.length; n++) {
      ids[next[rowOf[n]]++] = n;
    }
    return new int[][] {start, ids};
  }

  /** Column f of the factors, or the biases for f = k. */
  double get(int row, int f) {
    return f == k ? bias[row] : factors[row * k + f];
  }

  /** Draws mu_f and lambda_f given column f (libFM's draw_mu and draw_lambda). */
  void drawHyper(int f, SplittableRandom random) {
    drawHyper(mu, lambda, f, rows, r -> get(r, f), random);
  }

  /**
   * Draws mu[f] and lambda[f], the prior of a column of {@code rows} values, given the values:
   * lambda from its Gamma conditional, then mu from its Gaussian one, both under libFM's
   * hyperpriors (mu_0 = 0, gamma_0 = 1, alpha_lambda = beta_lambda = 1).
   */
  static void drawHyper(double[] mu, double[] lambda, int f, int rows, IntToDoubleFunction value,
      SplittableRandom random) {
    double sum = 0;
    for (int r = 0; r < rows; r++) {
      sum += value.applyAsDouble(r);
    }
    double squares = mu[f] * mu[f];
    for (int r = 0; r < rows; r++) {
      double d = value.applyAsDouble(r) - mu[f];
      squares += d * d;
    }
    draw(mu, lambda, f, rows, sum, squares, random);
  }

  /**
   * {@link #drawHyper} from a column's sum and sum of squares, as a side split into blocks
   * returns them: the squares about mu[f] are sumSquares - 2 mu sum + rows mu^2.
   */
  static void drawHyperFromSums(double[] mu, double[] lambda, int f, int rows, double sum,
      double sumSquares, SplittableRandom random) {
    double m = mu[f];
    draw(mu, lambda, f, rows, sum,
        m * m + Math.max(0.0, sumSquares - 2 * m * sum + rows * m * m), random);
  }

  /**
   * The draws, given the column's sum and its squares about mu[f] plus mu[f]^2 (the prior's
   * mu_0 = 0 counted as one more value).
   */
  private static void draw(double[] mu, double[] lambda, int f, int rows, double sum,
      double squares, SplittableRandom random) {
    lambda[f] = GibbsSampler.gamma((1.0 + rows + 1) / 2, (1.0 + squares) / 2, random);
    mu[f] = sum / (rows + 1) + random.nextGaussian() / Math.sqrt((rows + 1) * lambda[f]);
  }

  /**
   * The distinct rows of the other side among each row's ratings, sorted: {start offsets, rows}.
   */
  int[][] distinctOthers() {
    int[] offsets = new int[rows + 1];
    int[] values = new int[ids.length];
    int size = 0;
    for (int r = 0; r < rows; r++) {
      int from = size;
      for (int x = start[r]; x < start[r + 1]; x++) {
        values[size++] = other[ids[x]];
      }
      Arrays.sort(values, from, size);
      int kept = from;
      for (int x = from; x < size; x++) {
        if (x == from || values[x] != values[x - 1]) {
          values[kept++] = values[x];
        }
      }
      size = kept;
      offsets[r + 1] = size;
    }
    return new int[][] {offsets, Arrays.copyOf(values, size)};
  }
}
