package org.cfpipe.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line as spark-submit calls it: exit codes and messages. The job opens and stops its
 * own SparkSession here, so this class does not use the shared fixture; it only names the master
 * the way spark-submit would.
 */
class CfPipeIT {
  @TempDir
  Path dir;

  private final StringWriter err = new StringWriter();

  @BeforeAll
  static void localMaster() {
    System.setProperty("spark.master", "local[2]");
    System.setProperty("spark.ui.enabled", "false");
  }

  @AfterAll
  static void clearMaster() {
    System.clearProperty("spark.master");
    System.clearProperty("spark.ui.enabled");
  }

  private int run(String... args) {
    return CfPipe.execute(new PrintWriter(err, true), args);
  }

  @Test
  void badArgumentsExitOne() {
    assertEquals(1, run());
    assertTrue(err.toString().contains("name a job"), err.toString());
    assertEquals(1, run("pipeline", "--ratings", "x.csv"));
    assertTrue(err.toString().contains("--run-date"), err.toString());
    assertEquals(1, run("pipeline", "--run-date", "2024-01-01"));
    assertTrue(err.toString().contains("--ratings PATH"), err.toString());
    assertEquals(1, run("train", "--run-date", "2024-01-01", "--ratings", "x",
        "--set", "cfpipe.train.epochs=-1"));
    assertTrue(err.toString().contains("cfpipe.train.epochs must be in [1, 100000], got -1"));
    assertEquals(1, run("ingest", "--run-date", "2024-01-01", "--ratings", "x",
        "--set", "cfpipe.train.epohcs=3"));
    assertTrue(err.toString().contains("unknown setting 'cfpipe.train.epohcs'"));
    assertEquals(1, run("bogus"));
  }

  @Test
  void missingInputExitsTwoNamingThePath() {
    String missing = dir.resolve("missing.csv").toString();
    assertEquals(2, run("pipeline", "--run-date", "2024-01-01", "--ratings", missing,
        "--output", dir.resolve("out").toString()));
    assertTrue(err.toString().contains("input not found: " + missing), err.toString());
  }

  @Test
  void inputInTheWrongFormatExitsTwoWithOneLineNamingTheFile() throws Exception {
    Path csv = java.nio.file.Files.writeString(dir.resolve("ratings.csv"), "1,2,3.0,4\n");
    assertEquals(2, run("ingest", "--run-date", "2024-01-01", "--ratings", csv.toString(),
        "--format", "parquet", "--output", dir.resolve("out").toString()));
    String message = err.toString().strip();
    assertTrue(message.startsWith("cfpipe: ingest failed: cannot read " + csv
        + " (cfpipe.input.ratings) as parquet: "), message);
    assertTrue(message.contains("file:" + csv + " is not a Parquet file"), message);
    assertFalse(message.contains("Job aborted") || message.contains("\n"), message);
  }

  @Test
  void stagesRunOneByOneWithAnExplicitValidationFile() throws Exception {
    Path ratings = dir.resolve("ratings.csv");
    StringBuilder csv = new StringBuilder("userId,movieId,rating,timestamp\n");
    for (int u = 1; u <= 20; u++) {
      for (int i = 1; i <= 15; i++) {
        if ((u + i) % 3 != 0) {
          csv.append(u).append(',').append(i).append(',').append(1 + (u * i) % 5)
              .append(".0,").append(1000 + u * i).append('\n');
        }
      }
    }
    Files.writeString(ratings, csv.toString());
    Path validation = dir.resolve("validation.csv");
    // Two seen pairs, one unseen user (99), one unseen item (77).
    Files.writeString(validation, "userId,movieId,rating,timestamp\n"
        + "1,2,3.0,1\n2,1,4.0,2\n99,1,3.0,3\n1,77,2.0,4\n");
    String output = dir.resolve("out").toString();
    String[] common = {"--run-date", "2024-06-30", "--ratings", ratings.toString(),
        "--validation-ratings", validation.toString(), "--output", output,
        "--set", "cfpipe.model.factors=4", "--set", "cfpipe.train.engine=sparse",
        "--set", "cfpipe.train.epochs=3"};

    for (String stage : new String[] {"ingest", "encode", "split", "train", "evaluate",
        "export"}) {
      String[] args = new String[common.length + 1];
      args[0] = stage;
      System.arraycopy(common, 0, args, 1, common.length);
      assertEquals(0, run(args), stage + " failed: " + err);
    }

    JsonNode metrics = new ObjectMapper().readTree(
        Files.readString(Path.of(output, "run_date=2024-06-30", "model=dot-bias", "metrics.json")));
    assertEquals("explicit", metrics.get("split_mode").asText());
    assertEquals(2, metrics.get("valid_rows").asLong());
    assertEquals(2, metrics.get("valid_rows_dropped").asLong());
    assertEquals(200 + 4, metrics.get("input_rows").asLong());
    assertEquals(200, metrics.get("train_rows").asLong());
    assertEquals(3, metrics.get("epochs").asInt());

    // The scoring jobs on the output root (its newest dot-bias run), read back with DuckDB.
    Path pairs = Files.writeString(dir.resolve("pairs.csv"), "user_id,item_id\n1,3\n99,1\n");
    String predictions = dir.resolve("predictions").toString();
    assertEquals(0, run("predict", "--run", output, "--pairs", pairs.toString(),
        "--out", predictions), err.toString());
    String recommendations = dir.resolve("recommendations").toString();
    assertEquals(0, run("recommend", "--run", output, "--top", "3", "--out", recommendations),
        err.toString());
    String similar = dir.resolve("similar").toString();
    assertEquals(0, run("similar-items", "--run", output + "/run_date=2024-06-30/model=dot-bias",
        "--top", "2", "--out", similar), err.toString());
    assertEquals(1, run("similar-items", "--run", output, "--top", "0", "--out", similar));
    assertTrue(err.toString().contains("--top must be at least 1, got 0"), err.toString());

    try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
        Statement sql = duck.createStatement()) {
      ResultSet p = sql.executeQuery("SELECT user_id, fallback FROM read_parquet('"
          + predictions + "/*.parquet') ORDER BY user_id");
      assertTrue(p.next());
      assertEquals(1, p.getInt(1));
      assertEquals(null, p.getString(2));
      assertTrue(p.next());
      assertEquals("unknown_user", p.getString(2));
      // 20 users, each with 5 unrated items of 15: 3 each, none of them rated.
      ResultSet r = sql.executeQuery("SELECT count(*), count(DISTINCT user_id), max(rank) FROM "
          + "read_parquet('" + recommendations + "/*.parquet') WHERE (user_id + item_id) % 3 <> 0");
      assertTrue(r.next());
      assertEquals(0, r.getLong(1), "recommended a rated item");
      ResultSet all = sql.executeQuery("SELECT count(*) FROM read_parquet('" + recommendations
          + "/*.parquet')");
      assertTrue(all.next());
      assertEquals(60, all.getLong(1));
      ResultSet s = sql.executeQuery("SELECT count(*) FROM read_parquet('" + similar
          + "/*.parquet')");
      assertTrue(s.next());
      assertEquals(15 * 2, s.getLong(1));
    }
  }
}
