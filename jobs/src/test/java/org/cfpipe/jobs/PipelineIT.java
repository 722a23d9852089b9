package org.cfpipe.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cfpipe.config.ConfigLoader;
import org.cfpipe.config.PipelineSettings;
import org.cfpipe.io.RunMetrics;
import org.cfpipe.spark.RunLayout;
import org.cfpipe.spark.SparkFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole pipeline through {@link CfPipe#run} on the bundled ml-latest-small sample. */
class PipelineIT extends SparkFixture {
  static final String SAMPLE = "../data/ml-latest-small/ratings.csv";

  @TempDir
  Path out;

  @Test
  void pipelineOnTheBundledSampleWritesFactorTablesAndMetrics() throws Exception {
    PipelineSettings settings = PipelineSettings.from(ConfigLoader.load(Optional.empty(),
        List.of("cfpipe.input.ratings=" + SAMPLE, "cfpipe.output.dir=" + out,
            "cfpipe.input.items=../data/ml-latest-small/movies.csv")), "2024-02-29");

    RunMetrics metrics = CfPipe.run(spark, settings, List.of(Stage.values()));

    assertEquals(100_004, metrics.inputRows());
    assertEquals(0, metrics.rejectedRows());
    assertEquals(671, metrics.users());
    assertEquals(9066, metrics.items());
    assertEquals(100_004, metrics.trainRows() + metrics.validRows() + metrics.validRowsDropped());
    assertTrue(metrics.validRowsDropped() > 0, "items rated once fall out of validation");
    assertEquals(settings.train().epochs(), metrics.epochs());
    assertEquals(settings.train().epochs(), metrics.history().size());
    assertTrue(metrics.validRmse() < 0.92, "valid RMSE " + metrics.validRmse());
    assertTrue(metrics.validMae() < metrics.validRmse());
    // Spark's evaluation of the stored tables agrees with the trainer's last epoch.
    assertEquals(metrics.history().get(metrics.epochs() - 1).validRmse(), metrics.validRmse(),
        1e-4);

    RunLayout layout = new RunLayout(out.toString(), settings.runDate());
    Dataset<Row> train = spark.read().parquet(layout.train());
    checkFactorTable(spark.read().parquet(layout.userFactors()), "user_id",
        train.select("user_index").distinct().count(), settings.model().factors());
    checkFactorTable(spark.read().parquet(layout.itemFactors()), "item_id",
        train.select("item_index").distinct().count(), settings.model().factors());

    // Titles from movies.csv, quoted commas included.
    Dataset<Row> items = spark.read().parquet(layout.itemFactors());
    assertEquals("Toy Story (1995)", items.filter("item_id = 1").first().getAs("title"));
    assertEquals("American President, The (1995)",
        items.filter("item_id = 11").first().getAs("title"));
    assertEquals(0, items.filter("title is null").count());

    JsonNode json = new ObjectMapper().readTree(Files.readString(Path.of(layout.metricsJson())));
    for (String key : List.of("model", "train_rows", "valid_rows", "valid_rows_dropped",
        "valid_rmse", "valid_mae", "epochs", "train_seconds")) {
      assertTrue(json.has(key), "metrics.json lacks " + key);
    }
    assertEquals("dot-bias", json.get("model").asText());
    assertTrue(Files.readString(Path.of(layout.settingsJson())).contains("weight-decay"));
  }

  @Test
  void distributedTrainingThroughThePipeline() {
    PipelineSettings settings = PipelineSettings.from(ConfigLoader.load(Optional.empty(),
        List.of("cfpipe.input.ratings=" + SAMPLE, "cfpipe.output.dir=" + out,
            "cfpipe.train.distributed.workers=3", "cfpipe.train.epochs=6",
            "cfpipe.train.early-stopping.enabled=false")), "2024-03-01");

    RunMetrics metrics = CfPipe.run(spark, settings, List.of(Stage.values()));

    assertEquals(6, metrics.history().size());
    assertTrue(metrics.validRmse() < 0.9, "valid RMSE " + metrics.validRmse());
    // The driver assembles the shards' user rows into the model that evaluate scores in Spark:
    // it must score validation exactly as the shards did in the last epoch.
    assertEquals(metrics.history().get(5).validRmse(), metrics.validRmse(), 1e-4);
    RunLayout layout = new RunLayout(out.toString(), settings.runDate());
    Dataset<Row> train = spark.read().parquet(layout.train());
    checkFactorTable(spark.read().parquet(layout.userFactors()), "user_id",
        train.select("user_index").distinct().count(), settings.model().factors());
  }

  @Test
  void neuralModelThroughThePipeline() throws Exception {
    PipelineSettings settings = PipelineSettings.from(ConfigLoader.load(Optional.empty(),
        List.of("cfpipe.input.ratings=" + SAMPLE, "cfpipe.output.dir=" + out,
            "cfpipe.model.type=neural", "cfpipe.model.neural.item-factors=20",
            "cfpipe.train.neural.epochs=3", "cfpipe.train.early-stopping.enabled=false")),
        "2024-03-02");

    RunMetrics metrics = CfPipe.run(spark, settings, List.of(Stage.values()));

    assertEquals(3, metrics.history().size());
    assertTrue(metrics.validRmse() < 0.95, "valid RMSE " + metrics.validRmse());
    // Spark scores the stored embeddings through the head in model.json exactly as the trainer
    // scored its network after the last epoch.
    assertEquals(metrics.history().get(2).validRmse(), metrics.validRmse(), 1e-4);
    RunLayout layout = new RunLayout(out.toString(), settings.runDate());
    Dataset<Row> train = spark.read().parquet(layout.train());
    Dataset<Row> items = spark.read().parquet(layout.itemFactors());
    assertEquals(train.select("item_index").distinct().count(), items.count());
    Row first = items.first();
    assertEquals(20, first.getList(first.fieldIndex("factors")).size());
    assertTrue(first.isNullAt(first.fieldIndex("bias")), "the neural model has no biases");
    JsonNode model = new ObjectMapper().readTree(Files.readString(Path.of(layout.modelJson())));
    assertEquals(settings.model().neural().hidden(), model.get("neural").get("hidden").asInt());
  }

  private static void checkFactorTable(Dataset<Row> table, String idColumn, long expectedRows,
      int factors) {
    StructType schema = table.schema();
    assertEquals(DataTypes.IntegerType, schema.apply(idColumn).dataType());
    assertEquals(DataTypes.IntegerType, schema.apply(idColumn.replace("_id", "_index"))
        .dataType());
    assertEquals(DataTypes.LongType, schema.apply("train_ratings").dataType());
    assertEquals(DataTypes.FloatType, schema.apply("bias").dataType());
    assertEquals(DataTypes.FloatType,
        ((ArrayType) schema.apply("factors").dataType()).elementType());
    assertEquals(expectedRows, table.count());
    assertEquals(expectedRows, table.select(idColumn).distinct().count());
    Row first = table.orderBy(idColumn.replace("_id", "_index")).first();
    assertEquals(factors, first.getList(first.fieldIndex("factors")).size());
    assertTrue(first.getLong(first.fieldIndex("train_ratings")) > 0);
  }
}
