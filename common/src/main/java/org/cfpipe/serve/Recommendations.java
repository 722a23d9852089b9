package org.cfpipe.serve;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cfpipe.ids.EncodeStage;
import org.cfpipe.spark.Joins;
import scala.Tuple2;

/**
 * Top-N items per user from a published run, leaving out the items each user has rated, by the
 * blocked {@link TopK}. Output: user_id, rank (1 = best), item_id, score (the predicted rating)
 * and, when the run has titles, title.
 */
public final class Recommendations {
  /** Rows per block: 4096 x 4096 pairs per task, as Spark ALS. */
  public static final int BLOCK = 4096;

  private Recommendations() {}

  /**
   * @param users the user_id column of the users to recommend to; empty for every user with
   *     factors (requested users without factors get no rows)
   * @param rated (user_id, item_id) pairs to leave out: what each user has already rated
   */
  public static Dataset<Row> run(SparkSession spark, PublishedRun published, int n,
      Optional<Dataset<Row>> users, Dataset<Row> rated) {
    // The top-N model's rows when the run has one (metadata.json's ranking.recommend_from).
    Dataset<Row> userFactors = published.listUserFactors(spark);
    Dataset<Row> itemFactors = published.listItemFactors(spark);
    if (users.isPresent()) {
      userFactors = userFactors.join(users.get().select(EncodeStage.USER_ID).distinct(),
          EncodeStage.USER_ID);
    }
    Dataset<Row> exclude = rated.select(EncodeStage.USER_ID, EncodeStage.ITEM_ID)
        .join(userFactors.select(EncodeStage.USER_ID, EncodeStage.USER_INDEX),
            EncodeStage.USER_ID)
        .join(itemFactors.select(EncodeStage.ITEM_ID, EncodeStage.ITEM_INDEX),
            EncodeStage.ITEM_ID)
        .groupBy(EncodeStage.USER_INDEX)
        .agg(collect_list(EncodeStage.ITEM_INDEX).as("exclude"));
    Dataset<Row> queries = userFactors.join(exclude,
            Joins.using(EncodeStage.USER_INDEX), "left")
        .select(col(EncodeStage.USER_INDEX), col("factors"), col("bias"), col("exclude"));
    PairScorer scorer = new PairScorer(published.listModel());
    JavaPairRDD<Integer, TopK.Ranked> best = TopK.of(queries(queries), candidates(
        itemFactors.select(EncodeStage.ITEM_INDEX, "factors", "bias")), scorer::score, n, BLOCK);
    Dataset<Row> ranked = spark.createDataFrame(best.flatMap(Recommendations::rows).rdd(),
        new StructType().add(EncodeStage.USER_INDEX, DataTypes.IntegerType, false)
            .add("rank", DataTypes.IntegerType, false)
            .add(EncodeStage.ITEM_INDEX, DataTypes.IntegerType, false)
            .add("score", DataTypes.DoubleType, false));
    List<String> itemColumns = new ArrayList<>(List.of(EncodeStage.ITEM_INDEX,
        EncodeStage.ITEM_ID));
    if (List.of(itemFactors.columns()).contains("title")) {
      itemColumns.add("title");
    }
    Dataset<Row> out = ranked
        .join(userFactors.select(EncodeStage.USER_INDEX, EncodeStage.USER_ID),
            EncodeStage.USER_INDEX)
        .join(itemFactors.selectExpr(itemColumns.toArray(String[]::new)), EncodeStage.ITEM_INDEX);
    List<String> columns = new ArrayList<>(List.of(EncodeStage.USER_ID, "rank",
        EncodeStage.ITEM_ID, "score"));
    columns.addAll(itemColumns.subList(2, itemColumns.size()));
    return out.selectExpr(columns.toArray(String[]::new));
  }

  static Iterator<Row> rows(Tuple2<Integer, TopK.Ranked> entry) {
    TopK.Ranked r = entry._2();
    List<Row> out = new ArrayList<>(r.size());
    for (int j = 0; j < r.size(); j++) {
      out.add(RowFactory.create(entry._1(), j + 1, r.keys()[j], r.scores()[j]));
    }
    return out.iterator();
  }

  /** (index, factors, bias, exclude) rows as queries; null bias is 0, null exclude is none. */
  public static JavaRDD<TopK.Query> queries(Dataset<Row> rows) {
    return rows.toJavaRDD().map(row -> {
      int[] exclude = new int[0];
      if (!row.isNullAt(3)) {
        List<Integer> list = new ArrayList<>(row.getList(3));
        Collections.sort(list);
        exclude = list.stream().mapToInt(Integer::intValue).toArray();
      }
      return new TopK.Query(row.getInt(0), floats(row, 1), row.isNullAt(2) ? 0f
          : row.getFloat(2), exclude);
    });
  }

  /** (index, factors, bias) rows as candidates. */
  public static JavaRDD<TopK.Candidate> candidates(Dataset<Row> rows) {
    return rows.toJavaRDD().map(row -> new TopK.Candidate(row.getInt(0), floats(row, 1),
        row.isNullAt(2) ? 0f : row.getFloat(2)));
  }

  static float[] floats(Row row, int column) {
    List<Float> values = row.getList(column);
    float[] out = new float[values.size()];
    for (int j = 0; j < out.length; j++) {
      out[j] = values.get(j);
    }
    return out;
  }
}
