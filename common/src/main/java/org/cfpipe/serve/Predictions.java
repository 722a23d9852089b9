package org.cfpipe.serve;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF4;
import org.apache.spark.sql.types.DataTypes;
import org.cfpipe.ids.EncodeStage;
import org.cfpipe.ingest.InputException;
import org.cfpipe.spark.Joins;
import scala.collection.Seq;

/**
 * Scores (user_id, item_id) pairs with a published run. A pair whose user or item has no factors
 * gets {@link PairScorer#fallback}: the training mean moved by the known side's bias; its
 * {@code fallback} column says which side was unknown ({@code unknown_user}, {@code unknown_item},
 * {@code unknown_user_and_item}; null when the model scored the pair).
 */
public final class Predictions {
  public static final String PREDICTION = "prediction";
  public static final String FALLBACK = "fallback";

  private Predictions() {}

  /** {@code pairs} with its user_id and item_id (cast to the run's id type) and the two columns. */
  public static Dataset<Row> run(SparkSession spark, PublishedRun published, Dataset<Row> pairs,
      String source) {
    for (String column : new String[] {EncodeStage.USER_ID, EncodeStage.ITEM_ID}) {
      if (!java.util.List.of(pairs.columns()).contains(column)) {
        throw new InputException("the pairs in " + source + " lack the column " + column
            + "; their columns are " + java.util.List.of(pairs.columns()));
      }
    }
    Dataset<Row> users = published.userFactors(spark).select(col(EncodeStage.USER_ID),
        col("factors").as("u_factors"), col("bias").as("u_bias"));
    Dataset<Row> items = published.itemFactors(spark).select(col(EncodeStage.ITEM_ID),
        col("factors").as("v_factors"), col("bias").as("v_bias"));
    Dataset<Row> typed = pairs
        .withColumn(EncodeStage.USER_ID, col(EncodeStage.USER_ID)
            .cast(users.schema().apply(EncodeStage.USER_ID).dataType()))
        .withColumn(EncodeStage.ITEM_ID, col(EncodeStage.ITEM_ID)
            .cast(items.schema().apply(EncodeStage.ITEM_ID).dataType()));
    PairScorer scorer = new PairScorer(published.model());
    double mean = published.trainMean();
    UDF4<Seq<Object>, Float, Seq<Object>, Float, Double> predict = (u, ub, v, vb) -> {
      if (u != null && v != null) {
        return scorer.score(floats(u), ub == null ? 0f : ub, floats(v), vb == null ? 0f : vb);
      }
      float known = u != null && ub != null ? ub : v != null && vb != null ? vb : 0f;
      return scorer.fallback(mean, known);
    };
    Column unknownUser = col("u_factors").isNull();
    Column unknownItem = col("v_factors").isNull();
    Column[] columns = new Column[typed.columns().length + 2];
    for (int j = 0; j < typed.columns().length; j++) {
      columns[j] = col(typed.columns()[j]);
    }
    columns[columns.length - 2] = udf(predict, DataTypes.DoubleType).apply(col("u_factors"),
        col("u_bias"), col("v_factors"), col("v_bias")).as(PREDICTION);
    columns[columns.length - 1] = when(unknownUser.and(unknownItem),
            lit("unknown_user_and_item"))
        .when(unknownUser, lit("unknown_user"))
        .when(unknownItem, lit("unknown_item")).as(FALLBACK);
    return typed.join(users, Joins.using(EncodeStage.USER_ID), "left")
        .join(items, Joins.using(EncodeStage.ITEM_ID), "left")
        .select(columns);
  }

  private static float[] floats(Seq<Object> values) {
    float[] out = new float[values.length()];
    for (int j = 0; j < out.length; j++) {
      out[j] = (Float) values.apply(j);
    }
    return out;
  }
}
