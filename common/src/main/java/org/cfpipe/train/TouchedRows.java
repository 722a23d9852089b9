package org.cfpipe.train;

import java.util.Arrays;

/**
 * The rows of one parameter table that the current batch touches, each with a compact gradient
 * slot. Finding or opening a slot is O(1) through a per-row (stamp, slot) pair kept side by side,
 * and clearing is O(1), so a batch costs time in proportion to the rows it touches, not to the
 * size of the table.
 */
public final class TouchedRows {
  private final int width;
  private final int[] stampAndSlot;
  private int[] rows;
  private float[] gradients;
  private int count;
  private int batch = 1;

  public TouchedRows(int tableRows, int width, int expectedRows) {
    this.width = width;
    this.stampAndSlot = new int[Math.multiplyExact(tableRows, 2)];
    this.rows = new int[Math.max(1, expectedRows)];
    this.gradients = new float[rows.length * width];
  }

  /** Forgets every touched row: the next batch starts empty. */
  public void clear() {
    batch++;
    count = 0;
  }

  /** The offset in {@link #gradients()} of {@code row}'s gradient, opening a zeroed slot. */
  public int gradientOffset(int row) {
    int at = row << 1;
    if (stampAndSlot[at] != batch) {
      stampAndSlot[at] = batch;
      if (count == rows.length) {
        rows = Arrays.copyOf(rows, rows.length * 2);
        gradients = Arrays.copyOf(gradients, rows.length * width);
      }
      stampAndSlot[at + 1] = count;
      rows[count] = row;
      Arrays.fill(gradients, count * width, (count + 1) * width, 0f);
      count++;
    }
    return stampAndSlot[at + 1] * width;
  }

  public int count() {
    return count;
  }

  /** Table row of slot {@code slot}. */
  public int row(int slot) {
    return rows[slot];
  }

  public float[] gradients() {
    return gradients;
  }
}
