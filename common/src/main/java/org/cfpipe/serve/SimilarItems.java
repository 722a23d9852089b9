package org.cfpipe.serve;

import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cfpipe.ids.EncodeStage;

/**
 * The N nearest items of every item by the cosine of their factor vectors (biases play no
 * part), by the blocked {@link TopK}. Output: item_id, rank (1 = nearest), similar_item_id,
 * cosine and, when the run has titles, title and similar_title.
 */
public final class SimilarItems {
  private SimilarItems() {}

  public static Dataset<Row> run(SparkSession spark, PublishedRun published, int n) {
    Dataset<Row> items = published.itemFactors(spark);
    JavaRDD<TopK.Candidate> unit = Recommendations.candidates(
        items.select(EncodeStage.ITEM_INDEX, "factors", "bias"))
        .map(c -> new TopK.Candidate(c.key(), normalised(c.vector()), 0f));
    JavaRDD<TopK.Query> queries = unit.map(c -> new TopK.Query(c.key(), c.vector(), 0f,
        new int[] {c.key()}));
    JavaPairRDD<Integer, TopK.Ranked> best = TopK.of(queries, unit,
        (q, qb, c, cb) -> dot(q, c), n, Recommendations.BLOCK);
    Dataset<Row> ranked = spark.createDataFrame(best.flatMap(Recommendations::rows).rdd(),
        new StructType().add("query_index", DataTypes.IntegerType, false)
            .add("rank", DataTypes.IntegerType, false)
            .add("similar_index", DataTypes.IntegerType, false)
            .add("cosine", DataTypes.DoubleType, false));
    boolean titles = List.of(items.columns()).contains("title");
    Dataset<Row> query = items.selectExpr(EncodeStage.ITEM_INDEX + " AS query_index",
        EncodeStage.ITEM_ID, titles ? "title" : "NULL AS title");
    Dataset<Row> similar = items.selectExpr(EncodeStage.ITEM_INDEX + " AS similar_index",
        EncodeStage.ITEM_ID + " AS similar_item_id",
        titles ? "title AS similar_title" : "NULL AS similar_title");
    Dataset<Row> out = ranked.join(query, "query_index").join(similar, "similar_index");
    return titles
        ? out.select(EncodeStage.ITEM_ID, "rank", "similar_item_id", "cosine", "title",
            "similar_title")
        : out.select(EncodeStage.ITEM_ID, "rank", "similar_item_id", "cosine");
  }

  /** The unit vector; a zero vector stays zero (its cosine with anything is 0). */
  static float[] normalised(float[] v) {
    double norm = Math.sqrt(dot(v, v));
    float[] out = new float[v.length];
    for (int j = 0; j < v.length; j++) {
      out[j] = norm == 0 ? 0f : (float) (v[j] / norm);
    }
    return out;
  }

  private static double dot(float[] a, float[] b) {
    double sum = 0;
    for (int j = 0; j < a.length; j++) {
      sum += (double) a[j] * b[j];
    }
    return sum;
  }
}
