package org.cfpipe.train;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.cfpipe.config.TrainSettings;

/**
 * A lazy optimizer over one parameter table: a step updates only the rows its batch touched. Its
 * state is one or two floats per parameter, saved and restored with checkpoints.
 */
interface RowOptimizer {

  /**
   * @param momentum Adam's beta1 or SGD's momentum at this step
   * @param step 1-based optimizer step
   */
  void update(float[] params, TouchedRows touched, double learningRate, double momentum,
      long step);

  void save(DataOutputStream out) throws IOException;

  void restore(DataInputStream in) throws IOException;

  static RowOptimizer create(TrainSettings settings, int parameters) {
    return switch (settings.optimizer()) {
      case ADAM -> new LazyAdam(parameters, settings.beta2(), settings.epsilon(),
          settings.weightDecay());
      case SGD -> new LazySgd(parameters, settings.weightDecay());
    };
  }

  static void write(DataOutputStream out, float[] values) throws IOException {
    out.writeInt(values.length);
    for (float v : values) {
      out.writeFloat(v);
    }
  }

  static void read(DataInputStream in, float[] values) throws IOException {
    int length = in.readInt();
    if (length != values.length) {
      throw new IOException("checkpoint holds " + length + " values where " + values.length
          + " are expected: was it written for another model shape?");
    }
    for (int j = 0; j < length; j++) {
      values[j] = in.readFloat();
    }
  }
}
