package org.cfpipe.train;

/**
 * One side's (the users' or the items') training state in one flat array: each row holds its
 * parameters (factors, then the bias) followed by its optimizer state, so that a step reads and
 * writes one contiguous run of memory per touched row instead of one per array.
 */
public final class ParameterTable implements java.io.Serializable {
  private static final long serialVersionUID = 1L;

  private final int rows;
  private final int width;
  private final int stride;
  private final float[] data;

  /**
   * @param stateSlots optimizer floats per parameter (Adam 2, SGD 1)
   */
  public ParameterTable(int rows, int width, int stateSlots) {
    this(rows, width, width * (1 + stateSlots), new float[Math.multiplyExact(rows,
        width * (1 + stateSlots))]);
  }

  /** A table over existing data (a copy made by the caller, or one to share). */
  public ParameterTable(int rows, int width, int stride, float[] data) {
    if (data.length != (long) rows * stride) {
      throw new IllegalArgumentException("table data of " + data.length + " floats for " + rows
          + " rows of " + stride);
    }
    this.rows = rows;
    this.width = width;
    this.stride = stride;
    this.data = data;
  }

  /** A deep copy. */
  public ParameterTable copy() {
    return new ParameterTable(rows, width, stride, data.clone());
  }

  /** Copies a model's rows (width floats each) into the parameter part of each row. */
  public void load(float[] params) {
    for (int r = 0; r < rows; r++) {
      System.arraycopy(params, r * width, data, r * stride, width);
    }
  }

  /** Copies the parameter part of each row out into a model's rows. */
  public void store(float[] params) {
    for (int r = 0; r < rows; r++) {
      System.arraycopy(data, r * stride, params, r * width, width);
    }
  }

  public int rows() {
    return rows;
  }

  public int width() {
    return width;
  }

  /** Floats from one row to the next. */
  public int stride() {
    return stride;
  }

  public float[] data() {
    return data;
  }
}
