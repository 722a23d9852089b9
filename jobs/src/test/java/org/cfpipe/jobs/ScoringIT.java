package org.cfpipe.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;
import org.cfpipe.config.ConfigLoader;
import org.cfpipe.config.EvalSettings;
import org.cfpipe.config.PipelineSettings;
import org.cfpipe.eval.EvaluateStage;
import org.cfpipe.eval.EvaluationReport;
import org.cfpipe.io.RunMetrics;
import org.cfpipe.serve.Predictions;
import org.cfpipe.serve.PublishedRun;
import org.cfpipe.serve.Recommendations;
import org.cfpipe.serve.SimilarItems;
import org.cfpipe.spark.HadoopFiles;
import org.cfpipe.spark.RunLayout;
import org.cfpipe.spark.SparkFixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * predict, recommend and similar-items on a published run, each checked against a brute-force
 * computation in Spark over the stored tables.
 */
class ScoringIT extends SparkFixture {
  @TempDir
  static Path tmp;

  private static final scala.collection.immutable.Seq<String> PAIR =
      scala.collection.JavaConverters.asScalaBuffer(List.of("user_id", "item_id")).toList();

  private static RunLayout layout;
  private static RunMetrics metrics;
  private static PublishedRun run;

  @BeforeAll
  static void publish() throws Exception {
    List<String> lines = Files.readAllLines(Path.of(PipelineIT.SAMPLE)).subList(0, 20_001);
    Path ratings = Files.write(tmp.resolve("ratings.csv"), lines);
    PipelineSettings settings = PipelineSettings.from(ConfigLoader.load(Optional.empty(),
        List.of("cfpipe.input.ratings=" + ratings, "cfpipe.output.dir=" + tmp.resolve("out"),
            "cfpipe.input.items=../data/ml-latest-small/movies.csv",
            "cfpipe.train.engine=sparse", "cfpipe.train.epochs=3")), "2024-05-01");
    metrics = CfPipe.run(spark, settings, List.of(Stage.values()));
    layout = RunLayout.of(settings);
    // Through the output root and _latest, as the jobs' --run takes it.
    run = PublishedRun.open(HadoopFiles.of(spark), tmp.resolve("out").toString(), "dot-bias");
  }

  @Test
  void predictScoresKnownPairsAsTheModelAndFallsBackForUnknownIds() {
    assertEquals(layout.runDir(), run.dir());
    assertEquals(spark.read().parquet(layout.train()).agg(functions.avg("rating")).first()
        .getDouble(0), run.trainMean(), 1e-12);
    // Known pairs: the validation ratings, scored as the evaluate stage scores them.
    Dataset<Row> validation = spark.read().parquet(layout.validation());
    Dataset<Row> expected = EvaluateStage.score(run.model(), validation,
        spark.read().parquet(layout.modelUsers()), spark.read().parquet(layout.modelItems()));
    // The work tables keep the original ids beside the indices.
    Dataset<Row> ids = expected;
    Dataset<Row> compared = Predictions.run(spark, run, ids.select("user_id", "item_id"), "t")
        .join(ids.withColumnRenamed(EvaluateStage.PREDICTION, "expected"), PAIR);
    assertEquals(validation.count(), compared.count());
    assertEquals(0, compared.filter("fallback IS NOT NULL").count());
    double worst = compared.agg(functions.max(functions.abs(functions.col("prediction")
        .minus(functions.col("expected"))))).first().getDouble(0);
    // Float products summed in another order: equal to ~1e-8.
    assertTrue(worst < 1e-6, "largest difference " + worst + ": "
        + compared.orderBy(functions.desc("prediction")).limit(3).collectAsList());

    // Unknown ids: user 999999 and item 999999 exist nowhere.
    Row item = spark.read().parquet(run.tables().itemFactors()).orderBy(functions.desc("bias"))
        .first();
    int likedItem = item.getAs("item_id");
    Dataset<Row> pairs = spark.createDataset(List.of("999999," + likedItem, "1,999999",
        "999999,999999"), Encoders.STRING()).selectExpr("split(value, ',')[0] AS user_id",
            "split(value, ',')[1] AS item_id");
    List<Row> scored = Predictions.run(spark, run, pairs, "test").orderBy("user_id", "item_id")
        .collectAsList();
    assertEquals("unknown_item", scored.get(0).getAs("fallback"));
    assertEquals("unknown_user", scored.get(1).getAs("fallback"));
    assertEquals("unknown_user_and_item", scored.get(2).getAs("fallback"));
    assertEquals(run.trainMean(), (double) scored.get(2).getAs("prediction"), 1e-12);
    // The most liked item lifts an unknown user's prediction above the mean.
    assertTrue((double) scored.get(1).getAs("prediction") > run.trainMean());
    assertEquals(Integer.valueOf(likedItem), scored.get(1).getAs("item_id"));
  }

  /**
   * With {@code cfpipe.ranking.model = most-rated} (what the tuning may also choose) the top-N
   * tables hold the items' training counts: the evaluate stage's top-N lists are then exactly
   * the most-rated items' (every metric equal), and recommend sends each user the most-rated
   * items he has not rated.
   */
  @Test
  void theMostRatedTopNModelListsExactlyTheMostRatedItems() {
    Path output = tmp.resolve("most-rated");
    PipelineSettings settings = PipelineSettings.from(ConfigLoader.load(Optional.empty(),
        List.of("cfpipe.input.ratings=" + tmp.resolve("ratings.csv"),
            "cfpipe.output.dir=" + output, "cfpipe.train.engine=sparse",
            "cfpipe.train.epochs=1", "cfpipe.ranking.model=most-rated")), "2024-05-02");
    RunMetrics most = CfPipe.run(spark, settings, List.of(Stage.values()));
    java.util.Map<String, Double> ranking = most.ranking();
    ranking.forEach((name, value) -> {
      if (name.startsWith(EvaluateStage.POPULARITY)) {
        String topN = EvaluateStage.IMPLICIT + name.substring(EvaluateStage.POPULARITY.length());
        assertEquals(value, ranking.get(topN), 1e-12, name + " against " + topN);
      }
    });
    assertTrue(ranking.get("implicit_precision_at_10") > 0, ranking.toString());
    RunLayout mostLayout = RunLayout.of(settings);
    PublishedRun published = PublishedRun.open(HadoopFiles.of(spark), output.toString(),
        "dot-bias");
    assertEquals("most-rated", published.listModel().type());
    Dataset<Row> users = spark.createDataset(List.of(1, 2, 3), Encoders.INT()).toDF("user_id");
    Dataset<Row> rated = spark.read().parquet(mostLayout.ratings());
    List<String> actual = Recommendations.run(spark, published, 5, Optional.of(users), rated)
        .orderBy("user_id", "rank").collectAsList().stream()
        .map(r -> r.getAs("user_id") + ":" + r.getAs("item_id")).collect(Collectors.toList());
    List<Row> byCount = spark.read().parquet(mostLayout.train())
        .groupBy("item_index").count()
        .join(spark.read().parquet(published.tables().itemFactors())
            .select("item_index", "item_id"), "item_index")
        .orderBy(functions.desc("count"), functions.asc("item_index")).collectAsList();
    List<String> expected = new java.util.ArrayList<>();
    for (int user : List.of(1, 2, 3)) {
      java.util.Set<Object> seen = rated.filter("user_id = " + user).select("item_id")
          .collectAsList().stream().map(r -> r.get(0)).collect(Collectors.toSet());
      byCount.stream().map(r -> r.getAs("item_id")).filter(item -> !seen.contains(item))
          .limit(5).forEach(item -> expected.add(user + ":" + item));
    }
    assertEquals(expected, actual);
  }

  @Test
  void recommendationsAreTheBestUnratedItemsOfEachUser() {
    Dataset<Row> users = spark.createDataset(List.of(1, 2, 3), Encoders.INT()).toDF("user_id");
    Dataset<Row> rated = spark.read().parquet(layout.ratings());

    Dataset<Row> recs = Recommendations.run(spark, run, 5, Optional.of(users), rated);

    assertEquals(15, recs.count());
    assertEquals(0, recs.join(rated, PAIR).count(), "a rated item was recommended");
    assertEquals(0, recs.filter("title IS NULL").count(), "every item has a title");
    // Brute force: every (user, unrated item) pair scored by the evaluate stage's SQL.
    Dataset<Row> pairs = spark.read().parquet(run.tables().userIds()).join(users, "user_id")
        .crossJoin(spark.read().parquet(run.tables().itemFactors()).select("item_index",
            "item_id"))
        .join(rated.select("user_id", "item_id"), PAIR, "left_anti");
    // The run has a top-N model (cfpipe.ranking, on by default): recommend lists from it.
    assertEquals("implicit", run.listModel().type());
    Dataset<Row> scored = EvaluateStage.score(run.listModel(), pairs,
        spark.read().parquet(layout.rankingUsers()), spark.read().parquet(layout.rankingItems()));
    List<String> expected = scored.withColumn("rank", functions.row_number().over(
            Window.partitionBy("user_id").orderBy(functions.desc(EvaluateStage.PREDICTION),
                functions.asc("item_index"))))
        .filter("rank <= 5").orderBy("user_id", "rank").collectAsList().stream()
        .map(r -> r.getAs("user_id") + ":" + r.getAs("item_id")).collect(Collectors.toList());
    List<String> actual = recs.orderBy("user_id", "rank").collectAsList().stream()
        .map(r -> r.getAs("user_id") + ":" + r.getAs("item_id")).collect(Collectors.toList());
    assertEquals(expected, actual);
  }

  @Test
  void rankingMetricsFollowTheirDefinitionsOverEachUsersTopTen() {
    // The evaluate stage's lists: each validation user's top 10 of the items with training
    // ratings, leaving out their training items; relevant = validation rating >= 4.
    Dataset<Row> userIds = spark.read().parquet(run.tables().userIds()).drop("rating_count");
    Dataset<Row> itemIds = spark.read().parquet(run.tables().itemIds()).drop("rating_count");
    Dataset<Row> train = spark.read().parquet(layout.train()).select("user_index", "item_index")
        .join(userIds, "user_index").join(itemIds, "item_index");
    Dataset<Row> relevant = spark.read().parquet(layout.validation()).filter("rating >= 4.0")
        .select("user_index", "item_index").join(userIds, "user_index")
        .join(itemIds, "item_index");
    Dataset<Row> recs = Recommendations.run(spark, run, 10,
        Optional.of(relevant.select("user_id")), train.select("user_id", "item_id"));
    java.util.Map<Object, List<Object>> ranked = recs.orderBy("user_id", "rank").collectAsList()
        .stream().collect(Collectors.groupingBy(r -> r.getAs("user_id"),
            java.util.LinkedHashMap::new, Collectors.mapping(r -> r.getAs("item_id"),
                Collectors.toList())));
    java.util.Map<Object, java.util.Set<Object>> wanted = relevant.collectAsList().stream()
        .collect(Collectors.groupingBy(r -> r.getAs("user_id"), Collectors.mapping(
            r -> r.getAs("item_id"), Collectors.toSet())));

    double precision = 0;
    double recall = 0;
    double ndcg = 0;
    double map = 0;
    for (var entry : wanted.entrySet()) {
      List<Object> top = ranked.getOrDefault(entry.getKey(), List.of());
      java.util.Set<Object> rel = entry.getValue();
      double hits = 0;
      double dcg = 0;
      double idcg = 0;
      double precisionSum = 0;
      for (int i = 0; i < top.size(); i++) {
        if (rel.contains(top.get(i))) {
          hits++;
          dcg += 1 / Math.log(i + 2) * Math.log(2);
          precisionSum += hits / (i + 1);
        }
      }
      for (int i = 0; i < Math.min(10, rel.size()); i++) {
        idcg += 1 / Math.log(i + 2) * Math.log(2);
      }
      precision += hits / 10;
      recall += hits / rel.size();
      ndcg += dcg / idcg;
      map += precisionSum / Math.min(10, rel.size());
    }
    int users = wanted.size();
    // recommend's lists are the top-N model's, whose metrics carry its prefix.
    String model = EvaluateStage.IMPLICIT;
    assertEquals(users, metrics.rankingUsers());
    assertEquals(precision / users, metrics.ranking().get(model + "precision_at_10"), 1e-9);
    assertEquals(recall / users, metrics.ranking().get(model + "recall_at_10"), 1e-9);
    assertEquals(ndcg / users, metrics.ranking().get(model + "ndcg_at_10"), 1e-9);
    assertEquals(map / users, metrics.ranking().get(model + "map_at_10"), 1e-9);
    assertTrue(metrics.ranking().get(model + "precision_at_10") > 0,
        metrics.ranking().toString());
    assertTrue(metrics.ranking().get("precision_at_10") > 0, metrics.ranking().toString());
  }

  @Test
  void theMostRatedItemsAreRankedBesideTheModelAndCoverageCountsTheListedItems() {
    // Popularity's lists: the items by training ratings (ties by index), a user's own left out.
    Dataset<Row> train = spark.read().parquet(layout.train());
    List<Integer> byCount = train.groupBy("item_index").count()
        .orderBy(functions.desc("count"), functions.asc("item_index")).collectAsList().stream()
        .map(r -> r.getInt(0)).collect(Collectors.toList());
    java.util.Map<Integer, java.util.Set<Integer>> own = train.collectAsList().stream()
        .collect(Collectors.groupingBy(r -> r.<Integer>getAs("user_index"), Collectors.mapping(
            r -> r.<Integer>getAs("item_index"), Collectors.toSet())));
    java.util.Map<Integer, java.util.Set<Integer>> wanted = spark.read()
        .parquet(layout.validation()).filter("rating >= 4.0").collectAsList().stream()
        .collect(Collectors.groupingBy(r -> r.<Integer>getAs("user_index"), Collectors.mapping(
            r -> r.<Integer>getAs("item_index"), Collectors.toSet())));
    double precision10 = 0;
    double recall20 = 0;
    double listedRatings10 = 0;
    long listedCount10 = 0;
    java.util.Map<Integer, Long> counts = train.groupBy("item_index").count().collectAsList()
        .stream().collect(Collectors.toMap(r -> r.getInt(0), r -> r.getLong(1)));
    java.util.Set<Integer> listed10 = new java.util.HashSet<>();
    for (var entry : wanted.entrySet()) {
      java.util.Set<Integer> mine = own.getOrDefault(entry.getKey(), java.util.Set.of());
      List<Integer> top = byCount.stream().filter(i -> !mine.contains(i)).limit(20).toList();
      long hits10 = top.stream().limit(10).filter(entry.getValue()::contains).count();
      long hits20 = top.stream().filter(entry.getValue()::contains).count();
      precision10 += hits10 / 10.0;
      recall20 += hits20 / (double) entry.getValue().size();
      listed10.addAll(top.subList(0, Math.min(10, top.size())));
      for (int item : top.subList(0, Math.min(10, top.size()))) {
        listedRatings10 += counts.get(item);
        listedCount10++;
      }
    }
    int users = wanted.size();
    java.util.Map<String, Double> ranking = metrics.ranking();
    assertEquals(precision10 / users, ranking.get("popularity_precision_at_10"), 1e-9);
    assertEquals(recall20 / users, ranking.get("popularity_recall_at_20"), 1e-9);
    assertEquals(listed10.size() / (double) byCount.size(),
        ranking.get("popularity_coverage_at_10"), 1e-12);
    assertEquals(listedRatings10 / listedCount10, ranking.get("popularity_mean_item_ratings_at_10"),
        1e-9);

    // The top-N model's coverage (recommend lists from it): the distinct items of its lists,
    // over the items with training ratings; its lists at 20 hold its lists at 10.
    Dataset<Row> userIds = spark.read().parquet(run.tables().userIds()).drop("rating_count");
    Dataset<Row> itemIds = spark.read().parquet(run.tables().itemIds()).drop("rating_count");
    Dataset<Row> named = train.select("user_index", "item_index").join(userIds, "user_index")
        .join(itemIds, "item_index");
    Dataset<Row> relevantUsers = spark.read().parquet(layout.validation())
        .filter("rating >= 4.0").select("user_index").distinct().join(userIds, "user_index");
    long listed = Recommendations.run(spark, run, 10, Optional.of(relevantUsers.select(
        "user_id")), named.select("user_id", "item_id")).select("item_id").distinct().count();
    assertEquals(listed / (double) byCount.size(), ranking.get("implicit_coverage_at_10"),
        1e-12);
    assertTrue(ranking.get("implicit_coverage_at_20") >= ranking.get("implicit_coverage_at_10"),
        ranking.toString());
    assertTrue(ranking.get("coverage_at_20") >= ranking.get("coverage_at_10"),
        ranking.toString());
    assertTrue(ranking.get("precision_at_20") > 0 && ranking.get("ndcg_at_20") > 0
        && ranking.get("map_at_20") > 0, ranking.toString());
  }

  /**
   * A sample of the ranking users: the size asked for, the same users for the same seed, and a
   * precision within four of its stated standard errors of the one over every user.
   */
  @Test
  void aSeededSampleOfRankingUsersStatesItsStandardError() {
    EvaluationReport.RankingSample all = metrics.rankingSample();
    assertEquals(metrics.rankingUsers(), all.eligibleUsers());
    assertEquals(all.eligibleUsers(), all.users());
    assertEquals(0.0, all.precisionStandardError());

    int half = (int) all.eligibleUsers() / 2;
    EvalSettings sampled = new EvalSettings(java.util.List.of(10, 20), null, half, 7);
    EvaluationReport first = EvaluateStage.run(spark, layout, sampled);
    EvaluationReport again = EvaluateStage.run(spark, layout, sampled);
    assertEquals(half, first.rankingUsers());
    assertEquals(new EvaluationReport.RankingSample(all.eligibleUsers(), half, 7,
        first.sample().precisionStandardError()), first.sample());
    // The same users: the same metrics, but for the order MLlib's means add them in.
    assertEquals(first.ranking().keySet(), again.ranking().keySet());
    first.ranking().forEach((name, value) -> assertEquals(value, again.ranking().get(name),
        1e-12, name));
    double error = first.sample().precisionStandardError();
    double full = metrics.ranking().get("precision_at_10");
    double part = first.ranking().get("precision_at_10");
    assertTrue(error > 0 && Math.abs(part - full) < 4 * error,
        "sampled " + part + " against " + full + " with standard error " + error);
    EvaluateStage.run(spark, layout, EvalSettings.DEFAULT);
  }

  @Test
  void similarItemsAreTheNearestByCosineAndNeverTheItemItself() {
    Dataset<Row> similar = SimilarItems.run(spark, run, 3);

    long items = spark.read().parquet(run.tables().itemFactors()).count();
    assertEquals(3 * items, similar.count());
    assertEquals(0, similar.filter("item_id = similar_item_id").count());
    // Brute force for Toy Story: cosine with every other item in SQL.
    Dataset<Row> f = spark.read().parquet(run.tables().itemFactors());
    Dataset<Row> toy = f.filter("item_id = 1").selectExpr("factors AS q");
    List<Integer> expected = f.filter("item_id <> 1").crossJoin(toy)
        .selectExpr("item_id", "aggregate(zip_with(q, factors, (a, b) -> a * b), 0D, "
            + "(s, x) -> s + x) / sqrt(aggregate(q, 0D, (s, x) -> s + x * x) * "
            + "aggregate(factors, 0D, (s, x) -> s + x * x)) AS cosine")
        .orderBy(functions.desc("cosine"), functions.asc("item_id")).limit(3).collectAsList()
        .stream().map(r -> (Integer) r.getAs("item_id")).collect(Collectors.toList());
    List<Row> toyRows = similar.filter("item_id = 1").orderBy("rank").collectAsList();
    assertEquals(expected, toyRows.stream().map(r -> (Integer) r.getAs("similar_item_id"))
        .collect(Collectors.toList()));
    assertEquals("Toy Story (1995)", toyRows.get(0).getAs("title"));
    assertTrue((double) toyRows.get(0).getAs("cosine") >= (double) toyRows.get(2)
        .getAs("cosine"));
  }
}
