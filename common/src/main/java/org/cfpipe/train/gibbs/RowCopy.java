package org.cfpipe.train.gibbs;

/**
 * A thread's copy of one row's ratings, for {@link GibbsSampler#drawCoordinates}: the other
 * side's factor rows, column by column (a coordinate's loops then read them in order), their
 * noise scales, and the residuals. The one-JVM chain copies them from its tables and its kept
 * residuals; a {@link PartitionedChain} block from the rows shipped to it, computing the
 * residuals afresh.
 */
final class RowCopy {
  double[] factors = new double[0];
  double[] weights = new double[0];
  double[] residuals = new double[0];

  /** Room for count ratings of k factors. */
  private void reserve(int count, int k) {
    if (weights.length < count) {
      factors = new double[count * k];
      weights = new double[count];
      residuals = new double[count];
    }
  }

  /** Copies row r's ratings in from the one-JVM chain's tables; returns their number. */
  int gather(GibbsSide side, GibbsSide opposite, int r, double[] residual) {
    int k = side.k;
    int from = side.start[r];
    int count = side.start[r + 1] - from;
    reserve(count, k);
    for (int x = 0; x < count; x++) {
      int n = side.ids[from + x];
      int o = side.other[n];
      for (int f = 0, j = x; f < k; f++, j += count) {
        factors[j] = opposite.visible[o * k + f];
      }
      weights[x] = opposite.noise[o];
      residuals[x] = residual[n];
    }
    return count;
  }

  /**
   * Copies local row r of a block in, from the other side's rows shipped to it ({@code other},
   * k factors, the bias and the noise scale a slot), with each rating's residual around
   * {@code w0}; returns their number.
   */
  int gather(RowBlock block, int r, double[] other, double w0, boolean biases) {
    int k = block.k;
    int width = k + 2;
    int from = block.start[r];
    int count = block.start[r + 1] - from;
    reserve(count, k);
    int own = r * k;
    for (int x = 0; x < count; x++) {
      int s = block.slot[from + x] * width;
      double prediction = w0 + (biases ? block.bias[r] + other[s + k] : 0.0);
      for (int f = 0, j = x; f < k; f++, j += count) {
        double v = other[s + f];
        factors[j] = v;
        prediction += block.factors[own + f] * v;
      }
      weights[x] = other[s + k + 1];
      residuals[x] = block.rating[from + x] - prediction;
    }
    return count;
  }
}
