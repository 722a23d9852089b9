package org.cfpipe.analysis;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;

import org.apache.spark.ml.recommendation.ALS;
import org.apache.spark.ml.recommendation.ALSModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.cfpipe.spark.Joins;

/** Simpler models the report compares the run with, fitted on the run's own train split. */
final class Baselines {
  /** Koren's shrinkage for the item and the user biases. */
  private static final double ITEM_SHRINK = 25;
  private static final double USER_SHRINK = 10;
  private static final int ROUNDS = 5;

  private Baselines() {}

  /**
   * mean + b_u + b_i, the biases fitted by alternating regularised means
   * (b_i = sum(r - mean - b_u) / (25 + n_i), then b_u likewise with 10), five rounds.
   */
  static Dataset<Row> biases(Dataset<Row> train, Dataset<Row> validation, double mean) {
    Dataset<Row> users = train.select("user_index").distinct().withColumn("b_u", lit(0.0));
    Dataset<Row> items = null;
    for (int round = 0; round < ROUNDS; round++) {
      items = train.join(users, "user_index").groupBy("item_index")
          .agg(sum(col("rating").minus(lit(mean)).minus(col("b_u"))).as("s"),
              count(lit(1)).as("n"))
          .select(col("item_index"), col("s").divide(col("n").plus(lit(ITEM_SHRINK))).as("b_i"))
          .localCheckpoint();
      users = train.join(items, "item_index").groupBy("user_index")
          .agg(sum(col("rating").minus(lit(mean)).minus(col("b_i"))).as("s"),
              count(lit(1)).as("n"))
          .select(col("user_index"), col("s").divide(col("n").plus(lit(USER_SHRINK))).as("b_u"))
          .localCheckpoint();
    }
    return validation.join(users, Joins.using("user_index"), "left")
        .join(items, Joins.using("item_index"), "left")
        .withColumn("prediction", lit(mean).plus(coalesce(col("b_u"), lit(0.0)))
            .plus(coalesce(col("b_i"), lit(0.0))));
  }

  /** Spark ML's ALS with its usual settings (10 iterations, regParam 0.1) at the run's rank. */
  static Dataset<Row> als(Dataset<Row> train, Dataset<Row> validation, int rank) {
    ALSModel model = new ALS().setRank(rank).setMaxIter(10).setRegParam(0.1).setSeed(42)
        .setUserCol("user_index").setItemCol("item_index").setRatingCol("rating")
        .setColdStartStrategy("drop").fit(train);
    return model.transform(validation).withColumn("prediction",
        col("prediction").cast("double"));
  }
}
