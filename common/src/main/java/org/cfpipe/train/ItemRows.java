package org.cfpipe.train;

import java.io.Serializable;

/**
 * The item rows one shard touched in a round, with how many of its ratings touched each and
 * how many shards (1) touched it.
 */
public record ItemRows(int[] items, int[] counts, float[] rows, double squaredErrors)
    implements Serializable {

  public static ItemRows touched(ParameterTable table, TrainingSet ratings, int from, int to,
      double squaredErrors) {
    int[] counts = new int[table.rows()];
    for (int n = from; n < to; n++) {
      counts[ratings.items()[n]]++;
    }
    int touched = 0;
    for (int c : counts) {
      touched += c > 0 ? 1 : 0;
    }
    int stride = table.stride();
    int[] items = new int[touched];
    int[] kept = new int[touched];
    float[] rows = new float[touched * stride];
    for (int i = 0, k = 0; i < counts.length; i++) {
      if (counts[i] > 0) {
        items[k] = i;
        kept[k] = counts[i];
        System.arraycopy(table.data(), i * stride, rows, k * stride, stride);
        k++;
      }
    }
    return new ItemRows(items, kept, rows, squaredErrors);
  }
}
