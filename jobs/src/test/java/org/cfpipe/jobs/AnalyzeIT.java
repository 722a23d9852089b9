package org.cfpipe.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.cfpipe.config.ConfigLoader;
import org.cfpipe.config.PipelineSettings;
import org.cfpipe.spark.HadoopFiles;
import org.cfpipe.spark.RunLayout;
import org.cfpipe.spark.SparkFixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The analyze stage's report on a run of the bundled sample's first 20,000 ratings. */
class AnalyzeIT extends SparkFixture {
  @TempDir
  static Path tmp;

  private static RunLayout layout;
  private static Path report;

  @BeforeAll
  static void pipeline() throws Exception {
    List<String> lines = Files.readAllLines(Path.of(PipelineIT.SAMPLE)).subList(0, 20_001);
    Path ratings = Files.write(tmp.resolve("ratings.csv"), lines);
    PipelineSettings settings = PipelineSettings.from(ConfigLoader.load(Optional.empty(),
        List.of("cfpipe.input.ratings=" + ratings, "cfpipe.output.dir=" + tmp.resolve("out"),
            "cfpipe.input.items=../data/ml-latest-small/movies.csv",
            "cfpipe.train.engine=sparse", "cfpipe.train.epochs=4", "cfpipe.analyze.most-rated=500",
            "cfpipe.analyze.als=true", "cfpipe.eval.implicit-als.enabled=true",
            "cfpipe.eval.implicit-als.ranks=[8]",
            "cfpipe.eval.implicit-als.reg-params=[0.1, 1.0]",
            "cfpipe.eval.implicit-als.alphas=[1.0]")), "2024-05-01");
    CfPipe.run(spark, settings, List.of(Stage.values()));
    layout = RunLayout.of(settings);
    report = Path.of(layout.published().report());
  }

  @Test
  void everyImageDecodesAtItsSizeAndTheHtmlEmbedsThemAll() throws Exception {
    List<Path> pngs;
    try (Stream<Path> files = Files.list(report)) {
      pngs = files.filter(f -> f.toString().endsWith(".png")).sorted()
          .collect(Collectors.toList());
    }
    assertEquals(List.of("learning_curves.png", "pca_scatter.png", "predictions_vs_ratings.png",
        "rating_histogram.png", "ratings_per_item.png", "ratings_per_user.png"), pngs.stream()
            .map(p -> p.getFileName().toString()).collect(Collectors.toList()));
    for (Path png : pngs) {
      BufferedImage image = ImageIO.read(png.toFile());
      boolean scatter = png.toString().endsWith("pca_scatter.png");
      assertEquals(scatter ? 1200 : 900, image.getWidth(), png.toString());
      assertEquals(scatter ? 800 : 500, image.getHeight(), png.toString());
    }

    String html = Files.readString(report.resolve("report.html"));
    Matcher sources = Pattern.compile("src=\"([^\"]*)\"").matcher(html);
    List<String> embedded = new ArrayList<>();
    while (sources.find()) {
      assertTrue(sources.group(1).startsWith("data:image/png;base64,"), sources.group(1));
      embedded.add(sources.group(1).substring("data:image/png;base64,".length()));
    }
    assertEquals(pngs.size(), embedded.size());
    for (String image : embedded) {
      assertTrue(ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(image)))
          .getWidth() > 0);
    }
    assertFalse(html.contains("href=") || html.contains("url(") || html.contains("http"),
        "the report refers to something outside itself");
    // The top-N table, and the sentence that says which lists rank better, from the numbers.
    JsonNode meta = HadoopFiles.json().readTree(Files.readString(Path.of(
        layout.published().metadataJson())));
    JsonNode ranking = meta.path("metrics").path("ranking");
    for (String prefix : List.of("", "implicit_")) {
      boolean below = ranking.path(prefix + "precision_at_10").asDouble()
          < ranking.path("popularity_precision_at_10").asDouble()
          && ranking.path(prefix + "ndcg_at_10").asDouble()
          < ranking.path("popularity_ndcg_at_10").asDouble();
      String subject = prefix.isEmpty() ? "The rating model's lists"
          : "The top-N model's lists (" + (meta.path("ranking").path("model").asText()
              .equals("most-rated") ? "the most-rated items" : "implicit ALS")
              + ", cfpipe.ranking), which recommend sends,";
      assertEquals(below, html.contains(subject + " rank below the most-rated items"),
          ranking.toString());
      boolean above = ranking.path(prefix + "precision_at_10").asDouble()
          >= ranking.path("popularity_precision_at_10").asDouble()
          && ranking.path(prefix + "ndcg_at_10").asDouble()
          >= ranking.path("popularity_ndcg_at_10").asDouble();
      assertEquals(above, html.contains(subject + " rank above the most-rated items"),
          ranking.toString());
    }
    assertTrue(html.contains("Top-N lists of the validation users against the most-rated"));
    assertTrue(html.contains("top-N model (implicit ALS)")
        || html.contains("top-N model (the most-rated items)"), "the top-N model's column");
    // The peer: implicit Spark ALS's grid of two points, the better one chosen, its lists in
    // the table and the sentence.
    JsonNode peer = meta.path("metrics").path("implicit_als");
    assertEquals(2, peer.path("tried").size(), peer.toString());
    double bestNdcg = Math.max(peer.path("tried").get(0).path("ndcg").asDouble(),
        peer.path("tried").get(1).path("ndcg").asDouble());
    assertEquals(bestNdcg, peer.path("chosen").path("ndcg").asDouble(), 1e-12);
    assertTrue(ranking.path("als_precision_at_10").asDouble() > 0, ranking.toString());
    assertTrue(html.contains("implicit Spark ALS, tuned (rank 8, regParam "
        + peer.path("chosen").path("reg_param").asDouble()), "the peer's column");
    assertTrue(html.contains(String.format(java.util.Locale.ROOT, "precision at 10 %.4f against "
        + "%.4f, NDCG", ranking.path("implicit_precision_at_10").asDouble(),
        ranking.path("als_precision_at_10").asDouble())), "the peer's sentence");
    // The tuning, by its numbers in metadata.json.
    JsonNode tuning = meta.path("ranking").path("tuning");
    assertTrue(tuning.path("tried").size() >= 5, tuning.toString());
    assertTrue(html.contains(String.format(java.util.Locale.ROOT, "held-out NDCG@10 %.4f",
        tuning.path("chosen").path("ndcg").asDouble())), "the tuning's sentence");
    for (String section : List.of("Data", "Who rated what", "Training", "Predictions",
        "Against simpler models", "Item bias", "What the item factors mean")) {
      assertTrue(html.contains("<h2>" + section + "</h2>"), section);
    }
  }

  @Test
  void theComponentsAreOrthonormal() throws Exception {
    List<double[]> rows = csv("pca_components.csv").stream()
        .map(r -> new double[] {Double.parseDouble(r[1]), Double.parseDouble(r[2]),
            Double.parseDouble(r[3])}).collect(Collectors.toList());
    assertEquals(50, rows.size(), "one row per factor");
    for (int a = 0; a < 3; a++) {
      for (int b = 0; b < 3; b++) {
        double dot = 0;
        for (double[] row : rows) {
          dot += row[a] * row[b];
        }
        // The CSV keeps four decimals of each loading.
        assertEquals(a == b ? 1.0 : 0.0, dot, 2e-3, "pc" + (a + 1) + " . pc" + (b + 1));
      }
    }
    assertEquals(20, csv("pca_1.csv").size(), "10 items at each end");
  }

  @Test
  void theBiasRankingMatchesADirectQueryOfTheTables() throws Exception {
    Dataset<Row> top = spark.read().parquet(layout.published().itemFactors())
        .orderBy(functions.desc("train_ratings"), functions.col("item_index")).limit(500);
    List<String> lowest = top.orderBy(functions.col("bias").asc(), functions.col("item_id"))
        .limit(15).collectAsList().stream().map(r -> String.valueOf((Object) r.getAs("item_id")))
        .collect(Collectors.toList());
    List<String> highest = top.orderBy(functions.col("bias").desc(), functions.col("item_id"))
        .limit(15).collectAsList().stream().map(r -> String.valueOf((Object) r.getAs("item_id")))
        .collect(Collectors.toList());

    assertEquals(lowest, csv("bias_lowest.csv").stream().map(r -> r[0])
        .collect(Collectors.toList()));
    assertEquals(highest, csv("bias_highest.csv").stream().map(r -> r[0])
        .collect(Collectors.toList()));
    assertEquals(16, csv("crosstab.csv").get(0).length, "user_id and 15 items");
    assertEquals(15, csv("crosstab.csv").size());
  }

  @Test
  void theComparisonHasTheRunAndThreeSimplerModelsOnTheSameSplit() {
    List<String[]> rows = csv("baselines.csv");
    assertEquals(List.of("this run: dot-bias", "training mean", "user and item biases",
        "Spark ALS (rank 50)"), rows.stream().map(r -> r[0]).collect(Collectors.toList()));
    double mean = Double.parseDouble(rows.get(1)[1]);
    double biases = Double.parseDouble(rows.get(2)[1]);
    assertTrue(biases < mean, "biases " + biases + " should beat the mean " + mean);
    // The mean's RMSE is the validation ratings' spread around the training mean.
    Dataset<Row> validation = spark.read().parquet(layout.validation());
    double trainMean = spark.read().parquet(layout.train()).agg(functions.avg("rating"))
        .first().getDouble(0);
    double expected = Math.sqrt(validation.selectExpr("avg(pow(rating - " + trainMean
        + ", 2))").first().getDouble(0));
    assertEquals(expected, mean, 1e-4);
    assertEquals(validation.select("rating").distinct().count(),
        csv("rmse_by_rating.csv").size());
  }

  /** The rows after the header, split by univocity as Spark's CSV reader would. */
  private static List<String[]> csv(String name) {
    return spark.read().option("header", "true").csv(report.resolve(name).toString())
        .collectAsList().stream().map(r -> {
          String[] cells = new String[r.length()];
          for (int j = 0; j < cells.length; j++) {
            cells[j] = r.getString(j);
          }
          return cells;
        }).collect(Collectors.toList());
  }
}
