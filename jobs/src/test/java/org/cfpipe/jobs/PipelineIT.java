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
import org.cfpipe.config.GenerateSettings;
import org.cfpipe.config.PipelineSettings;
import org.cfpipe.ingest.GenerateStage;
import org.cfpipe.io.RunMetrics;
import org.cfpipe.serve.Predictions;
import org.cfpipe.serve.PublishedRun;
import org.cfpipe.spark.HadoopFiles;
import org.cfpipe.spark.RunLayout;
import org.cfpipe.spark.SparkFixture;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The whole pipeline through {@link CfPipe#run} on the bundled ml-latest-small sample. */
class PipelineIT extends SparkFixture {
  static final String SAMPLE = "../data/ml-latest-small/ratings.csv";

  @TempDir
  Path out;

  @Test
  void pipelineOnTheBundledSampleWritesFactorTablesAndMetrics() throws Exception {
    // The defaults but for the gibbs engine's sweeps: SharedSplitAccuracyIT holds the defaults'
    // accuracy on this data (ml-latest-small), and 120 sweeps save CI two minutes. The top-N
    // model's tuning is capped below the sample's size: it must tune on a sample of the users
    // of about that many ratings, say so, and train the choice on all of them.
    PipelineSettings settings = PipelineSettings.from(ConfigLoader.load(Optional.empty(),
        List.of("cfpipe.input.ratings=" + SAMPLE, "cfpipe.output.dir=" + out,
            "cfpipe.input.items=../data/ml-latest-small/movies.csv",
            "cfpipe.train.gibbs.sweeps=120", "cfpipe.train.gibbs.burn-in=40",
            "cfpipe.ranking.tuning-max-ratings=50000")), "2024-02-29");

    RunMetrics metrics = CfPipe.run(spark, settings, List.of(Stage.values()));

    assertEquals(100_004, metrics.inputRows());
    assertEquals(0, metrics.rejectedRows());
    assertEquals(671, metrics.users());
    assertEquals(9066, metrics.items());
    assertEquals(100_004, metrics.trainRows() + metrics.validRows() + metrics.validRowsDropped());
    assertTrue(metrics.validRowsDropped() > 0, "items rated once fall out of validation");
    // The defaults choose the gibbs engine for data this small: its sweeps are the epochs.
    assertEquals(settings.train().gibbs().sweeps(), metrics.epochs());
    assertEquals(settings.train().gibbs().sweeps(), metrics.history().size());
    // 600 sweeps reach 0.836 on this split, 120 0.840.
    assertTrue(metrics.validRmse() < 0.86, "valid RMSE " + metrics.validRmse());
    assertTrue(metrics.validMae() < metrics.validRmse());
    // Spark's evaluation of the stored tables agrees with the trainer's last epoch.
    assertEquals(metrics.history().get(metrics.epochs() - 1).validRmse(), metrics.validRmse(),
        1e-4);

    RunLayout layout = RunLayout.of(settings);
    Dataset<Row> train = spark.read().parquet(layout.train());
    checkFactorTable(spark.read().parquet(layout.published().userFactors()), "user_id",
        train.select("user_index").distinct().count(), settings.model().factors());
    checkFactorTable(spark.read().parquet(layout.published().itemFactors()), "item_id",
        train.select("item_index").distinct().count(), settings.model().factors());

    // Titles from movies.csv, quoted commas included.
    Dataset<Row> items = spark.read().parquet(layout.published().itemFactors());
    assertEquals("Toy Story (1995)", items.filter("item_id = 1").first().getAs("title"));
    assertEquals("American President, The (1995)",
        items.filter("item_id = 11").first().getAs("title"));
    assertEquals(0, items.filter("title is null").count());

    JsonNode json = new ObjectMapper().readTree(
        Files.readString(Path.of(layout.published().metricsJson())));
    for (String key : List.of("model_name", "model_type", "train_rows", "valid_rows",
        "valid_rows_dropped", "valid_rmse", "valid_mae", "epochs", "train_seconds")) {
      assertTrue(json.has(key), "metrics.json lacks " + key);
    }
    assertEquals("dot-bias", json.get("model_type").asText());
    JsonNode metadata = new ObjectMapper().readTree(
        Files.readString(Path.of(layout.published().metadataJson())));
    assertTrue(metadata.at("/settings/train").has("weight-decay"), metadata.toString());
    assertEquals("gibbs", metadata.at("/choice/engine").asText(), metadata.toString());
    assertTrue(metadata.at("/choice/reason").asText().contains("cfpipe.train.budget"));
    assertEquals(0.5, metadata.at("/choice/scale/min").asDouble());
    assertEquals(5.0, metadata.at("/choice/scale/max").asDouble());
    assertEquals(0.5, metadata.at("/choice/scale/step").asDouble());
    assertTrue(metadata.at("/model/y_range_min").isMissingNode()
        || metadata.at("/model/y_range_min").isNull(), "the gibbs engine's model is linear");
    JsonNode tuning = metadata.at("/ranking/tuning");
    int sampleUsers = tuning.path("sample_users").asInt();
    long tuned = tuning.path("fit_ratings").asLong() + tuning.path("held_ratings").asLong();
    assertEquals(671, tuning.path("rated_users").asInt(), tuning.toString());
    assertTrue(sampleUsers > 0 && sampleUsers < 671, tuning.toString());
    // Whole users, each kept with probability 50000 / 80026: about 50000 ratings.
    assertTrue(tuned > 25_000 && tuned < 75_000, tuning.toString());
    assertTrue(metadata.at("/ranking/reason").asText().startsWith("chosen on a holdout of the "
        + "training ratings of a seeded sample of " + sampleUsers + " of the 671 users (cfpipe."
        + "ranking.tuning-max-ratings 50000)"), metadata.at("/ranking").toString());
    assertEquals(tuning.at("/chosen/regularization").asDouble(),
        metadata.at("/ranking/regularization").asDouble(), metadata.at("/ranking").toString());
  }

  @Test
  void distributedTrainingThroughThePipeline() {
    PipelineSettings settings = PipelineSettings.from(ConfigLoader.load(Optional.empty(),
        List.of("cfpipe.input.ratings=" + SAMPLE, "cfpipe.output.dir=" + out,
            "cfpipe.train.distributed.workers=3", "cfpipe.train.engine=sparse",
            "cfpipe.train.epochs=6",
            "cfpipe.train.early-stopping.enabled=false")), "2024-03-01");

    RunMetrics metrics = CfPipe.run(spark, settings, List.of(Stage.values()));

    assertEquals(6, metrics.history().size());
    assertTrue(metrics.validRmse() < 0.9, "valid RMSE " + metrics.validRmse());
    // The driver assembles the shards' user rows into the model that evaluate scores in Spark:
    // it must score validation exactly as the shards did in the last epoch.
    assertEquals(metrics.history().get(5).validRmse(), metrics.validRmse(), 1e-4);
    RunLayout layout = RunLayout.of(settings);
    Dataset<Row> train = spark.read().parquet(layout.train());
    checkFactorTable(spark.read().parquet(layout.published().userFactors()), "user_id",
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
    RunLayout layout = RunLayout.of(settings);
    Dataset<Row> train = spark.read().parquet(layout.train());
    Dataset<Row> items = spark.read().parquet(layout.published().itemFactors());
    assertEquals(train.select("item_index").distinct().count(), items.count());
    Row first = items.first();
    assertEquals(20, first.getList(first.fieldIndex("factors")).size());
    assertTrue(first.isNullAt(first.fieldIndex("bias")), "the neural model has no biases");
    JsonNode model = new ObjectMapper().readTree(Files.readString(Path.of(layout.modelJson())));
    assertEquals(settings.model().neural().hidden(), model.get("neural").get("hidden").asInt());

    // The published DL4J network, restored by DL4J, predicts what predict does from the tables.
    ComputationGraph net = ModelSerializer.restoreComputationGraph(
        new java.io.File(layout.published().network()), false);
    PublishedRun run = PublishedRun.open(HadoopFiles.of(spark), layout.runDir(), "neural");
    List<Row> pairs = spark.read().parquet(layout.validation()).limit(5)
        .select("user_index", "item_index", "user_id", "item_id").collectAsList();
    List<Row> predicted = Predictions.run(spark, run, spark.createDataFrame(pairs,
        pairs.get(0).schema()), "test").collectAsList();
    for (Row p : predicted) {
      INDArray out = net.output(Nd4j.create(new float[] {p.<Integer>getAs("user_index")},
          new long[] {1, 1}), Nd4j.create(new float[] {p.<Integer>getAs("item_index")},
          new long[] {1, 1}))[0];
      assertEquals(out.getDouble(0, 0), p.<Double>getAs("prediction"), 1e-5, p.toString());
    }
  }

  @Test
  void stringIdsFromADelimitedFileKeepTheirTypeInTheTables() throws Exception {
    // The sample's first 20,000 ratings as "user;movie;time;stars" with string ids, and the
    // titles file with the same string item ids.
    List<String> lines = Files.readAllLines(Path.of(SAMPLE)).subList(1, 20_001);
    List<String> strings = new java.util.ArrayList<>(List.of("user;movie;time;stars"));
    for (String line : lines) {
      String[] f = line.split(",");
      strings.add("u" + f[0] + ";m" + f[1] + ";" + f[3] + ";" + f[2]);
    }
    Path ratings = Files.write(out.resolve("ratings.txt"), strings);
    List<String> movies = Files.readAllLines(Path.of("../data/ml-latest-small/movies.csv"));
    List<String> titles = new java.util.ArrayList<>(List.of(movies.get(0)));
    movies.subList(1, movies.size()).forEach(m -> titles.add("m" + m));
    Path items = Files.write(out.resolve("movies.csv"), titles);
    PipelineSettings settings = PipelineSettings.from(ConfigLoader.load(Optional.empty(),
        List.of("cfpipe.input.ratings=" + ratings, "cfpipe.output.dir=" + out.resolve("o"),
            "cfpipe.input.format=delimited", "cfpipe.input.id-type=string",
            "cfpipe.input.delimited.delimiter=;", "cfpipe.input.delimited.header=true",
            "cfpipe.input.delimited.rating=3", "cfpipe.input.delimited.timestamp=2",
            "cfpipe.input.items=" + items, "cfpipe.train.engine=sparse",
            "cfpipe.train.epochs=2")), "2024-03-03");

    RunMetrics metrics = CfPipe.run(spark, settings, List.of(Stage.values()));

    assertEquals(20_000, metrics.inputRows());
    assertEquals(0, metrics.rejectedRows());
    RunLayout layout = RunLayout.of(settings);
    Dataset<Row> users = spark.read().parquet(layout.published().userFactors());
    assertEquals(DataTypes.StringType, users.schema().apply("user_id").dataType());
    assertEquals(spark.read().parquet(layout.train()).select("user_index").distinct().count(),
        users.count());
    assertTrue(users.filter("user_id not like 'u%'").isEmpty());
    // Index 0 is the user with the most ratings in the input.
    String busiest = lines.stream().map(l -> "u" + l.split(",")[0])
        .collect(java.util.stream.Collectors.groupingBy(u -> u,
            java.util.stream.Collectors.counting()))
        .entrySet().stream().max(java.util.Map.Entry.comparingByValue()).orElseThrow().getKey();
    assertEquals(busiest, users.filter("user_index = 0").first().getAs("user_id"));
    Dataset<Row> itemTable = spark.read().parquet(layout.published().itemFactors());
    assertEquals(DataTypes.StringType, itemTable.schema().apply("item_id").dataType());
    assertEquals("Toy Story (1995)", itemTable.filter("item_id = 'm1'").first().getAs("title"));
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

  /**
   * Ratings from 0 to 10 (planted, 600 users x 300 items) need nothing but the input path: the
   * scale comes from the data, the y-range follows it, and the predictions reach the top of it.
   */
  @Test
  void aZeroToTenScaleNeedsNoSetting() throws Exception {
    Path planted = out.resolve("planted");
    GenerateStage.run(spark, GenerateSettings.from(ConfigLoader.load(Optional.empty(), List.of(
        "cfpipe.generate.users=600", "cfpipe.generate.items=300",
        "cfpipe.generate.ratings=30000", "cfpipe.generate.rank=4", "cfpipe.generate.noise=1.0",
        "cfpipe.generate.user-exponent=0", "cfpipe.generate.item-exponent=0.5",
        "cfpipe.generate.scale.min=0", "cfpipe.generate.scale.max=10",
        "cfpipe.generate.scale.step=1"))), planted.toString());
    double floor = new ObjectMapper().readTree(planted.resolve("oracle.json").toFile())
        .get("oracle_rmse").asDouble();
    for (String engine : List.of("auto", "sparse")) {
      PipelineSettings settings = PipelineSettings.from(ConfigLoader.load(Optional.empty(),
          List.of("cfpipe.input.ratings=" + planted.resolve("ratings"),
              "cfpipe.output.dir=" + out.resolve(engine), "cfpipe.train.engine=" + engine)),
          "2024-03-04");

      RunMetrics metrics = CfPipe.run(spark, settings, List.of(Stage.values()));

      // The planted pairs repeat: only the repeats are rejected, as duplicates.
      assertEquals(metrics.rejectedRows(), metrics.rejectedByReason().get("DUPLICATE_RATING"));
      JsonNode metadata = new ObjectMapper().readTree(Files.readString(
          Path.of(RunLayout.of(settings).published().metadataJson())));
      assertEquals(0.0, metadata.at("/choice/scale/min").asDouble());
      assertEquals(10.0, metadata.at("/choice/scale/max").asDouble());
      assertEquals(1.0, metadata.at("/choice/scale/step").asDouble());
      if (engine.equals("sparse")) {
        assertEquals(-1.0, metadata.at("/model/y_range_min").asDouble());
        assertEquals(11.0, metadata.at("/model/y_range_max").asDouble());
      } else {
        assertEquals("gibbs", metadata.at("/choice/engine").asText());
      }
      // A y-range stuck at (0, 5.5) scored 2.78 on such data; within 30% of the noise floor
      // here (the floor is the planted truth's own RMSE; 24k training ratings of 900 rows).
      assertTrue(metrics.validRmse() < 1.3 * floor, engine + ": valid RMSE "
          + metrics.validRmse() + " against the floor " + floor);
    }
  }

  @Test
  void aSetYRangeThatCannotReachTheRatingsFailsNamingBoth() throws Exception {
    Path ratings = Files.write(out.resolve("tens.csv"), List.of("userId,movieId,rating,timestamp",
        "1,1,9,1", "1,2,2,2", "2,1,10,3", "2,2,0,4", "3,1,7,5", "3,2,4,6"));
    PipelineSettings settings = PipelineSettings.from(ConfigLoader.load(Optional.empty(),
        List.of("cfpipe.input.ratings=" + ratings, "cfpipe.output.dir=" + out.resolve("o"),
            "cfpipe.train.engine=sparse", "cfpipe.model.y-range.min=0",
            "cfpipe.model.y-range.max=5.5")), "2024-03-05");

    org.cfpipe.config.SettingsException e = org.junit.jupiter.api.Assertions.assertThrows(
        org.cfpipe.config.SettingsException.class,
        () -> CfPipe.run(spark, settings, List.of(Stage.values())));
    assertTrue(e.getMessage().contains("(0.0, 5.5)") && e.getMessage().contains("[0, 10]"),
        e.getMessage());
  }
}
