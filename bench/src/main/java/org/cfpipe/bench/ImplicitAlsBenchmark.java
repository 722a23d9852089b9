package org.cfpipe.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.xxhash64;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.recommendation.ALS;
import org.apache.spark.ml.recommendation.ALSModel;
import org.apache.spark.mllib.evaluation.RankingMetrics;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cfpipe.config.ConfigLoader;
import org.cfpipe.config.IngestSettings;
import org.cfpipe.config.RankingSettings;
import org.cfpipe.config.RatingScale;
import org.cfpipe.model.FactorModel;
import org.cfpipe.split.SplitStage;
import org.cfpipe.train.TrainingSet;
import org.cfpipe.train.implicit.ImplicitTuning;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import scala.Tuple2;

/**
 * The bar issue 19 sets for a top-N model: Spark MLlib's implicit-feedback ALS (Hu, Koren and
 * Volinsky 2008; {@code implicitPrefs}) tuned the way a user would, on the training ratings only,
 * beside the most-rated items, with the project's ranking protocol: each test user with a rating
 * of at least the scale's relevance value (4 on 0.5-5 and 1-5 stars, 7 on 0-10) gets the top k
 * of the items with training ratings, his training items left out; binary relevance (his test
 * items rated at least that); MLlib's {@code RankingMetrics}.
 *
 * <p>Tuning: the training ratings split 80/20 by a hash of (user, item), every grid point fitted
 * on the 80 and scored on the 20 by the same protocol (NDCG at k), the best refitted on all the
 * training ratings and scored on the test ratings. Each data folder holds {@code train.csv} and
 * {@code test.csv} (userId, movieId, rating, timestamp), as the shared splits do.
 */
@Command(name = "implicit-als-benchmark", mixinStandardHelpOptions = true)
public final class ImplicitAlsBenchmark implements Callable<Integer> {
  @Option(names = "--data", required = true, split = ",", description = "Folders of train.csv "
      + "and test.csv.")
  List<Path> data;
  @Option(names = "--k") int k = 10;
  @Option(names = "--ranks", split = ",") List<Integer> ranks = List.of(16, 32, 64);
  @Option(names = "--reg-params", split = ",") List<Double> regParams = List.of(0.01, 0.1, 1.0);
  @Option(names = "--alphas", split = ",") List<Double> alphas = List.of(1.0, 5.0, 20.0);
  @Option(names = "--iterations") int iterations = 10;
  @Option(names = "--out") Path out;
  @Option(names = "--skip-spark", description = "Only the most-rated items and the implicit "
      + "engine (no Spark ALS grid).")
  boolean skipSpark;
  @Option(names = "--set", description = "A setting of the implicit engine (cfpipe.ranking.*), "
      + "key=value; repeatable.")
  List<String> sets = new ArrayList<>();

  private final StringBuilder report = new StringBuilder();
  /** The current data's relevance threshold. */
  private double relevant;
  /** The implicit engine's model on the last data: its settings, or most-rated. */
  private String chosen;

  public static void main(String[] args) {
    System.exit(new CommandLine(new ImplicitAlsBenchmark()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    SparkSession spark = SparkSession.builder().appName("cfpipe-implicit-als")
        .config("spark.sql.shuffle.partitions", "8").getOrCreate();
    try {
      line(String.format(Locale.ROOT, "| data | lists | P@%d | NDCG@%d | coverage@%d | chosen "
          + "(rank, regParam, alpha) | its tuning NDCG@%d |", k, k, k, k));
      line("|---|---|---|---|---|---|---|");
      for (Path folder : data) {
        run(spark, folder);
      }
    } finally {
      spark.stop();
    }
    if (out != null) {
      Files.writeString(out, report.toString());
    }
    return 0;
  }

  private void run(SparkSession spark, Path folder) {
    Dataset<Row> train = read(spark, folder.resolve("train.csv")).cache();
    Dataset<Row> test = read(spark, folder.resolve("test.csv"));
    Dataset<Row> tuneFit = train.filter(pmod(xxhash64(col("user"), col("item"), lit(19)),
        lit(5)).notEqual(0));
    Dataset<Row> tuneHeld = train.filter(pmod(xxhash64(col("user"), col("item"), lit(19)),
        lit(5)).equalTo(0));
    // Relevant: a test rating of at least the scale's relevance grid value (the evaluate
    // stage's default: 4 on 0.5-5 and 1-5, 7 on 0-10).
    relevant = SplitStage.scaleOf(train.withColumn("rating", col("rating").cast("double")),
        null).relevantRating();
    Ratings all = Ratings.of(train, relevant);
    Ratings truth = Ratings.of(test, relevant);
    double[] popular = metrics(spark, all, truth, popularity(all, truth));
    line(String.format(Locale.ROOT, "| %s | most-rated | %.4f | %.4f | %.4f | | |",
        folder.getFileName(), popular[0], popular[1], popular[2]));
    long start = System.nanoTime();
    double[] ours = metrics(spark, all, truth, implicitEngine(train, all, truth));
    line(String.format(Locale.ROOT, "| %s | implicit engine (cfpipe.ranking%s) | %.4f | %.4f | "
            + "%.4f | %s | |", folder.getFileName(), sets.isEmpty() ? " defaults" : " " + sets,
        ours[0], ours[1], ours[2], chosen));
    System.out.printf(Locale.ROOT, "implicit engine: trained and listed in %.1f s%n",
        (System.nanoTime() - start) / 1e9);
    if (!skipSpark) {
      tunedAls(spark, folder, train, tuneFit, tuneHeld, all, truth);
    }
    train.unpersist();
  }

  private void tunedAls(SparkSession spark, Path folder, Dataset<Row> train,
      Dataset<Row> tuneFit, Dataset<Row> tuneHeld, Ratings all, Ratings truth) {
    Ratings fit = Ratings.of(tuneFit, relevant);
    Ratings held = Ratings.of(tuneHeld, relevant);
    double best = -1;
    double[] chosen = null;
    for (int rank : ranks) {
      for (double reg : regParams) {
        for (double alpha : alphas) {
          ALSModel model = als(rank, reg, alpha).fit(tuneFit);
          double ndcg = metrics(spark, fit, held, lists(model, fit, held))[1];
          System.out.printf(Locale.ROOT, "%s rank %d reg %.3f alpha %.1f: tuning NDCG@%d "
              + "%.4f%n", folder.getFileName(), rank, reg, alpha, k, ndcg);
          if (ndcg > best) {
            best = ndcg;
            chosen = new double[] {rank, reg, alpha};
          }
        }
      }
    }
    ALSModel model = als((int) chosen[0], chosen[1], chosen[2]).fit(train);
    double[] als = metrics(spark, all, truth, lists(model, all, truth));
    line(String.format(Locale.ROOT, "| %s | implicit ALS | %.4f | %.4f | %.4f | %d, %s, %s | "
            + "%.4f |", folder.getFileName(), als[0], als[1], als[2], (int) chosen[0], chosen[1],
        chosen[2], best));
  }

  /**
   * The pipeline's implicit engine ({@code ImplicitAls}) with {@code cfpipe.ranking}'s settings
   * (reference.conf and {@code --set}), on the training ratings' scale, its lists by the same
   * protocol.
   */
  private List<Tuple2<List<Integer>, List<Integer>>> implicitEngine(Dataset<Row> train,
      Ratings all, Ratings truth) {
    List<Row> rows = train.collectAsList();
    Map<Integer, Integer> userIndex = new HashMap<>();
    Map<Integer, Integer> itemIndex = new HashMap<>();
    int[] users = new int[rows.size()];
    int[] items = new int[rows.size()];
    float[] ratings = new float[rows.size()];
    for (int n = 0; n < rows.size(); n++) {
      Row r = rows.get(n);
      users[n] = userIndex.computeIfAbsent(r.getInt(0), u -> userIndex.size());
      items[n] = itemIndex.computeIfAbsent(r.getInt(1), i -> itemIndex.size());
      ratings[n] = r.getFloat(2);
    }
    Config config = ConfigLoader.load(Optional.empty(), sets);
    RatingScale scale = SplitStage.scaleOf(train.withColumn("rating",
        col("rating").cast("double")), IngestSettings.from(config));
    RankingSettings settings = RankingSettings.from(config);
    TrainingSet set = new TrainingSet(users, items, ratings);
    ImplicitTuning.Result tuning = settings.tune()
        ? new ImplicitTuning(settings, scale, relevant).choose(set, userIndex.size(),
            itemIndex.size())
        : null;
    FactorModel model = ImplicitTuning.train(settings, tuning, scale, set, userIndex.size(),
        itemIndex.size());
    RankingSettings use = tuning != null ? tuning.settings(settings) : settings;
    chosen = settings.mostRated() || tuning != null && tuning.mostRated() ? "most-rated"
        : String.format(Locale.ROOT, "%d, %s, %s, %s", use.factors(), use.regularization(),
            use.weightingName(), use.alpha());
    int k = model.factors();
    Map<Integer, float[]> userFactors = new HashMap<>();
    userIndex.forEach((id, index) -> userFactors.put(id, java.util.Arrays.copyOfRange(
        model.userRows(), index * k, index * k + k)));
    Map<Integer, float[]> itemFactors = new HashMap<>();
    itemIndex.forEach((id, index) -> itemFactors.put(id, java.util.Arrays.copyOfRange(
        model.itemRows(), index * k, index * k + k)));
    return lists(userFactors, itemFactors, all, truth);
  }

  private ALS als(int rank, double reg, double alpha) {
    return new ALS().setImplicitPrefs(true).setRank(rank).setRegParam(reg).setAlpha(alpha)
        .setMaxIter(iterations).setSeed(42).setUserCol("user").setItemCol("item")
        .setRatingCol("rating").setColdStartStrategy("drop");
  }

  private static Dataset<Row> read(SparkSession spark, Path csv) {
    return spark.read().option("header", "true").csv(csv.toString())
        .select(col("userId").cast("int").as("user"), col("movieId").cast("int").as("item"),
            col("rating").cast("float").as("rating"));
  }

  /** One side's ratings in the driver: each user's items, the (user, item) pairs rated 4 and up,
   * and the items' counts. */
  private record Ratings(Map<Integer, Set<Integer>> byUser, Set<Long> relevant,
      Map<Integer, Integer> itemCounts) {
    static Ratings of(Dataset<Row> rows, double threshold) {
      Map<Integer, Set<Integer>> byUser = new HashMap<>();
      Set<Long> relevant = new HashSet<>();
      Map<Integer, Integer> counts = new HashMap<>();
      for (Row r : rows.collectAsList()) {
        byUser.computeIfAbsent(r.getInt(0), u -> new HashSet<>()).add(r.getInt(1));
        counts.merge(r.getInt(1), 1, Integer::sum);
        if (r.getFloat(2) >= threshold) {
          relevant.add(pair(r.getInt(0), r.getInt(1)));
        }
      }
      return new Ratings(byUser, relevant, counts);
    }

    static long pair(int user, int item) {
      return ((long) user << 32) | (item & 0xffffffffL);
    }

    /** The user's relevant items among {@code candidates}. */
    List<Integer> relevant(int user, Set<Integer> candidates) {
      List<Integer> out = new ArrayList<>();
      for (int item : byUser.getOrDefault(user, Set.of())) {
        if (candidates.contains(item) && relevant.contains(pair(user, item))) {
          out.add(item);
        }
      }
      return out;
    }
  }

  /** Each eligible user's top k by the model: (top k, relevant). */
  private List<Tuple2<List<Integer>, List<Integer>>> lists(ALSModel model, Ratings train,
      Ratings test) {
    return lists(factors(model.userFactors()), factors(model.itemFactors()), train, test);
  }

  /** Each eligible user's top k by the dot products of factors: (top k, relevant). */
  private List<Tuple2<List<Integer>, List<Integer>>> lists(Map<Integer, float[]> users,
      Map<Integer, float[]> items, Ratings train, Ratings test) {
    Set<Integer> candidates = train.itemCounts().keySet();
    List<Tuple2<List<Integer>, List<Integer>>> out = new ArrayList<>();
    for (int user : test.byUser().keySet()) {
      List<Integer> relevant = test.relevant(user, candidates);
      float[] u = users.get(user);
      if (relevant.isEmpty() || u == null || !train.byUser().containsKey(user)) {
        continue;
      }
      Set<Integer> seen = train.byUser().get(user);
      List<Map.Entry<Integer, Double>> scored = new ArrayList<>();
      for (int item : candidates) {
        float[] v = items.get(item);
        if (seen.contains(item) || v == null) {
          continue;
        }
        double s = 0;
        for (int f = 0; f < u.length; f++) {
          s += u[f] * v[f];
        }
        scored.add(Map.entry(item, s));
      }
      scored.sort(Map.Entry.<Integer, Double>comparingByValue().reversed()
          .thenComparing(Map.Entry.comparingByKey()));
      List<Integer> top = new ArrayList<>();
      for (int n = 0; n < Math.min(k, scored.size()); n++) {
        top.add(scored.get(n).getKey());
      }
      out.add(new Tuple2<>(top, relevant));
    }
    return out;
  }

  /** Each eligible user's top k of the most-rated items he has not rated. */
  private List<Tuple2<List<Integer>, List<Integer>>> popularity(Ratings train, Ratings test) {
    List<Integer> byCount = new ArrayList<>(train.itemCounts().keySet());
    byCount.sort(Comparator.<Integer>comparingInt(i -> -train.itemCounts().get(i))
        .thenComparing(Comparator.naturalOrder()));
    Set<Integer> candidates = train.itemCounts().keySet();
    List<Tuple2<List<Integer>, List<Integer>>> out = new ArrayList<>();
    for (int user : test.byUser().keySet()) {
      List<Integer> relevant = test.relevant(user, candidates);
      if (relevant.isEmpty() || !train.byUser().containsKey(user)) {
        continue;
      }
      Set<Integer> seen = train.byUser().get(user);
      List<Integer> top = new ArrayList<>();
      for (int item : byCount) {
        if (top.size() == k) {
          break;
        }
        if (!seen.contains(item)) {
          top.add(item);
        }
      }
      out.add(new Tuple2<>(top, relevant));
    }
    return out;
  }

  private static Map<Integer, float[]> factors(Dataset<Row> table) {
    Map<Integer, float[]> out = new HashMap<>();
    for (Row r : table.collectAsList()) {
      List<Float> f = r.getList(1);
      float[] v = new float[f.size()];
      for (int j = 0; j < v.length; j++) {
        v[j] = f.get(j);
      }
      out.put(r.getInt(0), v);
    }
    return out;
  }

  /** P@k, NDCG@k and coverage@k (share of the candidate items in any list). */
  private double[] metrics(SparkSession spark, Ratings train, Ratings test,
      List<Tuple2<List<Integer>, List<Integer>>> lists) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    RankingMetrics<Integer> m = RankingMetrics.of(jsc.parallelize(lists, 4));
    Set<Integer> listed = new HashSet<>();
    for (Tuple2<List<Integer>, List<Integer>> t : lists) {
      listed.addAll(t._1());
    }
    return new double[] {m.precisionAt(k), m.ndcgAt(k),
        listed.size() / (double) train.itemCounts().size()};
  }

  private void line(String text) {
    System.out.println(text);
    report.append(text).append('\n');
  }
}
