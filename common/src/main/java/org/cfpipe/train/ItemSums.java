package org.cfpipe.train;

import java.io.Serializable;
import org.cfpipe.config.TrainSettings;

/** Touch-weighted sums of the shards' item rows, reduced on the way to the driver. */
public final class ItemSums implements Serializable {
  private static final long serialVersionUID = 1L;
  private final int stride;
  private final double[] weighted;
  private final long[] counts;
  private final int[] shards;
  private double squaredErrors;

  public ItemSums(int items, int stride) {
    this.stride = stride;
    this.weighted = new double[Math.multiplyExact(items, stride)];
    this.counts = new long[items];
    this.shards = new int[items];
  }

  public static ItemSums add(ItemSums sums, ItemRows rows) {
    for (int k = 0; k < rows.items().length; k++) {
      int item = rows.items()[k];
      int count = rows.counts()[k];
      sums.counts[item] += count;
      sums.shards[item]++;
      for (int j = 0; j < sums.stride; j++) {
        sums.weighted[item * sums.stride + j] += (double) count * rows.rows()[k * sums.stride + j];
      }
    }
    sums.squaredErrors += rows.squaredErrors();
    return sums;
  }

  public static ItemSums merge(ItemSums a, ItemSums b) {
    for (int j = 0; j < a.weighted.length; j++) {
      a.weighted[j] += b.weighted[j];
    }
    for (int i = 0; i < a.counts.length; i++) {
      a.counts[i] += b.counts[i];
      a.shards[i] += b.shards[i];
    }
    a.squaredErrors += b.squaredErrors;
    return a;
  }

  /**
   * Replaces every touched item row of {@code table}: each float by its touch-weighted mean
   * over the shards; with {@code SUM_DELTAS}, the first {@code width} (the parameters) instead
   * by the old value plus the shards' summed changes, which is the old value plus the number of
   * shards that touched the row times the mean change.
   */
  public void mergeInto(ParameterTable table, int width, TrainSettings.Merge merge) {
    float[] data = table.data();
    for (int i = 0; i < counts.length; i++) {
      if (counts[i] == 0) {
        continue;
      }
      for (int j = 0; j < stride; j++) {
        double mean = weighted[i * stride + j] / counts[i];
        int at = i * stride + j;
        data[at] = j < width && merge == TrainSettings.Merge.SUM_DELTAS
            ? (float) (data[at] + shards[i] * (mean - data[at]))
            : (float) mean;
      }
    }
  }

  /** The squared errors the shards reported. */
  public double squaredErrors() {
    return squaredErrors;
  }
}
