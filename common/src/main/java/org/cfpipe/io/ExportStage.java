package org.cfpipe.io;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cfpipe.eval.EvaluateStage;
import org.cfpipe.eval.EvaluationReport;
import org.cfpipe.ids.EncodeReport;
import org.cfpipe.ids.EncodeStage;
import org.cfpipe.ingest.IngestReport;
import org.cfpipe.ingest.IngestStage;
import org.cfpipe.model.ModelStore;
import org.cfpipe.spark.HadoopFiles;
import org.cfpipe.spark.RunLayout;
import org.cfpipe.split.SplitReport;
import org.cfpipe.split.SplitStage;
import org.cfpipe.train.TrainReport;
import org.cfpipe.train.TrainStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The export stage: publishes {@code user_factors} and {@code item_factors} keyed by the original
 * ids (user_id or item_id with its input type, index, train_ratings, bias, factors as
 * array&lt;float&gt;), only for ids that have training ratings, and writes {@code metrics.json}
 * and {@code settings.json} from the stages' reports.
 */
public final class ExportStage {
  private static final Logger LOG = LoggerFactory.getLogger(ExportStage.class);
  public static final String NAME = "export";
  public static final String TRAIN_RATINGS = "train_ratings";

  private ExportStage() {}

  public static RunMetrics run(SparkSession spark, RunLayout layout, String resolvedSettings) {
    long start = System.nanoTime();
    HadoopFiles files = HadoopFiles.of(spark);
    Dataset<Row> train = spark.read().parquet(layout.train());
    files.commitParquet(factorTable(train, spark.read().parquet(layout.modelUsers()),
        spark.read().parquet(layout.userIds()), EncodeStage.USER_ID, EncodeStage.USER_INDEX),
        layout.userFactors());
    Dataset<Row> items = factorTable(train, spark.read().parquet(layout.modelItems()),
        spark.read().parquet(layout.itemIds()), EncodeStage.ITEM_ID, EncodeStage.ITEM_INDEX);
    if (files.exists(layout.itemTitles())) {
      items = withTitles(items, spark.read().parquet(layout.itemTitles()));
    }
    files.commitParquet(items, layout.itemFactors());

    IngestReport ingest = files.readJson(layout.report(IngestStage.NAME), IngestReport.class);
    EncodeReport encode = files.readJson(layout.report(EncodeStage.NAME), EncodeReport.class);
    SplitReport split = files.readJson(layout.report(SplitStage.NAME), SplitReport.class);
    TrainReport trained = files.readJson(layout.report(TrainStage.NAME), TrainReport.class);
    EvaluationReport eval =
        files.readJson(layout.report(EvaluateStage.NAME), EvaluationReport.class);
    Map<String, Double> seconds = new LinkedHashMap<>();
    seconds.put(IngestStage.NAME, ingest.seconds());
    seconds.put(EncodeStage.NAME, encode.seconds());
    seconds.put(SplitStage.NAME, split.seconds());
    seconds.put(TrainStage.NAME, trained.seconds());
    seconds.put(EvaluateStage.NAME, eval.seconds());
    seconds.put(NAME, (System.nanoTime() - start) / 1e9);
    RunMetrics metrics = new RunMetrics(layout.runDate().toString(), trained.model(),
        trained.factors(), ingest.inputRows(), ingest.rejectedRows(), ingest.rejectedByReason(),
        encode.users(), encode.items(), encode.filteredRows(), encode.filteredUsers(),
        encode.filteredItems(), split.trainRows(), split.validRows(),
        split.validRowsDropped(), split.mode(), eval.validRmse(), eval.validMae(),
        trained.epochs(), trained.bestEpoch(), trained.trainSeconds(), trained.history(),
        seconds);
    files.writeJson(layout.metricsJson(), metrics);
    files.writeString(layout.settingsJson(), resolvedSettings + "\n");
    LOG.info("export: factor tables and metrics.json in {}", layout.runDir());
    return metrics;
  }

  /** The item factor table with the items file's title and genres (null where it has none). */
  static Dataset<Row> withTitles(Dataset<Row> items, Dataset<Row> titles) {
    Dataset<Row> unique = titles.dropDuplicates(EncodeStage.ITEM_ID);
    return items.join(unique, items.col(EncodeStage.ITEM_ID).equalTo(
        unique.col(EncodeStage.ITEM_ID)), "left")
        .select(items.col("*"), unique.col("title"), unique.col("genres"))
        .orderBy(EncodeStage.ITEM_INDEX);
  }

  /** Model rows of the ids that have training ratings, keyed by the original id. */
  static Dataset<Row> factorTable(Dataset<Row> train, Dataset<Row> modelRows, Dataset<Row> ids,
      String idColumn, String indexColumn) {
    Dataset<Row> trainCounts = train.groupBy(indexColumn).agg(count(lit(1)).as(TRAIN_RATINGS));
    return ids.select(idColumn, indexColumn)
        .join(trainCounts, indexColumn)
        .join(modelRows.withColumnRenamed(ModelStore.INDEX, indexColumn), indexColumn)
        .select(col(idColumn), col(indexColumn), col(TRAIN_RATINGS), col(ModelStore.BIAS),
            col(ModelStore.FACTORS))
        .orderBy(indexColumn);
  }
}
