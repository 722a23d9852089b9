package org.cfpipe.train;

import org.cfpipe.model.DotBiasModel;

/**
 * The gradient of the mean squared error of a {@link DotBiasModel} over one mini-batch, added into
 * the batch's touched rows. With p the prediction, z the score and B the batch size:
 *
 * <pre>
 *   L = (1/B) sum (p - r)^2        dL/dz = (2/B) (p - r) dp/dz
 *   dL/du = dL/dz v     dL/dv = dL/dz u     dL/db_u = dL/db_i = dL/dz
 * </pre>
 */
final class BatchGradient {
  private BatchGradient() {}

  /**
   * Adds the gradient of ratings [from, to) into {@code userGrads} and {@code itemGrads}.
   *
   * @return the sum of squared errors of the batch, before any update
   */
  static double accumulate(DotBiasModel model, TrainingSet data, int from, int to,
      TouchedRows userGrads, TouchedRows itemGrads) {
    int k = model.factors();
    int width = k + 1;
    float[] userRows = model.userRows();
    float[] itemRows = model.itemRows();
    int[] users = data.users();
    int[] items = data.items();
    float[] ratings = data.ratings();
    double scale = 2.0 / (to - from);
    double squaredErrors = 0;
    for (int n = from; n < to; n++) {
      int u = users[n] * width;
      int v = items[n] * width;
      float dot = 0f;
      for (int f = 0; f < k; f++) {
        dot += userRows[u + f] * itemRows[v + f];
      }
      double z = dot + userRows[u + k] + itemRows[v + k];
      double error = model.output(z) - ratings[n];
      squaredErrors += error * error;
      float dz = (float) (scale * error * model.outputSlope(z));

      int gu = userGrads.gradientOffset(users[n]);
      int gv = itemGrads.gradientOffset(items[n]);
      float[] ug = userGrads.gradients();
      float[] vg = itemGrads.gradients();
      for (int f = 0; f < k; f++) {
        ug[gu + f] += dz * itemRows[v + f];
        vg[gv + f] += dz * userRows[u + f];
      }
      ug[gu + k] += dz;
      vg[gv + k] += dz;
    }
    return squaredErrors;
  }
}
