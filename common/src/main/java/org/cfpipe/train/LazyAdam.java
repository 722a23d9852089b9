package org.cfpipe.train;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * Adam (Kingma and Ba 2015) with decoupled weight decay (AdamW, Loshchilov and Hutter 2019),
 * applied lazily: a step updates the moments, the decay and the value of the rows its batch
 * touched and leaves every other row as it is (as TensorFlow's LazyAdam). Bias correction uses the
 * global step, as fastai does with a cycled beta1.
 *
 * <pre>
 *   w &larr; w (1 - lr wd)
 *   m &larr; b1 m + (1 - b1) g          v &larr; b2 v + (1 - b2) g^2
 *   w &larr; w - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * </pre>
 */
final class LazyAdam implements RowOptimizer {
  private final float[] firstMoment;
  private final float[] secondMoment;
  private final double beta2;
  private final double epsilon;
  private final double weightDecay;

  LazyAdam(int parameters, double beta2, double epsilon, double weightDecay) {
    this.firstMoment = new float[parameters];
    this.secondMoment = new float[parameters];
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.weightDecay = weightDecay;
  }

  @Override
  public void update(float[] params, TouchedRows touched, double learningRate, double beta1,
      long step) {
    int width = touched.width();
    float[] grads = touched.gradients();
    float b1 = (float) beta1;
    float b2 = (float) beta2;
    float stepSize = (float) (learningRate / (1 - Math.pow(beta1, step)));
    float secondCorrection = (float) (1 / (1 - Math.pow(beta2, step)));
    float decay = (float) (1 - learningRate * weightDecay);
    float eps = (float) epsilon;
    for (int s = 0, n = touched.count(); s < n; s++) {
      int p = touched.row(s) * width;
      int g = s * width;
      for (int j = 0; j < width; j++) {
        float grad = grads[g + j];
        float m = b1 * firstMoment[p + j] + (1 - b1) * grad;
        float v = b2 * secondMoment[p + j] + (1 - b2) * grad * grad;
        firstMoment[p + j] = m;
        secondMoment[p + j] = v;
        params[p + j] = params[p + j] * decay
            - stepSize * m / ((float) Math.sqrt(v * secondCorrection) + eps);
      }
    }
  }

  @Override
  public void save(DataOutputStream out) throws IOException {
    RowOptimizer.write(out, firstMoment);
    RowOptimizer.write(out, secondMoment);
  }

  @Override
  public void restore(DataInputStream in) throws IOException {
    RowOptimizer.read(in, firstMoment);
    RowOptimizer.read(in, secondMoment);
  }
}
