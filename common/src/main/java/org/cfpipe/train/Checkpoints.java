package org.cfpipe.train;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Optional;

/** Where a trainer saves its state after each epoch and finds it again to resume. */
public interface Checkpoints {

  /** Writes the state after {@code epoch}; a reader never sees a half-written checkpoint. */
  void save(int epoch, Writer writer);

  /** The newest complete checkpoint, if there is one. */
  Optional<DataInputStream> latest();

  /** Writes a checkpoint's bytes. */
  @FunctionalInterface
  interface Writer {
    void write(DataOutputStream out) throws IOException;
  }

  /** Writes the training history: the number of epochs, then each epoch's statistics. */
  static void writeHistory(DataOutputStream out, java.util.List<EpochStats> history)
      throws IOException {
    out.writeInt(history.size());
    for (EpochStats e : history) {
      out.writeInt(e.epoch());
      for (double value : new double[] {e.trainLoss(), e.validRmse(), e.validMae(),
          e.learningRate(), e.ratingsPerSecond(), e.elapsedSeconds()}) {
        out.writeDouble(value);
      }
    }
  }

  /** Reads what {@link #writeHistory} wrote. */
  static java.util.List<EpochStats> readHistory(DataInputStream in) throws IOException {
    int epochs = in.readInt();
    java.util.List<EpochStats> history = new java.util.ArrayList<>(epochs);
    for (int e = 0; e < epochs; e++) {
      history.add(new EpochStats(in.readInt(), in.readDouble(), in.readDouble(),
          in.readDouble(), in.readDouble(), in.readDouble(), in.readDouble()));
    }
    return history;
  }

  /** Writes a length and the values. */
  static void writeFloats(DataOutputStream out, float[] values) throws IOException {
    out.writeInt(values.length);
    for (float v : values) {
      out.writeFloat(v);
    }
  }

  /** Reads what {@link #writeFloats} wrote. */
  static float[] readFloats(DataInputStream in) throws IOException {
    float[] values = new float[in.readInt()];
    for (int j = 0; j < values.length; j++) {
      values[j] = in.readFloat();
    }
    return values;
  }

  /** Reads what {@link #writeFloats} wrote into {@code values}, which must have its length. */
  static void readFloats(DataInputStream in, float[] values) throws IOException {
    float[] read = readFloats(in);
    if (read.length != values.length) {
      throw new IOException("checkpoint holds " + read.length + " values where " + values.length
          + " are expected: was it written for another model shape?");
    }
    System.arraycopy(read, 0, values, 0, read.length);
  }

  /** Writes a length and the values. */
  static void writeDoubles(DataOutputStream out, double[] values) throws IOException {
    out.writeInt(values.length);
    for (double v : values) {
      out.writeDouble(v);
    }
  }

  /** Reads what {@link #writeDoubles} wrote into {@code values}, which must have its length. */
  static void readDoubles(DataInputStream in, double[] values) throws IOException {
    int length = in.readInt();
    if (length != values.length) {
      throw new IOException("checkpoint holds " + length + " values where " + values.length
          + " are expected: was it written for another model shape?");
    }
    for (int j = 0; j < values.length; j++) {
      values[j] = in.readDouble();
    }
  }

  /**
   * Reads what {@link #writeDoubles} wrote into the first values of {@code values}, which may be
   * longer (a table that has grown since); returns how many were read.
   */
  static int readDoublesInto(DataInputStream in, double[] values) throws IOException {
    int length = in.readInt();
    if (length > values.length) {
      throw new IOException(length + " values stored where at most " + values.length
          + " fit");
    }
    for (int j = 0; j < length; j++) {
      values[j] = in.readDouble();
    }
    return length;
  }

  /** No checkpoints: nothing is saved and there is nothing to resume from. */
  Checkpoints NONE = new Checkpoints() {
    @Override
    public void save(int epoch, Writer writer) {}

    @Override
    public Optional<DataInputStream> latest() {
      return Optional.empty();
    }
  };
}
