package org.cfpipe.eval;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sqrt;
import static org.apache.spark.sql.functions.xxhash64;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.mllib.evaluation.RankingMetrics;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.StatCounter;
import org.cfpipe.config.EvalSettings;
import org.cfpipe.config.RatingScale;
import org.cfpipe.ids.EncodeStage;
import org.cfpipe.model.ModelInfo;
import org.cfpipe.model.ModelStore;
import org.cfpipe.serve.PairScorer;
import org.cfpipe.serve.Recommendations;
import org.cfpipe.serve.TopK;
import org.cfpipe.spark.HadoopFiles;
import org.cfpipe.spark.Joins;
import org.cfpipe.spark.RunLayout;
import org.cfpipe.split.SplitReport;
import org.cfpipe.split.SplitStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * The evaluate stage: joins the validation ratings to the stored user and item parameters and
 * computes RMSE and MAE in Spark, independently of the trainer's in-memory model.
 */
public final class EvaluateStage {
  private static final Logger LOG = LoggerFactory.getLogger(EvaluateStage.class);
  public static final String NAME = "evaluate";
  public static final String PREDICTION = "prediction";
  /** The prefix of the most-rated items' ranking metrics. */
  public static final String POPULARITY = "popularity_";
  /** The prefix of the top-N model's ranking metrics (cfpipe.ranking), when the run has it. */
  public static final String IMPLICIT = "implicit_";
  /** The prefix of the peer's ranking metrics: implicit Spark ALS, tuned (cfpipe.eval.
   *  implicit-als), when asked. */
  public static final String IMPLICIT_ALS = "als_";
  private static final String COVERAGE = "coverage_at_%d";
  /** The mean training ratings of the items in the lists' top k (one per listed position). */
  private static final String ITEM_RATINGS = "mean_item_ratings_at_%d";

  private EvaluateStage() {}

  public static EvaluationReport run(SparkSession spark, RunLayout layout) {
    return run(spark, layout, EvalSettings.DEFAULT);
  }

  public static EvaluationReport run(SparkSession spark, RunLayout layout, EvalSettings eval) {
    long start = System.nanoTime();
    HadoopFiles files = HadoopFiles.of(spark);
    ModelInfo info = files.readJson(layout.modelJson(), ModelInfo.class);
    // Scored once, written narrow: the errors here and the report's charts read it back.
    files.commitParquet(score(info, spark.read().parquet(layout.validation()),
        spark.read().parquet(layout.modelUsers()), spark.read().parquet(layout.modelItems()))
        .select(EncodeStage.USER_INDEX, EncodeStage.ITEM_INDEX, "rating", PREDICTION),
        layout.scoredValidation());
    Dataset<Row> scored = spark.read().parquet(layout.scoredValidation());
    Column error = col(PREDICTION).minus(col("rating"));
    Row metrics = scored.agg(count(lit(1)), sqrt(avg(error.multiply(error))), avg(abs(error)))
        .first();
    double scoring = (System.nanoTime() - start) / 1e9;
    // An empty validation set has no mean: report NaN rather than fail after training.
    Ranking ranking = !eval.ranks() ? new Ranking(0, Map.of(), null, null)
        : ranking(info, layout, spark, eval);
    EvaluationReport report = new EvaluationReport(metrics.getLong(0),
        metrics.isNullAt(1) ? Double.NaN : metrics.getDouble(1),
        metrics.isNullAt(2) ? Double.NaN : metrics.getDouble(2),
        ranking.users(), ranking.metrics(), ranking.sample(), ranking.implicitAls(),
        (System.nanoTime() - start) / 1e9);
    files.writeJson(layout.report(NAME), report);
    LOG.info(String.format(Locale.ROOT, "evaluate: %d validation ratings, RMSE %.4f, MAE %.4f "
        + "(scored in %.1f s); ranking over %d users: %s (in %.1f s)", report.validRows(),
        report.validRmse(), report.validMae(), scoring, ranking.users(), ranking.metrics(),
        report.seconds() - scoring));
    return report;
  }

  /** Ranking metrics by column name, over this many users, chosen as {@code sample} says, and
   *  the peer's choice (null without it). */
  record Ranking(long users, Map<String, Double> metrics, EvaluationReport.RankingSample sample,
      ImplicitAlsPeer.Choice implicitAls) {}

  /**
   * Each validation user with a relevant rating gets the model's top k (the longest cutoff) of
   * the items with training ratings, leaving out the ones they rated in training; the ranked
   * lists and the relevant items go to MLlib's RankingMetrics, at each cutoff. The top-N model's
   * lists (when the run has one) and the most-rated items, ranked and left out the same way, are
   * scored beside them. With more such users than
   * {@code eval.rankingUsers()}, a seeded sample of that many is scored: the users ordered by a
   * hash of (seed, user index), the same sample for the same seed and ids whatever the
   * partitioning.
   */
  private static Ranking ranking(ModelInfo info, RunLayout layout, SparkSession spark,
      EvalSettings eval) {
    Dataset<Row> train = spark.read().parquet(layout.train());
    RatingScale scale = HadoopFiles.of(spark).readJson(layout.report(SplitStage.NAME),
        SplitReport.class).scale();
    // The items with training ratings, and how many each has: the candidates, the catalogue
    // that coverage divides by, and the most-rated items' order, from one pass over train.
    Dataset<Row> itemCounts = train.groupBy(EncodeStage.ITEM_INDEX)
        .agg(count(lit(1)).as("n"))
        .persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> eligible = spark.read().parquet(layout.validation())
        .filter(col("rating").geq(eval.relevantRating(scale)))
        .groupBy(EncodeStage.USER_INDEX)
        .agg(collect_list(EncodeStage.ITEM_INDEX).as("relevant"))
        .persist(StorageLevel.MEMORY_AND_DISK());
    // Counted and sampled from the cache: the validation ratings are grouped once.
    long eligibleUsers = eligible.count();
    boolean sampled = eval.rankingUsers() > 0 && eligibleUsers > eval.rankingUsers();
    Dataset<Row> relevant = sampled ? eligible.orderBy(xxhash64(lit(eval.rankingSeed()),
        col(EncodeStage.USER_INDEX)), col(EncodeStage.USER_INDEX)).limit(eval.rankingUsers())
        .persist(StorageLevel.MEMORY_AND_DISK()) : eligible;
    // A sample's users are few: their training items are picked out before they are grouped.
    Dataset<Row> rated = (sampled ? train.join(broadcast(relevant.select(EncodeStage.USER_INDEX)),
        Joins.using(EncodeStage.USER_INDEX), "left_semi") : train)
        .groupBy(EncodeStage.USER_INDEX)
        .agg(collect_list(EncodeStage.ITEM_INDEX).as("exclude"))
        .persist(StorageLevel.MEMORY_AND_DISK());
    int k = eval.longest();
    JavaRDD<Tuple2<List<Integer>, List<Integer>>> lists = lists(info,
        spark.read().parquet(layout.modelUsers()), spark.read().parquet(layout.modelItems()),
        relevant, rated, itemCounts, k);
    HadoopFiles files = HadoopFiles.of(spark);
    JavaRDD<Tuple2<List<Integer>, List<Integer>>> implicit = files.exists(layout.rankingJson())
        ? lists(files.readJson(layout.rankingJson(), ModelInfo.class),
            spark.read().parquet(layout.rankingUsers()),
            spark.read().parquet(layout.rankingItems()), relevant, rated, itemCounts, k)
        : null;
    JavaRDD<Tuple2<List<Integer>, List<Integer>>> peerLists = null;
    JavaRDD<Tuple2<List<Integer>, List<Integer>>> popular = null;
    try {
      long users = lists.count();
      if (users == 0) {
        // MLlib's means fail on nothing; say why there are no ranking metrics instead.
        LOG.warn("evaluate: no validation user has a rating of at least {} (cfpipe.eval."
            + "relevant-rating; ratings on {}): no ranking metrics", eval.relevantRating(scale),
            scale);
        return new Ranking(0, Map.of(), null, null);
      }
      // The peer's grid search only when there are lists to score it on.
      ImplicitAlsPeer.Fitted peer = eval.implicitAls().enabled()
          ? ImplicitAlsPeer.fit(train, eval, eval.relevantRating(scale), info.users(),
              info.items())
          : null;
      if (peer != null) {
        peerLists = lists(peer.info(), peer.users(), peer.items(), relevant, rated, itemCounts,
            k);
      }
      long catalogue = itemCounts.count();
      popular = popularityLists(spark, itemCounts, relevant, rated, k).coalesce(1).cache();
      JavaPairRDD<Integer, Long> counts = itemCounts.toJavaRDD()
          .mapToPair(row -> new Tuple2<>(row.getInt(0), row.getLong(1)));
      Map<String, Double> out = new LinkedHashMap<>(metrics(lists, eval, catalogue, counts, ""));
      if (implicit != null) {
        out.putAll(metrics(implicit, eval, catalogue, counts, IMPLICIT));
      }
      if (peerLists != null) {
        out.putAll(metrics(peerLists, eval, catalogue, counts, IMPLICIT_ALS));
      }
      out.putAll(metrics(popular, eval, catalogue, counts, POPULARITY));
      int first = eval.k().get(0);
      var sample = new EvaluationReport.RankingSample(eligibleUsers, users, eval.rankingSeed(),
          sampled ? precisionStandardError(lists, first, users, eligibleUsers) : 0.0);
      if (sampled) {
        LOG.info(String.format(Locale.ROOT, "evaluate: ranking metrics over a sample of %,d of "
            + "the %,d validation users with a relevant item (cfpipe.eval.ranking-users, seed "
            + "%d): standard error of precision at %d %.4f", users, eligibleUsers,
            eval.rankingSeed(), first, sample.precisionStandardError()));
      }
      return new Ranking(users, out, sample, peer == null ? null : peer.choice());
    } finally {
      lists.unpersist();
      if (implicit != null) {
        implicit.unpersist();
      }
      if (peerLists != null) {
        peerLists.unpersist();
      }
      if (popular != null) {
        popular.unpersist();
      }
      rated.unpersist();
      relevant.unpersist();
      eligible.unpersist();
      itemCounts.unpersist();
    }
  }

  /**
   * Each ranking user's top k by a stored model ({@code users} and {@code items}: ModelStore's
   * tables) of the items with training ratings, his training items left out, with his relevant
   * items: (top k, relevant), cached.
   */
  static JavaRDD<Tuple2<List<Integer>, List<Integer>>> lists(ModelInfo info,
      Dataset<Row> users, Dataset<Row> items, Dataset<Row> relevant, Dataset<Row> rated,
      Dataset<Row> itemCounts, int k) {
    Dataset<Row> queries = users
        .withColumnRenamed(ModelStore.INDEX, EncodeStage.USER_INDEX)
        .join(relevant.select(EncodeStage.USER_INDEX), EncodeStage.USER_INDEX)
        .join(rated, Joins.using(EncodeStage.USER_INDEX), "left")
        .select(EncodeStage.USER_INDEX, ModelStore.FACTORS, ModelStore.BIAS, "exclude");
    Dataset<Row> candidates = items
        .withColumnRenamed(ModelStore.INDEX, EncodeStage.ITEM_INDEX)
        .join(itemCounts.select(EncodeStage.ITEM_INDEX), EncodeStage.ITEM_INDEX)
        .select(EncodeStage.ITEM_INDEX, ModelStore.FACTORS, ModelStore.BIAS);
    PairScorer scorer = new PairScorer(info);
    JavaPairRDD<Integer, TopK.Ranked> top = TopK.of(Recommendations.queries(queries),
        Recommendations.candidates(candidates), scorer::score, k, Recommendations.BLOCK);
    JavaPairRDD<Integer, List<Integer>> relevantByUser = relevant.toJavaRDD().mapToPair(row ->
        new Tuple2<>(row.getInt(0), row.<Integer>getList(1)));
    return relevantByUser.leftOuterJoin(top)
        .values()
        .map(pair -> new Tuple2<List<Integer>, List<Integer>>(pair._2().isPresent()
            ? Arrays.stream(pair._2().get().keys()).boxed().collect(Collectors.toList())
            : List.<Integer>of(), new ArrayList<>(pair._1())))
        // A list is a few ints: the metrics' dozen passes each read one partition.
        .coalesce(1)
        .cache();
  }

  /**
   * The ranking metrics of {@code lists} (top items, relevant items) at each cutoff, and the
   * coverage at each: the share of the {@code catalogue} items with training ratings found in
   * the top k of any list. Named by column, after {@code prefix}.
   */
  private static Map<String, Double> metrics(JavaRDD<Tuple2<List<Integer>, List<Integer>>> lists,
      EvalSettings eval, long catalogue, JavaPairRDD<Integer, Long> counts, String prefix) {
    RankingMetrics<Integer> mllib = RankingMetrics.of(lists);
    Map<String, Double> out = new LinkedHashMap<>();
    List<Integer> cutoffs = eval.k();
    // The distinct (k, item) pairs of the lists' tops, counted by k in one pass.
    Map<Integer, Long> covered = lists.flatMapToPair(pair -> {
      List<Tuple2<Integer, Integer>> tops = new ArrayList<>();
      for (int k : cutoffs) {
        for (int item : pair._1().subList(0, Math.min(k, pair._1().size()))) {
          tops.add(new Tuple2<>(k, item));
        }
      }
      return tops.iterator();
    }).distinct().countByKey();
    for (int k : cutoffs) {
      for (RankingMetric metric : RankingMetric.values()) {
        out.put(prefix + metric.column(k), metric.of(mllib, k));
      }
      out.put(prefix + String.format(Locale.ROOT, COVERAGE, k),
          covered.getOrDefault(k, 0L) / (double) catalogue);
      out.put(prefix + String.format(Locale.ROOT, ITEM_RATINGS, k),
          meanItemRatings(lists, counts, k));
    }
    return out;
  }

  /**
   * The mean, over every position of the lists' top k, of the listed item's training ratings
   * ({@code counts}: item index, ratings): how far a model's lists lean to rarely rated items
   * (a rating model's favourites with few ratings) or to the most rated.
   */
  private static double meanItemRatings(JavaRDD<Tuple2<List<Integer>, List<Integer>>> lists,
      JavaPairRDD<Integer, Long> counts, int k) {
    Tuple2<Long, Long> sum = lists.flatMapToPair(pair -> pair._1()
            .subList(0, Math.min(k, pair._1().size())).stream()
            .map(item -> new Tuple2<>(item, 1L)).iterator())
        .reduceByKey(Long::sum)
        .join(counts)
        .values()
        .map(listedAndRatings -> new Tuple2<>(listedAndRatings._1() * listedAndRatings._2(),
            listedAndRatings._1()))
        .fold(new Tuple2<>(0L, 0L), (a, b) -> new Tuple2<>(a._1() + b._1(), a._2() + b._2()));
    return sum._2() == 0 ? Double.NaN : sum._1() / (double) sum._2();
  }

  /**
   * Each ranking user's top k of the most-rated items (by their training ratings, ties by item
   * index), leaving out his training items, with his relevant items. A user's list is the first
   * k of the most-rated items that he did not rate, so the k plus the most items any of these
   * users rated are enough, whatever the catalogue's size. {@code itemCounts} is (item index,
   * n), each item's training ratings.
   */
  private static JavaRDD<Tuple2<List<Integer>, List<Integer>>> popularityLists(SparkSession spark,
      Dataset<Row> itemCounts, Dataset<Row> relevant, Dataset<Row> rated, int k) {
    Dataset<Row> withRated = relevant.join(rated, Joins.using(EncodeStage.USER_INDEX), "left");
    Row most = withRated.agg(functions.max(functions.size(col("exclude")))).first();
    int needed = k + (most.isNullAt(0) ? 0 : Math.max(0, most.getInt(0)));
    int[] ranked = itemCounts.orderBy(col("n").desc(), col(EncodeStage.ITEM_INDEX).asc())
        .limit(needed).collectAsList().stream().mapToInt(r -> r.getInt(0)).toArray();
    Broadcast<int[]> order = JavaSparkContext.fromSparkContext(spark.sparkContext())
        .broadcast(ranked);
    return withRated.select("relevant", "exclude").toJavaRDD().map(row -> {
      Set<Integer> exclude = row.isNullAt(1) ? Set.of() : new HashSet<>(row.<Integer>getList(1));
      List<Integer> top = new ArrayList<>(k);
      for (int item : order.value()) {
        if (top.size() == k) {
          break;
        }
        if (!exclude.contains(item)) {
          top.add(item);
        }
      }
      return new Tuple2<List<Integer>, List<Integer>>(top, new ArrayList<>(row.getList(0)));
    });
  }

  /**
   * The standard error of the mean precision at k of {@code users} users drawn without
   * replacement from {@code population}: the sample's standard deviation of each user's
   * precision, over sqrt(users), times the finite-population correction sqrt(1 - users /
   * population). Each list is (top k, relevant items), as RankingMetrics reads it.
   */
  static double precisionStandardError(JavaRDD<Tuple2<List<Integer>, List<Integer>>> lists,
      int k, long users, long population) {
    StatCounter stats = lists.mapToDouble(pair -> {
      Set<Integer> relevant = new HashSet<>(pair._2());
      long hits = pair._1().stream().limit(k).filter(relevant::contains).count();
      return hits / (double) k;
    }).stats();
    return stats.sampleStdev() / Math.sqrt(users) * Math.sqrt(1.0 - users / (double) population);
  }

  /** {@code ratings} (user_index, item_index, ...) with a {@code prediction} column added. */
  public static Dataset<Row> score(ModelInfo info, Dataset<Row> ratings, Dataset<Row> users,
      Dataset<Row> items) {
    Dataset<Row> u = users.select(col(ModelStore.INDEX).as(EncodeStage.USER_INDEX),
        col(ModelStore.FACTORS).as("u_factors"), col(ModelStore.BIAS).as("u_bias"));
    Dataset<Row> v = items.select(col(ModelStore.INDEX).as(EncodeStage.ITEM_INDEX),
        col(ModelStore.FACTORS).as("v_factors"), col(ModelStore.BIAS).as("v_bias"));
    return ratings.join(u, EncodeStage.USER_INDEX).join(v, EncodeStage.ITEM_INDEX)
        .withColumn(PREDICTION, PredictionColumn.of(info, col("u_factors"), col("u_bias"),
            col("v_factors"), col("v_bias")))
        .drop("u_factors", "u_bias", "v_factors", "v_bias");
  }
}
