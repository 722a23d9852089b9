package org.cfpipe.train.dl4j;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.cfpipe.train.Seeds;
import org.cfpipe.train.TrainingSet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Ratings as DL4J mini-batches: features {@code [user index, item index]} as two n x 1 columns,
 * labels the rating and zeros for the penalty outputs.
 */
final class Batches {
  private Batches() {}

  /**
   * The ratings at positions order[from..to) as one mini-batch, with zero labels of
   * {@code labelWidths[1...]} for the penalty outputs ({@link ModelGraph#labelWidths}).
   */
  static MultiDataSet of(TrainingSet data, int[] order, int from, int to, int[] labelWidths) {
    int n = to - from;
    float[] users = new float[n];
    float[] items = new float[n];
    float[] ratings = new float[n];
    for (int j = 0; j < n; j++) {
      int r = order[from + j];
      users[j] = data.users()[r];
      items[j] = data.items()[r];
      ratings[j] = data.ratings()[r];
    }
    INDArray[] labels = new INDArray[labelWidths.length];
    labels[0] = column(ratings);
    for (int j = 1; j < labels.length; j++) {
      labels[j] = Nd4j.zeros(DataType.FLOAT, n, labelWidths[j]);
    }
    return new org.nd4j.linalg.dataset.MultiDataSet(
        new INDArray[] {column(users), column(items)}, labels);
  }

  private static INDArray column(float[] values) {
    return Nd4j.create(values, new long[] {values.length, 1}, 'c');
  }

  /**
   * Batches [first, end) of each partition of {@code (user_index, item_index, rating)} rows, the
   * partition shuffled by (seed, epoch, partition) and cut into batches of {@code batchSize}.
   */
  static JavaRDD<MultiDataSet> rdd(JavaRDD<Row> rows, int batchSize, int[] labelWidths,
      long seed, int epoch, long first, long end) {
    return rows.mapPartitionsWithIndex((partition, it) -> {
      TrainingSet data = TrainingSet.sorted(it);
      int[] order = Seeds.permutation(data.size(),
          new SplittableRandom(Seeds.mix(seed, epoch, partition)));
      List<MultiDataSet> out = new ArrayList<>();
      for (long b = first; b < end && b * batchSize < data.size(); b++) {
        int from = (int) (b * batchSize);
        out.add(of(data, order, from, Math.min(data.size(), from + batchSize), labelWidths));
      }
      Iterator<MultiDataSet> batches = out.iterator();
      return batches;
    }, true);
  }
}
