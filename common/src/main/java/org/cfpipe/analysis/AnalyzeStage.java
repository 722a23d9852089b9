package org.cfpipe.analysis;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.desc;
import static org.apache.spark.sql.functions.lit;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.feature.PCA;
import org.apache.spark.ml.feature.PCAModel;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.cfpipe.config.AnalyzeSettings;
import org.cfpipe.config.RatingScale;
import org.cfpipe.eval.EvaluateStage;
import org.cfpipe.ids.EncodeReport;
import org.cfpipe.ids.EncodeStage;
import org.cfpipe.ids.IdIndexer;
import org.cfpipe.ingest.InputException;
import org.cfpipe.spark.HadoopFiles;
import org.cfpipe.spark.RunLayout;
import org.cfpipe.split.SplitReport;
import org.cfpipe.split.SplitStage;
import org.cfpipe.train.implicit.ImplicitTuning;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The analyze stage: reads a committed run's tables (and the ratings it ingested) and writes
 * {@code report/} into the run folder: {@code report.html} with every image embedded, and the
 * PNG and CSV files it shows. The folder appears whole (written beside it, then renamed).
 */
public final class AnalyzeStage {
  private static final Logger LOG = LoggerFactory.getLogger(AnalyzeStage.class);
  public static final String NAME = "analyze";
  public static final String REPORT = "report.html";

  private AnalyzeStage() {}

  /** @return the path of report.html */
  public static String run(SparkSession spark, RunLayout layout, AnalyzeSettings settings) {
    long start = System.nanoTime();
    HadoopFiles files = HadoopFiles.of(spark);
    RunLayout.Tables run = layout.published();
    if (!files.exists(run.success())) {
      throw new InputException("no committed run at " + layout.runDir()
          + " to analyze: run the pipeline (or export) for this date and model first");
    }
    if (!files.exists(layout.ratings())) {
      throw new InputException("the ratings this run ingested are gone from " + layout.ratings()
          + ": rerun the pipeline for this date and model");
    }
    JsonNode meta = json(files.readString(run.metadataJson()));
    // Read where a section needs them, not cached: a section reads one or two of the columns
    // (the histogram only the rating, the crosstab 225 pairs found by their ids), and building
    // a cache of 25M rows with their ids cost more than the passes it served.
    Dataset<Row> ratings = spark.read().parquet(layout.ratings())
        .select("user_id", "item_id", "rating");
    Dataset<Row> items = spark.read().parquet(run.itemFactors()).cache();
    try {
      HtmlReport report = new HtmlReport("cfpipe: " + meta.get("model_name").asText() + ", run "
          + meta.get("run_date").asText());
      RatingScale scale = files.readJson(layout.report(SplitStage.NAME), SplitReport.class)
          .scale();
      // The id maps count every id's ratings as encode read them; when encode left none out
      // (no minimum-count filter took any), these are the counts of the ingested ratings, and
      // the report takes them from the maps instead of grouping the ratings again.
      boolean mapsCount = files.readJson(layout.report(EncodeStage.NAME), EncodeReport.class)
          .filteredRows() == 0;
      Counts counts = new Counts(spark, run, ratings, mapsCount);
      timed("overview", () -> Sections.overview(report, meta, ratings, counts, scale));
      timed("crosstab", () -> Sections.crosstab(report, ratings, counts));
      timed("learning curves", () -> Sections.learningCurves(report, meta));
      timed("predictions", () -> Sections.predictions(report, spark, layout, scale));
      timed("baselines", () -> Sections.baselines(report, spark, layout, meta, settings));
      timed("item biases", () -> Sections.itemBiases(report, items, settings));
      timed("components", () -> Sections.components(report, items, settings));
      String target = run.report();
      files.commit(target, temp -> write(files, temp, report));
      LOG.info(String.format(Locale.ROOT, "analyze: %s in %.1f s", target + "/" + REPORT,
          (System.nanoTime() - start) / 1e9));
      return target + "/" + REPORT;
    } finally {
      ratings.unpersist();
      items.unpersist();
    }
  }

  /** Runs one section of the report and logs its time, so a slow report says where. */
  private static void timed(String section, Runnable work) {
    long start = System.nanoTime();
    work.run();
    LOG.info(String.format(Locale.ROOT, "analyze: section %s in %.1f s", section,
        (System.nanoTime() - start) / 1e9));
  }

  private static void write(HadoopFiles files, String dir, HtmlReport report) {
    files.delete(dir);
    for (Map.Entry<String, byte[]> file : report.files().entrySet()) {
      byte[] bytes = file.getValue();
      files.writeBytes(new Path(dir, file.getKey()).toString(), bytes);
    }
    files.writeBytes(new Path(dir, REPORT).toString(),
        report.html().getBytes(StandardCharsets.UTF_8));
  }

  private static JsonNode json(String text) {
    try {
      return HadoopFiles.json().readTree(text);
    } catch (IOException e) {
      throw new UncheckedIOException("malformed metadata.json", e);
    }
  }

  /**
   * The number of ratings of each user and of each item (columns {@code user_id} or
   * {@code item_id}, and {@code n}): from the id maps when they count exactly the ingested
   * ratings, else grouped from them.
   */
  static final class Counts {
    private final SparkSession spark;
    private final RunLayout.Tables run;
    private final Dataset<Row> ratings;
    private final boolean fromMaps;

    Counts(SparkSession spark, RunLayout.Tables run, Dataset<Row> ratings, boolean fromMaps) {
      this.spark = spark;
      this.run = run;
      this.ratings = ratings;
      this.fromMaps = fromMaps;
    }

    /** @param side "user" or "item" */
    Dataset<Row> of(String side) {
      String id = side + "_id";
      if (!fromMaps) {
        return ratings.groupBy(id).agg(count(lit(1)).as("n"));
      }
      // An extended map keeps last night's ids that have no rating tonight, at count 0.
      return spark.read().parquet(side.equals("user") ? run.userIds() : run.itemIds())
          .select(col(id), col(IdIndexer.COUNT).as("n")).filter(col("n").gt(0));
    }
  }

  /** The report's sections, in order. */
  static final class Sections {
    private Sections() {}

    static void overview(HtmlReport report, JsonNode meta, Dataset<Row> ratings, Counts counts,
        RatingScale scale) {
      JsonNode data = meta.get("data");
      JsonNode metrics = meta.get("metrics");
      report.heading("Data");
      List<List<Object>> rows = new ArrayList<>();
      rows.add(List.of("input rows", data.get("input_rows").asLong()));
      rows.add(List.of("rejected rows", data.get("rejected_rows").asLong()));
      rows.add(List.of("users", data.get("users").asLong()));
      rows.add(List.of("items", data.get("items").asLong()));
      rows.add(List.of("train ratings", data.get("train_rows").asLong()));
      rows.add(List.of("validation ratings", data.get("valid_rows").asLong()));
      rows.add(List.of("validation ratings dropped (unseen user or item)",
          data.get("valid_rows_dropped").asLong()));
      rows.add(List.of("rating scale (training ratings)", scale.toString()));
      rows.add(List.of("validation RMSE", metrics.get("valid_rmse").asDouble()));
      rows.add(List.of("validation MAE", metrics.get("valid_mae").asDouble()));
      report.table("overview", "The run in numbers", List.of("measure", "value"), rows);
      // The rating model's top-N lists beside the top-N model's (when the run has one) and
      // the most-rated items', measure by measure.
      JsonNode ranking = metrics.path("ranking");
      boolean topN = ranking.has(EvaluateStage.IMPLICIT + "precision_at_"
          + firstCutoff(ranking));
      boolean peer = ranking.has(EvaluateStage.IMPLICIT_ALS + "precision_at_"
          + firstCutoff(ranking));
      List<List<Object>> lists = new ArrayList<>();
      ranking.fields().forEachRemaining(m -> {
        String name = m.getKey();
        if (!name.startsWith(EvaluateStage.POPULARITY)
            && !name.startsWith(EvaluateStage.IMPLICIT)
            && !name.startsWith(EvaluateStage.IMPLICIT_ALS)) {
          List<Object> row = new ArrayList<>(List.of(name, m.getValue().asDouble()));
          if (topN) {
            row.add(cell(ranking.path(EvaluateStage.IMPLICIT + name)));
          }
          if (peer) {
            row.add(cell(ranking.path(EvaluateStage.IMPLICIT_ALS + name)));
          }
          row.add(cell(ranking.path(EvaluateStage.POPULARITY + name)));
          lists.add(row);
        }
      });
      if (!lists.isEmpty()) {
        List<String> columns = new ArrayList<>(List.of("measure", "rating model ("
            + meta.path("model").path("type").asText() + ")"));
        if (topN) {
          columns.add("top-N model (" + topNModel(meta.path("ranking")) + ")");
        }
        JsonNode chosen = metrics.path("implicit_als").path("chosen");
        if (peer) {
          columns.add(String.format(Locale.ROOT, "implicit Spark ALS, tuned (rank %d, regParam "
              + "%s, alpha %s)", chosen.path("rank").asInt(), chosen.path("reg_param").asDouble(),
              chosen.path("alpha").asDouble()));
        }
        columns.add("most-rated items");
        report.table("top_n", "Top-N lists of the validation users against the most-rated "
            + "items (" + metrics.path("ranking_users").asLong() + " users)", columns, lists);
        report.paragraph(againstMostRated(ranking, "", "The rating model's lists"));
        if (topN) {
          report.paragraph(againstMostRated(ranking, EvaluateStage.IMPLICIT,
              topNSubject(meta.path("ranking"))));
          String tuning = tuning(meta.path("ranking"));
          if (!tuning.isEmpty()) {
            report.paragraph(tuning);
          }
          if (peer) {
            report.paragraph(againstPeer(ranking, metrics.path("implicit_als")));
          }
        } else {
          report.paragraph("This run has no top-N model (metadata.json's ranking says why): "
              + "recommend lists from the rating model.");
        }
      }

      RatingAxis axis = RatingAxis.ratings(scale);
      List<Row> histogram = ratings.selectExpr(axis.index("rating") + " AS bin").groupBy("bin")
          .agg(count(lit(1)).as("n")).orderBy("bin").collectAsList();
      List<String> labels = axis.labels();
      report.image("rating_histogram", "Ratings by value", Charts.bars("Ratings by value",
          "rating", "ratings", histogram.stream().map(r -> labels.get(r.getInt(0))).toList(),
          histogram.stream().map(r -> r.getLong(1)).toList()));
      for (String side : List.of("user", "item")) {
        List<Row> perId = counts.of(side)
            .selectExpr(BINS + " AS bin", BIN_ORDER + " AS bin_order")
            .groupBy("bin", "bin_order").agg(count(lit(1)).as(side + "s"))
            .orderBy("bin_order").collectAsList();
        report.image("ratings_per_" + side, "Ratings per " + side, Charts.bars(
            "Ratings per " + side, "ratings of one " + side, side + "s",
            perId.stream().map(r -> r.getString(0)).toList(),
            perId.stream().map(r -> r.getLong(2)).toList()));
      }
    }

    /**
     * Says plainly whether the model's lists rank above or below the most-rated items, at the
     * first cutoff, by precision and NDCG.
     */
    static String againstMostRated(JsonNode ranking, String prefix, String subject) {
      String k = firstCutoff(ranking);
      double precision = ranking.path(prefix + "precision_at_" + k).asDouble();
      double ndcg = ranking.path(prefix + "ndcg_at_" + k).asDouble();
      double popularPrecision = ranking.path(EvaluateStage.POPULARITY + "precision_at_" + k)
          .asDouble();
      double popularNdcg = ranking.path(EvaluateStage.POPULARITY + "ndcg_at_" + k).asDouble();
      String numbers = String.format(Locale.ROOT, "precision at %s %.4f against %.4f, NDCG at "
          + "%s %.4f against %.4f", k, precision, popularPrecision, k, ndcg, popularNdcg);
      if (precision < popularPrecision && ndcg < popularNdcg) {
        JsonNode listed = ranking.path(prefix + "mean_item_ratings_at_" + k);
        JsonNode popularListed = ranking.path(EvaluateStage.POPULARITY + "mean_item_ratings_at_"
            + k);
        JsonNode topN = ranking.path(EvaluateStage.IMPLICIT + "mean_item_ratings_at_" + k);
        // Below a quarter of the most-rated items' mean, the lists lean to rarely rated items.
        boolean rare = listed.asDouble() < popularListed.asDouble() / 4;
        String lean = listed.isMissingNode() ? "" : String.format(Locale.ROOT, " Its top %s "
            + "items have %.1f training ratings on average, against %.1f for the most-rated "
            + "items'%s%s", k, listed.asDouble(), popularListed.asDouble(),
            topN.isMissingNode() || prefix.equals(EvaluateStage.IMPLICIT) ? ""
                : String.format(Locale.ROOT, " and %.1f for the top-N model's", topN.asDouble()),
            rare ? ": it lists items rated highly by the few who rated them, which the "
                + "validation users have mostly not seen." : ".");
        return subject + " rank below the most-rated items (" + numbers + "): for "
            + "top-N lists on this data, recommending the most-rated items a user has not rated "
            + "does better. A model fitted to rating values need not rank well." + lean;
      }
      if (precision >= popularPrecision && ndcg >= popularNdcg) {
        return subject + " rank above the most-rated items (" + numbers + ").";
      }
      return subject + " and the most-rated items rank about alike (" + numbers + ").";
    }

    /**
     * The top-N model's lists against tuned implicit Spark ALS's, at the first cutoff, and how
     * Spark's grid was searched.
     */
    static String againstPeer(JsonNode ranking, JsonNode peer) {
      String k = firstCutoff(ranking);
      double precision = ranking.path(EvaluateStage.IMPLICIT + "precision_at_" + k).asDouble();
      double ndcg = ranking.path(EvaluateStage.IMPLICIT + "ndcg_at_" + k).asDouble();
      double peerPrecision = ranking.path(EvaluateStage.IMPLICIT_ALS + "precision_at_" + k)
          .asDouble();
      double peerNdcg = ranking.path(EvaluateStage.IMPLICIT_ALS + "ndcg_at_" + k).asDouble();
      String verdict = precision > peerPrecision && ndcg > peerNdcg ? "rank above"
          : precision < peerPrecision && ndcg < peerNdcg ? "rank below" : "rank about alike with";
      return String.format(Locale.ROOT, "Against implicit Spark ALS tuned on the same "
          + "training ratings (%d grid points of rank, regParam and alpha, each fitted on four "
          + "fifths of them and scored on the rest, in %.0f s), the top-N model's lists %s "
          + "Spark's: precision at %s %.4f against %.4f, NDCG at %s %.4f against %.4f.",
          peer.path("tried").size(), peer.path("seconds").asDouble(), verdict, k, precision,
          peerPrecision, k, ndcg, peerNdcg);
    }

    /** The top-N model's name in the report: implicit ALS, or the most-rated items. */
    static String topNModel(JsonNode rankingReport) {
      return ImplicitTuning.MOST_RATED.equals(rankingReport.path("model").asText())
          ? "the most-rated items" : "implicit ALS";
    }

    /** The subject of the sentence on the top-N model's lists. */
    static String topNSubject(JsonNode rankingReport) {
      return "The top-N model's lists (" + topNModel(rankingReport) + ", cfpipe.ranking), "
          + "which recommend sends,";
    }

    /**
     * How the top-N model was chosen on the training ratings' holdout, from the ranking report
     * in metadata.json ("" when it was not tuned).
     */
    static String tuning(JsonNode rankingReport) {
      JsonNode tuning = rankingReport.path("tuning");
      if (tuning.isMissingNode() || tuning.isNull()) {
        JsonNode from = rankingReport.path("reused_from");
        return from.isTextual() ? String.format(Locale.ROOT, "The top-N model's settings are "
            + "those a tuning chose on %s, reused from %s (cfpipe.ranking.reuse-tuning-days); "
            + "they were trained on tonight's training ratings.",
            rankingReport.path("tuned_on").asText(), from.asText()) : "";
      }
      JsonNode chosen = tuning.path("chosen");
      double mostRated = Double.NaN;
      for (JsonNode c : tuning.path("tried")) {
        if (ImplicitTuning.MOST_RATED.equals(c.path("model").asText())) {
          mostRated = c.path("ndcg").asDouble();
        }
      }
      String model = ImplicitTuning.MOST_RATED.equals(chosen.path("model").asText())
          ? "the most-rated items (they ranked above every fitted model)"
          : String.format(Locale.ROOT, "implicit ALS with %d factors, regularization %s "
              + "(%s-weighted) and alpha %s", chosen.path("factors").asInt(),
              chosen.path("regularization").asDouble(), chosen.path("weighting").asText(),
              chosen.path("alpha").asDouble());
      long sampleUsers = tuning.path("sample_users").asLong();
      long ratedUsers = tuning.path("rated_users").asLong();
      String on = sampleUsers < ratedUsers ? String.format(Locale.ROOT, "the training ratings "
          + "of a seeded sample of %,d of the %,d users (cfpipe.ranking.tuning-max-ratings)",
          sampleUsers, ratedUsers) : "the training ratings";
      return String.format(Locale.ROOT, "The top-N model was chosen on %s: "
          + "%,d of them held out, %d candidates fitted on the other %,d and scored by "
          + "NDCG@%d on the lists of %,d users. Chosen: %s, held-out NDCG@%d %.4f against "
          + "%.4f for the most-rated items; then trained on all training ratings "
          + "(metadata.json's ranking.tuning lists every candidate).", on,
          tuning.path("held_ratings").asLong(), tuning.path("tried").size(),
          tuning.path("fit_ratings").asLong(), ImplicitTuning.K,
          tuning.path("scored_users").asLong(), model, ImplicitTuning.K,
          chosen.path("ndcg").asDouble(), mostRated);
    }

    /** The first cutoff of the ranking metrics, as written in their names ("" for none). */
    static String firstCutoff(JsonNode ranking) {
      for (var names = ranking.fieldNames(); names.hasNext(); ) {
        String name = names.next();
        if (name.startsWith("precision_at_")) {
          return name.substring("precision_at_".length());
        }
      }
      return "";
    }

    private static Object cell(JsonNode value) {
      return value.isMissingNode() ? "" : value.asDouble();
    }

    private static final String BINS = "CASE WHEN n = 1 THEN '1' WHEN n <= 5 THEN '2-5' "
        + "WHEN n <= 10 THEN '6-10' WHEN n <= 20 THEN '11-20' WHEN n <= 50 THEN '21-50' "
        + "WHEN n <= 100 THEN '51-100' WHEN n <= 200 THEN '101-200' WHEN n <= 500 "
        + "THEN '201-500' WHEN n <= 1000 THEN '501-1000' ELSE 'over 1000' END";
    private static final String BIN_ORDER = "CASE WHEN n = 1 THEN 0 WHEN n <= 5 THEN 1 "
        + "WHEN n <= 10 THEN 2 WHEN n <= 20 THEN 3 WHEN n <= 50 THEN 4 WHEN n <= 100 THEN 5 "
        + "WHEN n <= 200 THEN 6 WHEN n <= 500 THEN 7 WHEN n <= 1000 THEN 8 ELSE 9 END";

    /** The seeds' crosstab: the 15 most active users by the 15 most rated items. */
    static void crosstab(HtmlReport report, Dataset<Row> ratings, Counts counts) {
      List<Object> users = counts.of("user").orderBy(desc("n"), col("user_id")).limit(15)
          .collectAsList().stream().map(r -> r.get(0)).toList();
      List<Object> top = counts.of("item").orderBy(desc("n"), col("item_id")).limit(15)
          .collectAsList().stream().map(r -> r.get(0)).toList();
      Map<String, Double> cells = new java.util.HashMap<>();
      for (Row r : ratings.filter(col("user_id").isin(users.toArray()))
          .filter(col("item_id").isin(top.toArray())).select("user_id", "item_id", "rating")
          .collectAsList()) {
        cells.put(r.get(0) + "/" + r.get(1), r.getDouble(2));
      }
      List<String> header = new ArrayList<>(List.of("user_id"));
      top.forEach(i -> header.add(String.valueOf(i)));
      List<List<Object>> rows = new ArrayList<>();
      for (Object u : users) {
        List<Object> row = new ArrayList<>(List.of(u));
        for (Object i : top) {
          row.add(cells.get(u + "/" + i));
        }
        rows.add(row);
      }
      report.heading("Who rated what");
      report.table("crosstab", "Ratings of the 15 most active users (rows) for the 15 most "
          + "rated items (columns, by item id); blank: not rated", header, rows);
    }

    static void learningCurves(HtmlReport report, JsonNode meta) {
      List<Integer> epochs = new ArrayList<>();
      List<Double> loss = new ArrayList<>();
      List<Double> rmse = new ArrayList<>();
      for (JsonNode e : meta.at("/metrics/history")) {
        epochs.add(e.get("epoch").asInt());
        loss.add(e.get("train_loss").asDouble());
        rmse.add(e.get("valid_rmse").asDouble());
      }
      report.heading("Training");
      report.image("learning_curves", "Training loss and validation RMSE per epoch",
          Charts.lines("Learning curves", "epoch", "loss (mean squared error) / RMSE",
              epochs, List.of("train loss", "validation RMSE"), List.of(loss, rmse)));
    }

    /**
     * The validation ratings against the model's predictions (as the evaluate stage scored
     * them from the stored tables): a density over (rating, prediction) and the RMSE at each
     * rating value.
     */
    static void predictions(HtmlReport report, SparkSession spark, RunLayout layout,
        RatingScale scale) {
      Dataset<Row> scored = spark.read().parquet(layout.scoredValidation());
      RatingAxis actual = RatingAxis.ratings(scale);
      RatingAxis predicted = RatingAxis.predictions(scale);
      List<Row> grid = scored.selectExpr(actual.index("rating") + " AS actual",
              predicted.index("prediction") + " AS predicted").groupBy("actual", "predicted")
          .agg(count(lit(1)).as("n")).collectAsList();
      List<Number[]> cells = new ArrayList<>();
      for (Row r : grid) {
        cells.add(new Number[] {r.getInt(0), r.getInt(1), r.getLong(2)});
      }
      report.heading("Predictions");
      report.image("predictions_vs_ratings", "Validation ratings against the model's "
          + "predictions (count of ratings in each cell)", Charts.heatMap("Predicted against "
          + "actual", "actual rating", "predicted rating (to the nearest " + predicted.width()
          + ")", actual.labels(), predicted.labels(), cells));
      List<List<Object>> byRating = scored.groupBy("rating").agg(count(lit(1)).as("n"),
              functions.sqrt(functions.avg(functions.pow(col("prediction").minus(
                  col("rating")), 2))).as("rmse"), functions.avg("prediction").as("mean"))
          .orderBy("rating").collectAsList().stream()
          .map(r -> List.<Object>of(r.getDouble(0), r.getLong(1), r.getDouble(2),
              r.getDouble(3))).toList();
      report.table("rmse_by_rating", "Validation RMSE by actual rating",
          List.of("rating", "validation ratings", "rmse", "mean prediction"), byRating);
    }

    /**
     * The run's RMSE beside simpler models on the same split: the training mean, user and item
     * biases alone (regularised, fitted by alternating means), and Spark ALS when asked.
     */
    static void baselines(HtmlReport report, SparkSession spark, RunLayout layout,
        JsonNode meta, AnalyzeSettings settings) {
      // Two passes over the training ratings, read from their Parquet files each time (three
      // numeric columns): cheaper than caching 20M rows first, at 25M ratings.
      Dataset<Row> train = spark.read().parquet(layout.train())
          .select("user_index", "item_index", "rating");
      Dataset<Row> validation = spark.read().parquet(layout.validation())
          .select("user_index", "item_index", "rating");
      JsonNode trainMean = meta.at("/data/train_mean");
      double mean = trainMean.isNumber() ? trainMean.asDouble()
          : train.agg(functions.avg("rating")).first().getDouble(0);
      List<List<Object>> rows = new ArrayList<>();
      rows.add(List.of("this run: " + meta.at("/model/type").asText(),
          meta.at("/metrics/valid_rmse").asDouble(), meta.at("/metrics/valid_mae").asDouble()));
      rows.add(errors("training mean", validation.withColumn("prediction", lit(mean))));
      rows.add(errors("user and item biases", Baselines.biases(train, validation, mean,
          meta.at("/data/items").asLong())));
      if (settings.als()) {
        rows.add(errors("Spark ALS (rank " + meta.at("/model/factors").asInt() + ")",
            Baselines.als(train, validation, meta.at("/model/factors").asInt())));
      }
      report.heading("Against simpler models");
      report.table("baselines", "Validation RMSE and MAE on the same split",
          List.of("model", "rmse", "mae"), rows);
    }

    private static List<Object> errors(String model, Dataset<Row> scored) {
      Row r = scored.agg(functions.sqrt(functions.avg(functions.pow(col("prediction")
          .minus(col("rating")), 2))), functions.avg(functions.abs(col("prediction")
          .minus(col("rating"))))).first();
      return List.of(model, r.getDouble(0), r.getDouble(1));
    }

    /** The most-rated items, most rated first. */
    static Dataset<Row> mostRated(Dataset<Row> items, AnalyzeSettings settings) {
      return items.orderBy(desc("train_ratings"), col("item_index"))
          .limit(settings.mostRated());
    }

    static void itemBiases(HtmlReport report, Dataset<Row> items, AnalyzeSettings settings) {
      if (items.filter(col("bias").isNotNull()).isEmpty()) {
        return;
      }
      boolean titles = List.of(items.columns()).contains("title");
      Dataset<Row> top = mostRated(items, settings).selectExpr("item_id",
          titles ? "title" : "CAST(NULL AS STRING) AS title", "bias", "train_ratings").cache();
      report.heading("Item bias");
      report.paragraph("Each item's learned bias, among the " + settings.mostRated()
          + " most-rated items: how much better or worse it is rated than its users and "
          + "factors predict, corrected for reviewer sentiment.");
      for (boolean lowest : new boolean[] {true, false}) {
        List<List<Object>> rows = top.orderBy(lowest ? col("bias").asc() : col("bias").desc(),
                col("item_id")).limit(settings.biasItems()).collectAsList().stream()
            .map(r -> List.<Object>of(r.get(0), r.isNullAt(1) ? "" : r.getString(1),
                r.getFloat(2), r.getLong(3))).toList();
        String name = lowest ? "bias_lowest" : "bias_highest";
        report.table(name, "The " + settings.biasItems() + (lowest ? " lowest" : " highest")
            + " item biases", List.of("item_id", "title", "bias", "train_ratings"), rows);
      }
      top.unpersist();
    }

    /** PCA of the most-rated items' factors: 3 components, their ends, a scatter plot. */
    static void components(HtmlReport report, Dataset<Row> items, AnalyzeSettings settings) {
      boolean titles = List.of(items.columns()).contains("title");
      Dataset<Row> top = mostRated(items, settings).selectExpr("item_id", "train_ratings",
          titles ? "title" : "CAST(item_id AS STRING) AS title",
          "factors").withColumn("features", org.apache.spark.ml.functions.array_to_vector(
              col("factors")));
      PCAModel pca = new PCA().setK(3).setInputCol("features").setOutputCol("pca").fit(top);
      // At most analyze.most-rated rows: read once, and ordered here for each table.
      List<Row> projected = pca.transform(top).withColumn("pc", org.apache.spark.ml.functions
          .vector_to_array(col("pca"), "float64")).select(col("item_id"), col("title"),
              col("train_ratings"), col("pc")).collectAsList();
      report.heading("What the item factors mean");
      double[] variance = pca.explainedVariance().toArray();
      report.paragraph(String.format(Locale.ROOT, "Principal components of the factors of the "
          + "%d most-rated items (Spark MLlib PCA). Share of the variance explained: %.1f%%, "
          + "%.1f%%, %.1f%%.", projected.size(), 100 * variance[0], 100 * variance[1],
          100 * variance[2]));
      DenseMatrix pc = pca.pc();
      List<List<Object>> loadings = new ArrayList<>();
      for (int f = 0; f < pc.numRows(); f++) {
        loadings.add(List.of(f, pc.apply(f, 0), pc.apply(f, 1), pc.apply(f, 2)));
      }
      report.table("pca_components", "Loadings: each component as a unit vector over the "
          + "factors", List.of("factor", "pc1", "pc2", "pc3"), loadings);
      Comparator<Row> byId = Comparator.comparing(r -> (Comparable<Object>) r.get(0));
      for (int c = 0; c < 3; c++) {
        int component = c;
        Comparator<Row> byScore = Comparator.comparingDouble(
            r -> r.<Double>getList(3).get(component));
        List<List<Object>> rows = new ArrayList<>();
        for (boolean high : new boolean[] {true, false}) {
          List<Row> end = projected.stream()
              .sorted((high ? byScore.reversed() : byScore).thenComparing(byId))
              .limit(settings.componentItems()).toList();
          for (int j = 0; j < end.size(); j++) {
            Row r = end.get(j);
            rows.add(List.of(high ? "high" : "low", j + 1, r.get(0), r.getString(1),
                r.<Double>getList(3).get(c)));
          }
        }
        report.table("pca_" + (c + 1), "Component " + (c + 1) + ": the "
            + settings.componentItems() + " items at each end",
            List.of("end", "rank", "item_id", "title", "score"), rows);
      }
      List<Row> sample = projected.stream()
          .sorted(Comparator.comparingLong((Row r) -> ((Number) r.get(2)).longValue()).reversed()
              .thenComparing(byId))
          .limit(settings.scatterItems()).toList();
      double[] x = sample.stream().mapToDouble(r -> r.<Double>getList(3).get(0)).toArray();
      double[] y = sample.stream().mapToDouble(r -> r.<Double>getList(3).get(1)).toArray();
      report.image("pca_scatter", "The " + sample.size() + " most-rated items on components 1 "
          + "and 2", Charts.labelledScatter("Items on the first two principal components",
              "component 1", "component 2", x, y, sample.stream().map(r -> r.getString(1))
                  .toList()));
    }
  }
}
