package org.cfpipe.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.cfpipe.config.ConfigLoader;
import org.cfpipe.config.PipelineSettings;
import org.cfpipe.io.RunMetrics;
import org.cfpipe.spark.RunLayout;
import org.cfpipe.spark.SparkFixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The published run as analysts and the next night's jobs see it: one folder per run date and
 * model, committed whole, read back with DuckDB (JDBC) and Spark SQL.
 */
class OutputsIT extends SparkFixture {
  private static final int RATINGS = 20_000;

  @TempDir
  static Path tmp;

  private static Path ratings;

  @BeforeAll
  static void sample() throws Exception {
    List<String> lines = new ArrayList<>(Files.readAllLines(Path.of(PipelineIT.SAMPLE))
        .subList(0, RATINGS + 1));
    // Three bad rows, so the rejects table has rows to read (9.0 is bad on the sample's 0.5-5
    // scale, which the settings below name: unbounded, ingest would take it).
    lines.addAll(List.of("x,1,4.0,1", "1,2,9.0,2", "1,3"));
    ratings = Files.write(tmp.resolve("ratings.csv"), lines);
  }

  private static PipelineSettings settings(Path output, String runDate, String... extra) {
    List<String> set = new ArrayList<>(List.of("cfpipe.input.ratings=" + ratings,
        "cfpipe.input.items=../data/ml-latest-small/movies.csv",
        "cfpipe.output.dir=" + output, "cfpipe.train.engine=sparse", "cfpipe.train.epochs=2",
        "cfpipe.ingest.rating-min=0.5", "cfpipe.ingest.rating-max=5"));
    set.addAll(List.of(extra));
    return PipelineSettings.from(ConfigLoader.load(Optional.empty(), set), runDate);
  }

  @Test
  void everyPublishedTableReadsTheSameInDuckDbAndSparkSql() throws Exception {
    Path output = tmp.resolve("read");
    PipelineSettings settings = settings(output, "2024-05-01");
    RunMetrics metrics = CfPipe.run(spark, settings, List.of(Stage.values()));
    RunLayout layout = RunLayout.of(settings);
    RunLayout.Tables run = layout.published();

    assertEquals(output + "/run_date=2024-05-01/model=dot-bias", layout.runDir());
    assertTrue(Files.exists(Path.of(run.success())));
    assertFalse(Files.exists(Path.of(layout.staged().dir())), "the staged folder moved");
    assertEquals("2024-05-01", Files.readString(Path.of(layout.latest())).trim());

    JsonNode metadata = new ObjectMapper().readTree(Files.readString(
        Path.of(run.metadataJson())));
    assertEquals(1, metadata.get("format_version").asInt());
    assertEquals("2024-05-01", metadata.get("run_date").asText());
    assertEquals("dot-bias", metadata.get("model_name").asText());
    assertEquals("dot-bias", metadata.at("/model/type").asText());
    assertEquals(settings.model().factors(), metadata.at("/model/factors").asInt());
    assertTrue(metadata.at("/model/biases").asBoolean());
    assertEquals(RATINGS + 3, metadata.at("/data/input_rows").asLong());
    assertEquals(3, metadata.at("/data/rejected_rows").asLong());
    assertEquals(metrics.validRmse(), metadata.at("/metrics/valid_rmse").asDouble(), 0.0);
    assertEquals(ratings.toString(), metadata.at("/settings/input/ratings").asText());
    assertTrue(metadata.at("/code/version").asText().matches("\\d+\\.\\d+\\.\\d+.*"),
        metadata.at("/code").toString());
    assertTrue(metadata.at("/stage_seconds").has("export"));

    try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
        Statement sql = duck.createStatement()) {
      // Schema: the ids keep the input's type, factors are a list of floats; DuckDB reads the
      // run date and model from the folder names (hive partitioning).
      assertEquals(Map.of("user_id", "INTEGER", "user_index", "INTEGER",
          "train_ratings", "BIGINT", "bias", "FLOAT", "factors", "FLOAT[]",
          "run_date", "DATE", "model", "VARCHAR"), columns(sql, run.userFactors()));
      assertEquals("VARCHAR", columns(sql, run.itemFactors()).get("title"));

      // Row counts: one row per id with training ratings, in both readers.
      long users = spark.sql("SELECT count(*) FROM parquet.`" + run.userFactors() + "`")
          .first().getLong(0);
      assertEquals(users, single(sql, "SELECT count(DISTINCT user_id) FROM "
          + parquet(run.userFactors())));
      assertEquals(spark.read().parquet(layout.train()).select("user_index").distinct()
          .count(), users);
      assertEquals(metadata.at("/data/users").asLong(),
          single(sql, "SELECT count(*) FROM " + parquet(run.userIds())));
      // Every table: the same columns and rows in both readers.
      for (String table : List.of(run.userFactors(), run.itemFactors(), run.rejects(),
          run.userIds(), run.itemIds(), run.metrics())) {
        org.apache.spark.sql.Dataset<Row> read = spark.sql("SELECT * FROM parquet.`" + table
            + "`");
        List<String> duckColumns = new ArrayList<>(columns(sql, table).keySet());
        duckColumns.removeAll(List.of("run_date", "model"));
        List<String> sparkColumns = new ArrayList<>(List.of(read.columns()));
        sparkColumns.removeAll(List.of("run_date", "model"));
        assertEquals(sparkColumns, duckColumns, table);
        assertEquals(read.count(), single(sql, "SELECT count(*) FROM " + parquet(table)), table);
      }
      assertEquals(3L, single(sql, "SELECT count(*) FROM " + parquet(run.rejects())));
      assertEquals("1,3", text(sql, "SELECT raw_line FROM " + parquet(run.rejects())
          + " WHERE reason = 'WRONG_COLUMN_COUNT'"));
      assertEquals("Toy Story (1995)", text(sql, "SELECT title FROM "
          + parquet(run.itemFactors()) + " WHERE item_id = 1"));

      // Values: scoring the validation ratings in SQL from the published tables and the
      // metadata's offset and y-range gives the run's validation RMSE.
      String score = "SELECT sqrt(avg(power(" + metadata.at("/model/y_range_min").asDouble()
          + " + " + (metadata.at("/model/y_range_max").asDouble()
              - metadata.at("/model/y_range_min").asDouble())
          + " / (1 + exp(-(list_dot_product(u.factors, i.factors) + u.bias + i.bias + "
          + metadata.at("/model/offset").asDouble() + "))) - v.rating, 2))) FROM "
          + parquet(layout.validation()) + " v JOIN " + parquet(run.userFactors())
          + " u USING (user_index) JOIN " + parquet(run.itemFactors()) + " i USING (item_index)";
      assertEquals(metrics.validRmse(), number(sql, score), 1e-4);

      // The metrics history of every run and model, in one query each.
      String history = output + "/run_date=*/model=*/metrics/*.parquet";
      assertEquals(metrics.validRmse(), number(sql, "SELECT valid_rmse FROM read_parquet('"
          + history + "') WHERE model_name = 'dot-bias'"), 0.0);
      // The README's two snippets: every run's factors with the run date and model.
      spark.sql("CREATE OR REPLACE TEMPORARY VIEW user_factors USING parquet OPTIONS (path '"
          + output + "/run_date=*/model=*/user_factors', basePath '" + output + "')");
      Row first = spark.sql("SELECT run_date, model, count(*) FROM user_factors "
          + "GROUP BY run_date, model").first();
      assertEquals(java.sql.Date.valueOf("2024-05-01"), first.getDate(0));
      assertEquals("dot-bias", first.getString(1));
      assertEquals(users, first.getLong(2));
      assertEquals(users, single(sql, "SELECT count(*) FROM read_parquet('" + output
          + "/run_date=*/model=*/user_factors/*.parquet', hive_partitioning = true) "
          + "WHERE model = 'dot-bias' AND run_date = DATE '2024-05-01'"));
      Row sparkRow = spark.sql("SELECT model_type, valid_rmse, run_date FROM parquet.`"
          + output + "/run_date=*/model=*/metrics`").first();
      assertEquals("dot-bias", sparkRow.getString(0));
      assertEquals(metrics.validRmse(), sparkRow.getDouble(1), 0.0);
      assertEquals(java.sql.Date.valueOf("2024-05-01"), sparkRow.getDate(2));
    }
  }

  @Test
  void rerunningADateReplacesItsFolderAndLatestNamesTheNewestDate() throws Exception {
    Path output = tmp.resolve("rerun");
    PipelineSettings first = settings(output, "2024-05-01");
    RunLayout layout = RunLayout.of(first);
    CfPipe.run(spark, first, List.of(Stage.values()));
    List<String> users = sorted(layout.published().userFactors());
    List<String> items = sorted(layout.published().itemFactors());

    CfPipe.run(spark, settings(output, "2024-05-02"), List.of(Stage.values()));
    assertEquals("2024-05-02", Files.readString(Path.of(layout.latest())).trim());

    // A backfill of the first date: the same tables, no duplicates, latest stays.
    CfPipe.run(spark, first, List.of(Stage.values()));
    assertEquals(users, sorted(layout.published().userFactors()));
    assertEquals(items, sorted(layout.published().itemFactors()));
    try (Stream<Path> files = Files.list(Path.of(layout.published().userFactors()))) {
      assertEquals(1, files.filter(f -> f.getFileName().toString().endsWith(".parquet"))
          .count(), "one part file: the first run's did not stay beside the rerun's");
    }
    assertFalse(Files.exists(Path.of(layout.replaced())));
    assertEquals("2024-05-02", Files.readString(Path.of(layout.latest())).trim());
  }

  @Test
  void aRunKilledBeforeItsCommitLeavesThePublishedRunAsItWas() throws Exception {
    Path output = tmp.resolve("killed");
    PipelineSettings settings = settings(output, "2024-05-01");
    RunLayout layout = RunLayout.of(settings);
    CfPipe.run(spark, settings, List.of(Stage.values()));
    List<String> users = sorted(layout.published().userFactors());
    String metadata = Files.readString(Path.of(layout.published().metadataJson()));

    // The same date again in a JVM of its own, killed (SIGKILL) as soon as the export stage
    // has staged its first table.
    Path log = tmp.resolve("killed.log");
    Process job = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java")
        .toString(), "@../conf/jvm-module-opens.txt", "-Xmx1g", "-Dspark.master=local[2]",
        "-Dspark.ui.enabled=false", "-cp", System.getProperty("java.class.path"),
        CfPipe.class.getName(), "pipeline", "--run-date", "2024-05-01",
        "--ratings", ratings.toString(), "--output", output.toString(),
        "--set", "cfpipe.input.items=../data/ml-latest-small/movies.csv",
        "--set", "cfpipe.train.engine=sparse", "--set", "cfpipe.train.epochs=2",
        "--set", "cfpipe.ingest.rating-min=0.5", "--set", "cfpipe.ingest.rating-max=5")
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    Path staged = Path.of(layout.staged().userFactors());
    long deadline = System.nanoTime() + 180_000_000_000L;
    while (!Files.exists(staged) && job.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    job.destroyForcibly().waitFor();
    assertTrue(Files.exists(staged), "the job never staged a table:\n" + Files.readString(log));

    assertEquals(users, sorted(layout.published().userFactors()));
    assertEquals(metadata, Files.readString(Path.of(layout.published().metadataJson())));
    assertTrue(Files.exists(Path.of(layout.published().success())));
    assertEquals("2024-05-01", Files.readString(Path.of(layout.latest())).trim());
    try (Stream<Path> dates = Files.list(output)) {
      assertEquals(List.of("_checkpoints", "_latest", "_work", "run_date=2024-05-01"), dates
          .map(d -> d.getFileName().toString()).sorted().collect(Collectors.toList()));
    }

    // The next attempt starts afresh and commits.
    CfPipe.run(spark, settings, List.of(Stage.values()));
    assertEquals(users, sorted(layout.published().userFactors()));
  }

  /** Every row as text, in a stable order. */
  private static List<String> sorted(String table) {
    return spark.read().parquet(table).collectAsList().stream().map(Row::toString).sorted()
        .collect(Collectors.toList());
  }

  private static String parquet(String table) {
    return "read_parquet('" + table + "/*.parquet')";
  }

  private static Map<String, String> columns(Statement sql, String table) throws Exception {
    Map<String, String> out = new LinkedHashMap<>();
    try (ResultSet rs = sql.executeQuery("DESCRIBE SELECT * FROM " + parquet(table))) {
      while (rs.next()) {
        out.put(rs.getString("column_name"), rs.getString("column_type"));
      }
    }
    return out;
  }

  private static long single(Statement sql, String query) throws Exception {
    try (ResultSet rs = sql.executeQuery(query)) {
      assertTrue(rs.next(), query);
      return rs.getLong(1);
    }
  }

  private static double number(Statement sql, String query) throws Exception {
    try (ResultSet rs = sql.executeQuery(query)) {
      assertTrue(rs.next(), query);
      return rs.getDouble(1);
    }
  }

  private static String text(Statement sql, String query) throws Exception {
    try (ResultSet rs = sql.executeQuery(query)) {
      assertTrue(rs.next(), query);
      return rs.getString(1);
    }
  }
}
