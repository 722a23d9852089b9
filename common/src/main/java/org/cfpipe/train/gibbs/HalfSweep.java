package org.cfpipe.train.gibbs;

import java.io.Serializable;
import java.util.Iterator;
import java.util.SplittableRandom;
import scala.Tuple2;

/**
 * One side's half of a {@link PartitionedChain} sweep in one block: given the other side's rows
 * that its ratings rate (the messages), every row of the block is drawn coordinate by
 * coordinate from its conditional, the bias first, exactly as the one-JVM engine draws a row
 * (GibbsSampler's drawRow), after its noise scale from its Gamma conditional. The residuals are
 * computed afresh from the parameters, so nothing but the parameters crosses from one half-sweep
 * to the next.
 *
 * <p>Returns the block and its statistics: per column the sum of the new values and of their
 * squares (the next draw of the side's hyperparameters), then over its ratings the sum of the
 * squared residuals, of their weighted squares, of the weights a_u c_i and of the weighted
 * residuals plus w0 (the noise precision's and the global mean's conditionals), and with
 * {@code closes} the block's share of the alignment's cross product.
 */
final class HalfSweep implements Serializable {
  private static final long serialVersionUID = 1L;
  /** Ratings statistics after the column sums: e^2, w e^2, w, w (e + w0). */
  static final int RATING_STATS = 4;

  private final long seed;
  private final int sweep;
  private final double[] mu;
  private final double[] lambda;
  private final double alpha;
  private final double w0;
  private final boolean biases;
  private final double noiseShape;
  private final boolean raoBlackwell;
  private final boolean sample;
  private final boolean closes;
  private final boolean foldFirst;
  private final double[] rotation;

  /**
   * @param sample add the draws to the samples (after burn-in)
   * @param closes this sample closes a block of samples: return the cross product
   * @param foldFirst fold the block closed in the last sweep into the sums first, rotated by
   *     {@code rotation} (null: unrotated)
   */
  HalfSweep(long seed, int sweep, double[] mu, double[] lambda, double alpha, double w0,
      boolean biases, double noiseShape, boolean raoBlackwell, boolean sample, boolean closes,
      boolean foldFirst, double[] rotation) {
    this.seed = seed;
    this.sweep = sweep;
    this.mu = mu;
    this.lambda = lambda;
    this.alpha = alpha;
    this.w0 = w0;
    this.biases = biases;
    this.noiseShape = noiseShape;
    this.raoBlackwell = raoBlackwell;
    this.sample = sample;
    this.closes = closes;
    this.foldFirst = foldFirst;
    this.rotation = rotation;
  }

  Iterator<Tuple2<RowBlock, double[]>> run(Iterator<RowBlock> own,
      Iterator<Tuple2<Integer, Tuple2<Integer, double[]>>> messages) {
    RowBlock block = own.next().next();
    int k = block.k;
    double[] other = block.received(messages, k + 2);
    if (foldFirst) {
      block.fold(rotation);
    }
    double[] stats = new double[2 * (k + 1) + RATING_STATS + (closes ? k * k : 0)];
    int ratingStats = 2 * (k + 1);
    RowCopy row = new RowCopy();
    double[] gaussians = new double[k + 1];
    for (int r = 0; r < block.rows; r++) {
      drawRow(block, r, row, gaussians, other, stats, ratingStats);
    }
    double[] columns = block.columnSums();
    System.arraycopy(columns, 0, stats, 0, columns.length);
    if (sample) {
      block.accumulate(raoBlackwell);
    }
    if (closes) {
      double[] cross = new double[k * k];
      block.addCross(cross);
      System.arraycopy(cross, 0, stats, ratingStats + RATING_STATS, k * k);
    }
    return java.util.List.of(new Tuple2<>(block, stats)).iterator();
  }

  /**
   * Draws local row r given the other side's rows shipped to the block ({@code other}, k + 2
   * values a slot), into the block; adds its ratings' statistics to {@code stats}.
   */
  private void drawRow(RowBlock block, int r, RowCopy local, double[] gaussians, double[] other,
      double[] stats, int ratingStats) {
    int k = block.k;
    int count = local.gather(block, r, other, w0, biases);
    double[] h = local.factors;
    double[] w = local.weights;
    double[] e = local.residuals;
    SplittableRandom random = block.stream(seed, sweep, r);
    if (noiseShape > 0 && sweep > 1) {
      // The row's noise scale first, given the noise precision the driver has just drawn from
      // these residuals, as the one-JVM chain draws alpha and then the scales: the noise's
      // level follows the residuals through alpha, the scales only how rows differ. (Before
      // the first alpha, from a start far from the data, the scales would take the level.)
      double squares = 0;
      for (int x = 0; x < count; x++) {
        squares += w[x] * e[x] * e[x];
      }
      block.noise[r] = GibbsSampler.rowScale(noiseShape, count, alpha, squares, random);
    }
    int top = biases ? k : k - 1;
    for (int f = 0; f <= top; f++) {
      gaussians[f] = random.nextGaussian();
    }
    GibbsSampler.drawCoordinates(block.factors, block.bias, block.factorMean, block.biasMean, r,
        k, top, alpha * block.noise[r], mu, lambda, h, w, e, count, gaussians, 0);
    double scale = block.noise[r];
    for (int x = 0; x < count; x++) {
      double weight = scale * w[x];
      stats[ratingStats] += e[x] * e[x];
      stats[ratingStats + 1] += weight * e[x] * e[x];
      stats[ratingStats + 2] += weight;
      stats[ratingStats + 3] += weight * (e[x] + w0);
    }
  }
}
