package org.cfpipe.train;

import org.cfpipe.model.FactorModel;

/**
 * The gradient of the regularised mean squared error of a {@link FactorModel} over one
 * mini-batch, added into the batch's touched rows. With p the prediction, z the score, B the batch
 * size, l2 and l2b the factor and bias penalties:
 *
 * <pre>
 *   L = (1/B) sum [ (p - r)^2 + l2 (|u|^2 + |v|^2) + l2b (b_u^2 + b_i^2) ]
 *   dL/dz = (2/B) (p - r) dp/dz
 *   dL/du = dL/dz v + (2/B) l2 u       dL/dv = dL/dz u + (2/B) l2 v
 *   dL/db_u = dL/dz + (2/B) l2b b_u    dL/db_i = dL/dz + (2/B) l2b b_i
 * </pre>
 */
final class BatchGradient {
  private final double l2;
  private final double biasL2;

  BatchGradient(double l2, double biasL2) {
    this.l2 = l2;
    this.biasL2 = biasL2;
  }

  /**
   * Adds the gradient of ratings [from, to) into {@code userGrads} and {@code itemGrads}.
   *
   * @return the sum of squared errors of the batch, before any update, without the penalties
   */
  double accumulate(FactorModel model, TrainingSet data, int from, int to,
      TouchedRows userGrads, TouchedRows itemGrads) {
    int k = model.factors();
    int width = model.rowWidth();
    boolean biases = model.hasBiases();
    float[] userRows = model.userRows();
    float[] itemRows = model.itemRows();
    int[] users = data.users();
    int[] items = data.items();
    float[] ratings = data.ratings();
    double scale = 2.0 / (to - from);
    float factorPenalty = (float) (scale * l2);
    float biasPenalty = (float) (scale * biasL2);
    double squaredErrors = 0;
    for (int n = from; n < to; n++) {
      int u = users[n] * width;
      int v = items[n] * width;
      double z = model.score(userRows, u, itemRows, v);
      double error = model.output(z) - ratings[n];
      squaredErrors += error * error;
      float dz = (float) (scale * error * model.outputSlope(z));

      int gu = userGrads.gradientOffset(users[n]);
      int gv = itemGrads.gradientOffset(items[n]);
      float[] ug = userGrads.gradients();
      float[] vg = itemGrads.gradients();
      for (int f = 0; f < k; f++) {
        float uf = userRows[u + f];
        float vf = itemRows[v + f];
        ug[gu + f] += dz * vf + factorPenalty * uf;
        vg[gv + f] += dz * uf + factorPenalty * vf;
      }
      if (biases) {
        ug[gu + k] += dz + biasPenalty * userRows[u + k];
        vg[gv + k] += dz + biasPenalty * itemRows[v + k];
      }
    }
    return squaredErrors;
  }
}
