package org.cfpipe.ingest;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pow;
import static org.apache.spark.sql.functions.sqrt;

import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.cfpipe.config.GenerateSettings;
import org.cfpipe.spark.HadoopFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The generate job: writes {@link SyntheticRatings} as MovieLens {@code ratings.csv} part files
 * under {@code OUTPUT/ratings/} (readable by ingest with the movielens-csv format) and the noise
 * floor beside them in {@code OUTPUT/oracle.json}.
 */
public final class GenerateStage {
  private static final Logger LOG = LoggerFactory.getLogger(GenerateStage.class);

  private GenerateStage() {}

  public static GenerateReport run(SparkSession spark, GenerateSettings settings, String output) {
    long start = System.nanoTime();
    HadoopFiles files = HadoopFiles.of(spark);
    Dataset<Row> ratings = SyntheticRatings.generate(spark, settings)
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      files.commit(output + "/ratings", temp -> ratings
          .select(col("user_id").as("userId"), col("item_id").as("movieId"), col("rating"),
              col("timestamp"))
          .write().mode(SaveMode.Overwrite).option("header", "true").csv(temp));
      Row stats = ratings.agg(count(lit(1)), countDistinct(col("user_id")),
          countDistinct(col("item_id")),
          sqrt(avg(pow(col("truth").minus(col("rating")), 2)))).first();
      GenerateReport report = new GenerateReport(settings, stats.getLong(0), stats.getLong(1),
          stats.getLong(2), stats.getDouble(3), (System.nanoTime() - start) / 1e9);
      files.writeJson(output + "/oracle.json", report);
      LOG.info(String.format(Locale.ROOT, "generate: %,d ratings of %,d users and %,d items, "
          + "noise floor (oracle RMSE) %.4f, in %.1f s, to %s", report.ratings(),
          report.distinctUsers(), report.distinctItems(), report.oracleRmse(), report.seconds(),
          output));
      return report;
    } finally {
      ratings.unpersist();
    }
  }
}
