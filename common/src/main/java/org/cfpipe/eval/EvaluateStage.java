package org.cfpipe.eval;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sqrt;

import java.util.Locale;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cfpipe.ids.EncodeStage;
import org.cfpipe.model.ModelInfo;
import org.cfpipe.model.ModelStore;
import org.cfpipe.spark.HadoopFiles;
import org.cfpipe.spark.RunLayout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The evaluate stage: joins the validation ratings to the stored user and item parameters and
 * computes RMSE and MAE in Spark, independently of the trainer's in-memory model.
 */
public final class EvaluateStage {
  private static final Logger LOG = LoggerFactory.getLogger(EvaluateStage.class);
  public static final String NAME = "evaluate";
  public static final String PREDICTION = "prediction";

  private EvaluateStage() {}

  public static EvaluationReport run(SparkSession spark, RunLayout layout) {
    long start = System.nanoTime();
    HadoopFiles files = HadoopFiles.of(spark);
    ModelInfo info = files.readJson(layout.modelJson(), ModelInfo.class);
    Dataset<Row> scored = score(info, spark.read().parquet(layout.validation()),
        spark.read().parquet(layout.modelUsers()), spark.read().parquet(layout.modelItems()));
    Column error = col(PREDICTION).minus(col("rating"));
    Row metrics = scored.agg(count(lit(1)), sqrt(avg(error.multiply(error))), avg(abs(error)))
        .first();
    // An empty validation set has no mean: report NaN rather than fail after training.
    EvaluationReport report = new EvaluationReport(metrics.getLong(0),
        metrics.isNullAt(1) ? Double.NaN : metrics.getDouble(1),
        metrics.isNullAt(2) ? Double.NaN : metrics.getDouble(2),
        (System.nanoTime() - start) / 1e9);
    files.writeJson(layout.report(NAME), report);
    LOG.info(String.format(Locale.ROOT, "evaluate: %d validation ratings, RMSE %.4f, MAE %.4f",
        report.validRows(), report.validRmse(), report.validMae()));
    return report;
  }

  /** {@code ratings} (user_index, item_index, ...) with a {@code prediction} column added. */
  public static Dataset<Row> score(ModelInfo info, Dataset<Row> ratings, Dataset<Row> users,
      Dataset<Row> items) {
    Dataset<Row> u = users.select(col(ModelStore.INDEX).as(EncodeStage.USER_INDEX),
        col(ModelStore.FACTORS).as("u_factors"), col(ModelStore.BIAS).as("u_bias"));
    Dataset<Row> v = items.select(col(ModelStore.INDEX).as(EncodeStage.ITEM_INDEX),
        col(ModelStore.FACTORS).as("v_factors"), col(ModelStore.BIAS).as("v_bias"));
    return ratings.join(u, EncodeStage.USER_INDEX).join(v, EncodeStage.ITEM_INDEX)
        .withColumn(PREDICTION, PredictionColumn.of(info, col("u_factors"), col("u_bias"),
            col("v_factors"), col("v_bias")))
        .drop("u_factors", "u_bias", "v_factors", "v_bias");
  }
}
