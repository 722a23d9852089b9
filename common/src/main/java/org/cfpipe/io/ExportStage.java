package org.cfpipe.io;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cfpipe.eval.EvaluateStage;
import org.cfpipe.eval.EvaluationReport;
import org.cfpipe.ids.EncodeReport;
import org.cfpipe.ids.EncodeStage;
import org.cfpipe.ingest.IngestReport;
import org.cfpipe.ingest.IngestStage;
import org.cfpipe.model.ModelInfo;
import org.cfpipe.model.ModelStore;
import org.cfpipe.spark.HadoopFiles;
import org.cfpipe.spark.RunLayout;
import org.cfpipe.split.SplitReport;
import org.cfpipe.split.SplitStage;
import org.cfpipe.train.RankingReport;
import org.cfpipe.train.TrainReport;
import org.cfpipe.train.TrainStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The export stage: stages {@code user_factors} and {@code item_factors} keyed by the original
 * ids (user_id or item_id with its input type, index, train_ratings, bias, factors as
 * array&lt;float&gt;), only for ids that have training ratings, and the top-N model's alike under
 * {@code ranking/} when the run trained it, with {@code metadata.json},
 * {@code metrics.json}, the one-row {@code metrics} table and {@code model/model.json}, then
 * commits the run folder whole ({@link RunCommit}).
 */
public final class ExportStage {
  private static final Logger LOG = LoggerFactory.getLogger(ExportStage.class);
  public static final String NAME = "export";
  public static final String TRAIN_RATINGS = "train_ratings";

  private ExportStage() {}

  /**
   * @param resolvedSettings every setting as JSON, credentials redacted
   */
  public static RunMetrics run(SparkSession spark, RunLayout layout, String resolvedSettings) {
    long start = System.nanoTime();
    HadoopFiles files = HadoopFiles.of(spark);
    RunLayout.Tables staged = layout.staged();
    Dataset<Row> train = spark.read().parquet(layout.train());
    factorTables(spark, files, layout, train, layout.modelUsers(), layout.modelItems(),
        staged.userFactors(), staged.itemFactors());
    ModelInfo model = files.readJson(layout.modelJson(), ModelInfo.class);
    files.writeJson(staged.model() + "/model.json", model);
    if (files.exists(layout.rankingJson())) {
      factorTables(spark, files, layout, train, layout.rankingUsers(), layout.rankingItems(),
          staged.rankingUserFactors(), staged.rankingItemFactors());
      files.writeJson(staged.rankingModel(), files.readJson(layout.rankingJson(),
          ModelInfo.class));
    }
    copyIfPresent(files, layout.network(), staged.network());
    copyIfPresent(files, layout.chainState(), staged.chainState());

    RunMetrics metrics = metrics(files, layout, (System.nanoTime() - start) / 1e9);
    files.writeJson(staged.metricsJson(), metrics);
    files.commitParquet(metricsRow(spark, metrics), staged.metrics());
    double trainMean = train.agg(avg(col("rating"))).first().getDouble(0);
    files.writeJson(staged.metadataJson(), RunMetadata.of(metrics, layout.model(),
        Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), model, trainMean,
        files.readJson(layout.report(TrainStage.NAME), TrainReport.class).choice(),
        rankingReport(files, layout), parse(resolvedSettings)));

    RunCommit.commit(files, layout);
    LOG.info("export: factor tables, metadata.json and metrics in {}", layout.runDir());
    return metrics;
  }

  /** The train stage's word on the top-N model; a run from before it had none. */
  private static RankingReport rankingReport(HadoopFiles files, RunLayout layout) {
    String path = layout.report(TrainStage.RANKING);
    return files.exists(path) ? files.readJson(path, RankingReport.class)
        : RankingReport.none("the train stage wrote no ranking report");
  }

  /**
   * Commits one model's user and item tables ({@code users}, {@code items}: ModelStore's) keyed
   * by the original ids, the items with their titles when the run has them.
   */
  private static void factorTables(SparkSession spark, HadoopFiles files, RunLayout layout,
      Dataset<Row> train, String users, String items, String userOut, String itemOut) {
    RunLayout.Tables staged = layout.staged();
    files.commitParquet(factorTable(train, spark.read().parquet(users),
        spark.read().parquet(staged.userIds()), EncodeStage.USER_ID, EncodeStage.USER_INDEX),
        userOut);
    Dataset<Row> itemTable = factorTable(train, spark.read().parquet(items),
        spark.read().parquet(staged.itemIds()), EncodeStage.ITEM_ID, EncodeStage.ITEM_INDEX);
    if (files.exists(layout.itemTitles())) {
      itemTable = withTitles(itemTable, spark.read().parquet(layout.itemTitles()));
    }
    files.commitParquet(itemTable, itemOut);
  }

  private static void copyIfPresent(HadoopFiles files, String from, String to) {
    if (files.exists(from)) {
      files.writeAtomically(to, out -> {
        try (java.io.InputStream in = files.open(from)) {
          in.transferTo(out);
        }
      });
    }
  }

  /** The stages' reports, gathered. */
  private static RunMetrics metrics(HadoopFiles files, RunLayout layout, double exportSeconds) {
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
    seconds.put(NAME, exportSeconds);
    return new RunMetrics(layout.runDate().toString(), layout.model(), trained.model(),
        trained.factors(), ingest.inputRows(), ingest.rejectedRows(), ingest.rejectedByReason(),
        encode.users(), encode.items(), encode.filteredRows(), encode.filteredUsers(),
        encode.filteredItems(), split.trainRows(), split.validRows(),
        split.validRowsDropped(), split.mode(), eval.validRmse(), eval.validMae(),
        eval.rankingUsers(), eval.ranking(), eval.sample(), eval.implicitAls(),
        trained.epochs(), trained.bestEpoch(), trained.trainSeconds(), trained.history(),
        seconds);
  }

  /** Columns of the {@code metrics} table, in snake_case as in metrics.json. */
  static final StructType METRICS_SCHEMA = new StructType()
      .add("run_date", DataTypes.DateType, false)
      .add("model_name", DataTypes.StringType, false)
      .add("model_type", DataTypes.StringType, false)
      .add("factors", DataTypes.IntegerType, false)
      .add("valid_rmse", DataTypes.DoubleType, false)
      .add("valid_mae", DataTypes.DoubleType, false)
      .add("input_rows", DataTypes.LongType, false)
      .add("rejected_rows", DataTypes.LongType, false)
      .add("users", DataTypes.LongType, false)
      .add("items", DataTypes.LongType, false)
      .add("train_rows", DataTypes.LongType, false)
      .add("valid_rows", DataTypes.LongType, false)
      .add("valid_rows_dropped", DataTypes.LongType, false)
      .add("epochs", DataTypes.IntegerType, false)
      .add("best_epoch", DataTypes.IntegerType, false)
      .add("train_seconds", DataTypes.DoubleType, false);

  /** One row: {@link #METRICS_SCHEMA}, then a double column per ranking metric. */
  static Dataset<Row> metricsRow(SparkSession spark, RunMetrics m) {
    List<Object> values = new ArrayList<>(List.of(java.sql.Date.valueOf(m.runDate()),
        m.modelName(), m.modelType(), m.factors(), m.validRmse(), m.validMae(), m.inputRows(),
        m.rejectedRows(), m.users(), m.items(), m.trainRows(), m.validRows(),
        m.validRowsDropped(), m.epochs(), m.bestEpoch(), m.trainSeconds()));
    StructType schema = METRICS_SCHEMA;
    for (Map.Entry<String, Double> metric : m.ranking().entrySet()) {
      schema = schema.add(metric.getKey(), DataTypes.DoubleType, false);
      values.add(metric.getValue());
    }
    return spark.createDataFrame(List.of(RowFactory.create(values.toArray())), schema)
        .coalesce(1);
  }

  private static JsonNode parse(String json) {
    try {
      return HadoopFiles.json().readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException("the resolved settings are not JSON", e);
    }
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
