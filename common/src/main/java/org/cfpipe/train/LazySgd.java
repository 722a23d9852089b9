package org.cfpipe.train;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * SGD with heavy-ball momentum (Polyak 1964, in PyTorch's form) and decoupled weight decay,
 * applied lazily to the rows a batch touched:
 *
 * <pre>
 *   w &larr; w (1 - lr wd)      b &larr; mu b + g      w &larr; w - lr b
 * </pre>
 */
final class LazySgd implements RowOptimizer {
  private final float[] velocity;
  private final double weightDecay;

  LazySgd(int parameters, double weightDecay) {
    this.velocity = new float[parameters];
    this.weightDecay = weightDecay;
  }

  @Override
  public void update(float[] params, TouchedRows touched, double learningRate, double momentum,
      long step) {
    int width = touched.width();
    float[] grads = touched.gradients();
    float mu = (float) momentum;
    float lr = (float) learningRate;
    float decay = (float) (1 - learningRate * weightDecay);
    for (int s = 0, n = touched.count(); s < n; s++) {
      int p = touched.row(s) * width;
      int g = s * width;
      for (int j = 0; j < width; j++) {
        float b = mu * velocity[p + j] + grads[g + j];
        velocity[p + j] = b;
        params[p + j] = params[p + j] * decay - lr * b;
      }
    }
  }

  @Override
  public void save(DataOutputStream out) throws IOException {
    RowOptimizer.write(out, velocity);
  }

  @Override
  public void restore(DataInputStream in) throws IOException {
    RowOptimizer.read(in, velocity);
  }
}
