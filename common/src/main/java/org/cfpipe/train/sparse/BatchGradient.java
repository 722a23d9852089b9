package org.cfpipe.train.sparse;

import org.cfpipe.model.FactorModel;
import org.cfpipe.train.ParameterTable;
import org.cfpipe.train.TouchedRows;
import org.cfpipe.train.TrainingSet;

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
  private final FactorModel shape;
  private final double l2;
  private final double biasL2;

  /** @param shape the model being trained: its factors, biases, offset and output range */
  BatchGradient(FactorModel shape, double l2, double biasL2) {
    this.shape = shape;
    this.l2 = l2;
    this.biasL2 = biasL2;
  }

  /**
   * Adds the gradient of ratings [from, to) into {@code userGrads} and {@code itemGrads}.
   *
   * @return the sum of squared errors of the batch, before any update, without the penalties
   */
  double accumulate(ParameterTable users, ParameterTable items, TrainingSet data, int from,
      int to, TouchedRows userGrads, TouchedRows itemGrads) {
    int k = shape.factors();
    boolean biases = shape.hasBiases();
    float[] userData = users.data();
    float[] itemData = items.data();
    int userStride = users.stride();
    int itemStride = items.stride();
    int[] uIndex = data.users();
    int[] iIndex = data.items();
    float[] r = data.ratings();
    double scale = 2.0 / (to - from);
    float factorPenalty = (float) (scale * l2);
    float biasPenalty = (float) (scale * biasL2);
    double squaredErrors = 0;
    for (int n = from; n < to; n++) {
      int u = uIndex[n] * userStride;
      int v = iIndex[n] * itemStride;
      double prediction = shape.output(shape.score(userData, u, itemData, v));
      double error = prediction - r[n];
      squaredErrors += error * error;
      float dz = (float) (scale * error * shape.slopeAt(prediction));

      int gu = userGrads.gradientOffset(uIndex[n]);
      int gv = itemGrads.gradientOffset(iIndex[n]);
      float[] ug = userGrads.gradients();
      float[] vg = itemGrads.gradients();
      for (int f = 0; f < k; f++) {
        float uf = userData[u + f];
        float vf = itemData[v + f];
        ug[gu + f] += dz * vf + factorPenalty * uf;
        vg[gv + f] += dz * uf + factorPenalty * vf;
      }
      if (biases) {
        ug[gu + k] += dz + biasPenalty * userData[u + k];
        vg[gv + k] += dz + biasPenalty * itemData[v + k];
      }
    }
    return squaredErrors;
  }
}
