package org.cfpipe.train.dl4j;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.cfpipe.train.Seeds;
import org.cfpipe.train.TrainingSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Ratings as DL4J mini-batches: features {@code [user index, item index]} as two n x 1 columns,
 * the label the rating.
 */
final class Batches {
  private Batches() {}

  /** The ratings at positions order[from..to) as one mini-batch. */
  static MultiDataSet of(TrainingSet data, int[] order, int from, int to) {
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
    return new org.nd4j.linalg.dataset.MultiDataSet(
        new org.nd4j.linalg.api.ndarray.INDArray[] {column(users), column(items)},
        new org.nd4j.linalg.api.ndarray.INDArray[] {column(ratings)});
  }

  private static org.nd4j.linalg.api.ndarray.INDArray column(float[] values) {
    return Nd4j.create(values, new long[] {values.length, 1}, 'c');
  }

  /**
   * One epoch of mini-batches of {@code (user_index, item_index, rating)} rows, each partition
   * shuffled by (seed, epoch, partition) and cut into batches of {@code batchSize}.
   */
  static JavaRDD<MultiDataSet> rdd(JavaRDD<Row> rows, int batchSize, long seed, int epoch) {
    return rows.mapPartitionsWithIndex((partition, it) -> {
      TrainingSet data = TrainingSet.sorted(it);
      int[] order = Seeds.permutation(data.size(),
          new SplittableRandom(Seeds.mix(seed, epoch, partition)));
      List<MultiDataSet> out = new ArrayList<>();
      for (int from = 0; from < data.size(); from += batchSize) {
        out.add(of(data, order, from, Math.min(data.size(), from + batchSize)));
      }
      Iterator<MultiDataSet> batches = out.iterator();
      return batches;
    }, true);
  }
}
