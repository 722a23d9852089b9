package org.cfpipe.train.gibbs;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.SingularValueDecomposition;
import org.cfpipe.config.ModelSettings.Range;
import org.cfpipe.model.FactorModel;
import org.cfpipe.train.Checkpoints;
import org.cfpipe.train.EpochStats;

/**
 * The Gibbs sampler's chains run so far, folded into one table: the sum of their posterior
 * means, each brought to its balanced form (when there are several chains) and rotated onto the
 * sum before it is added in (orthogonal Procrustes), and the history of every sweep of every
 * chain.
 *
 * <p>Why the balanced form: u A and v A^-T predict exactly as u and v for any invertible A, so
 * two chains can settle in any such transformation of each other, not only in a rotation. In the
 * balanced form, U^T U = V^T V = S diagonal (the singular values of U V^T), they differ only by a
 * rotation (for distinct singular values, by signs), which the Procrustes step undoes.
 */
final class ChainPool {
  private final int k;
  private final boolean biases;
  private final Optional<Range> yRange;
  private final boolean balance;
  private final boolean align;
  private final double[] userFactors;
  private final double[] itemFactors;
  private final double[] userBias;
  private final double[] itemBias;
  final List<EpochStats> history = new ArrayList<>();
  private double w0;
  /** Chains added. */
  int done;
  /** Seconds spent before the checkpoint this pool was restored from. */
  double previousSeconds;

  /**
   * @param balance bring each chain to its balanced form (there are several chains)
   * @param align rotate each chain onto the ones before it
   */
  ChainPool(int k, boolean biases, Optional<Range> yRange, int users, int items, boolean balance,
      boolean align) {
    this.k = k;
    this.biases = biases;
    this.yRange = yRange;
    this.balance = balance;
    this.align = align;
    this.userFactors = new double[users * k];
    this.itemFactors = new double[items * k];
    this.userBias = new double[users];
    this.itemBias = new double[items];
  }

  int users() {
    return userBias.length;
  }

  int items() {
    return itemBias.length;
  }

  /** Adds a finished chain's posterior mean. */
  void add(GibbsSampler.ChainMeans chain) {
    double scale = 1.0 / chain.samples();
    double[] users = chain.userFactors().clone();
    double[] items = chain.itemFactors().clone();
    if (balance) {
      balance(users, items);
    }
    double[] rotation = null;
    if (done > 0 && align) {
      double[] cross = new double[k * k];
      GibbsSampler.addCross(cross, users, userFactors, k, 0, users());
      GibbsSampler.addCross(cross, items, itemFactors, k, 0, items());
      rotation = GibbsSampler.nearestRotation(GibbsSampler.square(cross, k));
    }
    GibbsSampler.addRotated(userFactors, users, rotation, scale, k, 0, users());
    GibbsSampler.addRotated(itemFactors, items, rotation, scale, k, 0, items());
    for (int r = 0; r < userBias.length; r++) {
      userBias[r] += chain.userBias()[r] * scale;
    }
    for (int r = 0; r < itemBias.length; r++) {
      itemBias[r] += chain.itemBias()[r] * scale;
    }
    w0 += chain.w0() * scale;
    done++;
  }

  /**
   * Brings tables U and V to their balanced form U A and V B, in place, with A B^T = I, so that
   * every prediction u.v stays as it is, and U^T U = V^T V = S diagonal: A = R_u^-1 P S^1/2 and
   * B = R_v^-1 Q S^1/2, for R^T R the Gram matrix of each table and P S Q^T the SVD of R_u R_v^T.
   */
  void balance(double[] users, double[] items) {
    RealMatrix[] root = new RealMatrix[2];
    RealMatrix[] inverse = new RealMatrix[2];
    double[][] tables = {users, items};
    for (int t = 0; t < 2; t++) {
      double[] gram = new double[k * k];
      GibbsSampler.addCross(gram, tables[t], tables[t], k, 0, tables[t].length / k);
      EigenDecomposition eigen = new EigenDecomposition(
          new Array2DRowRealMatrix(GibbsSampler.square(gram, k), false));
      double[] values = eigen.getRealEigenvalues();
      double floor = 1e-12 * Math.max(values[0], Double.MIN_NORMAL);
      double[] sqrt = new double[k];
      double[] inverseSqrt = new double[k];
      for (int f = 0; f < k; f++) {
        sqrt[f] = Math.sqrt(Math.max(values[f], floor));
        inverseSqrt[f] = 1 / sqrt[f];
      }
      RealMatrix vectors = eigen.getV();
      root[t] = MatrixUtils.createRealDiagonalMatrix(sqrt).multiply(vectors.transpose());
      inverse[t] = vectors.multiply(MatrixUtils.createRealDiagonalMatrix(inverseSqrt));
    }
    SingularValueDecomposition svd = new SingularValueDecomposition(
        root[0].multiply(root[1].transpose()));
    double[] halfSingular = svd.getSingularValues().clone();
    for (int f = 0; f < k; f++) {
      halfSingular[f] = Math.sqrt(halfSingular[f]);
    }
    RealMatrix half = MatrixUtils.createRealDiagonalMatrix(halfSingular);
    transform(users, inverse[0].multiply(svd.getU()).multiply(half));
    transform(items, inverse[1].multiply(svd.getV()).multiply(half));
  }

  /** rows <- rows M, in place, for a k x k matrix M. */
  private void transform(double[] rows, RealMatrix m) {
    double[][] matrix = m.getData();
    double[] row = new double[k];
    for (int start = 0; start < rows.length; start += k) {
      System.arraycopy(rows, start, row, 0, k);
      for (int q = 0; q < k; q++) {
        double value = 0;
        for (int p = 0; p < k; p++) {
          value += row[p] * matrix[p][q];
        }
        rows[start + q] = value;
      }
    }
  }

  /** The mean of the chains' posterior means. */
  FactorModel model() {
    double scale = 1.0 / done;
    FactorModel model = new FactorModel(k, biases, userBias.length, itemBias.length, w0 * scale,
        yRange);
    GibbsSampler.copyRows(userFactors, userBias, k, biases, scale, model.userRows());
    GibbsSampler.copyRows(itemFactors, itemBias, k, biases, scale, model.itemRows());
    return model;
  }

  /** Writes the chains added so far, {@code seconds} into the run. */
  void save(DataOutputStream out, double seconds) throws IOException {
    out.writeDouble(seconds);
    Checkpoints.writeHistory(out, history);
    out.writeInt(done);
    out.writeDouble(w0);
    for (double[] values : new double[][] {userFactors, itemFactors, userBias, itemBias}) {
      Checkpoints.writeDoubles(out, values);
    }
  }

  void restore(DataInputStream in) throws IOException {
    previousSeconds = in.readDouble();
    history.addAll(Checkpoints.readHistory(in));
    done = in.readInt();
    w0 = in.readDouble();
    for (double[] values : new double[][] {userFactors, itemFactors, userBias, itemBias}) {
      Checkpoints.readDoubles(in, values);
    }
  }
}
