package org.cfpipe.train;

/**
 * SGD with heavy-ball momentum (Polyak 1964, in PyTorch's form) and decoupled weight decay,
 * applied lazily to the rows a batch touched. The velocity sits in the row after its parameters.
 *
 * <pre>
 *   w &larr; w (1 - lr wd)      b &larr; mu b + g      w &larr; w - lr b
 * </pre>
 */
public final class LazySgd implements RowOptimizer {
  private final double weightDecay;

  public LazySgd(double weightDecay) {
    this.weightDecay = weightDecay;
  }

  @Override
  public int stateSlots() {
    return 1;
  }

  @Override
  public void update(ParameterTable table, TouchedRows touched, double learningRate,
      double momentum, long step) {
    int width = table.width();
    int stride = table.stride();
    float[] data = table.data();
    float[] grads = touched.gradients();
    float mu = (float) momentum;
    float lr = (float) learningRate;
    float decay = (float) (1 - learningRate * weightDecay);
    for (int s = 0, n = touched.count(); s < n; s++) {
      int p = touched.row(s) * stride;
      int b = p + width;
      int g = s * width;
      for (int j = 0; j < width; j++) {
        float velocity = mu * data[b + j] + grads[g + j];
        data[b + j] = velocity;
        data[p + j] = data[p + j] * decay - lr * velocity;
      }
    }
  }
}
