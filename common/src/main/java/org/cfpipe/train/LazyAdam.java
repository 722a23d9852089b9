package org.cfpipe.train;

/**
 * Adam (Kingma and Ba 2015) with decoupled weight decay (AdamW, Loshchilov and Hutter 2019),
 * applied lazily: a step updates the moments, the decay and the value of the rows its batch
 * touched and leaves every other row as it is (as TensorFlow's LazyAdam). Bias correction uses the
 * global step, as fastai does with a cycled beta1. The two moments sit in the row after its
 * parameters.
 *
 * <pre>
 *   w &larr; w (1 - lr wd)
 *   m &larr; b1 m + (1 - b1) g          v &larr; b2 v + (1 - b2) g^2
 *   w &larr; w - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * </pre>
 */
public final class LazyAdam implements RowOptimizer {
  private final double beta2;
  private final double epsilon;
  private final double weightDecay;

  public LazyAdam(double beta2, double epsilon, double weightDecay) {
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.weightDecay = weightDecay;
  }

  @Override
  public int stateSlots() {
    return 2;
  }

  @Override
  public void update(ParameterTable table, TouchedRows touched, double learningRate,
      double beta1, long step) {
    int width = table.width();
    int stride = table.stride();
    float[] data = table.data();
    float[] grads = touched.gradients();
    float b1 = (float) beta1;
    float b2 = (float) beta2;
    float stepSize = (float) (learningRate / (1 - Math.pow(beta1, step)));
    float secondCorrection = (float) (1 / (1 - Math.pow(beta2, step)));
    float decay = (float) (1 - learningRate * weightDecay);
    float eps = (float) epsilon;
    for (int s = 0, n = touched.count(); s < n; s++) {
      int p = touched.row(s) * stride;
      int m = p + width;
      int v = m + width;
      int g = s * width;
      for (int j = 0; j < width; j++) {
        float grad = grads[g + j];
        float first = b1 * data[m + j] + (1 - b1) * grad;
        float second = b2 * data[v + j] + (1 - b2) * grad * grad;
        data[m + j] = first;
        data[v + j] = second;
        data[p + j] = data[p + j] * decay
            - stepSize * first / ((float) Math.sqrt(second * secondCorrection) + eps);
      }
    }
  }
}
