package org.cfpipe.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.desc;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.xxhash64;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.spark.ml.evaluation.RegressionEvaluator;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.recommendation.ALS;
import org.apache.spark.ml.recommendation.ALSModel;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.ml.tuning.TrainValidationSplit;
import org.apache.spark.ml.tuning.TrainValidationSplitModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.cfpipe.config.ConfigLoader;
import org.cfpipe.config.GenerateSettings;
import org.cfpipe.config.PipelineSettings;
import org.cfpipe.eval.EvaluateStage;
import org.cfpipe.eval.EvaluationReport;
import org.cfpipe.ids.EncodeStage;
import org.cfpipe.ingest.IngestStage;
import org.cfpipe.ingest.SyntheticRatings;
import org.cfpipe.spark.RunLayout;
import org.cfpipe.split.SplitStage;
import org.cfpipe.train.TrainReport;
import org.cfpipe.train.TrainStage;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The transfer benchmark: does the default hold on data nobody tuned it on? Each data set (planted
 * shapes drawn by the generator, and the two shared MovieLens splits) is split once into train
 * and test files; the pipeline (ingest to evaluate) trains on train and scores test with the
 * defaults, with the gibbs engine running all its sweeps (no stopping rule) and with the sparse
 * engine, and Spark MLlib ALS is tuned as a user would tune it: {@code TrainValidationSplit} over
 * rank x regParam on the training ratings only, refitted on all of them, and scored on the same
 * test rows.
 */
@Command(name = "accuracy-benchmark", mixinStandardHelpOptions = true)
public final class AccuracyBenchmark implements Callable<Integer> {
  @Option(names = "--work", description = "Where the data sets and runs go.")
  Path work = Path.of("/tmp/cfpipe-accuracy");
  @Option(names = "--shapes", split = ",", description = "Only these data sets (names below).")
  List<String> only = List.of();
  @Option(names = "--splits", description = "The shared splits' folder.")
  Path splits = Path.of("../shared/splits");
  @Option(names = "--als-ranks", split = ",") List<Integer> alsRanks = List.of(10, 25, 50);
  @Option(names = "--als-reg", split = ",") List<Double> alsReg = List.of(0.03, 0.1, 0.3, 1.0);
  @Option(names = "--als-iterations") int alsIterations = 10;
  @Option(names = "--out") Path out;
  @Option(names = "--choice-cost-ratings", description = "Also time what the automatic choice "
      + "adds to a run of this many training ratings (0: not).")
  long choiceCostRatings = 20_000_000;

  /**
   * A planted data set: the generator's knobs.
   *
   * @param scale MIN:MAX:STEP
   */
  record Shape(String name, int users, int items, long ratings, int rank, double noise,
      double userExponent, double itemExponent, String scale) {
    List<String> settings() {
      String[] s = scale.split(":");
      return List.of("cfpipe.generate.users=" + users, "cfpipe.generate.items=" + items,
          "cfpipe.generate.ratings=" + ratings, "cfpipe.generate.rank=" + rank,
          "cfpipe.generate.noise=" + noise, "cfpipe.generate.user-exponent=" + userExponent,
          "cfpipe.generate.item-exponent=" + itemExponent, "cfpipe.generate.scale.min=" + s[0],
          "cfpipe.generate.scale.max=" + s[1], "cfpipe.generate.scale.step=" + s[2],
          "cfpipe.generate.seed=" + (7 + name.hashCode() % 1000));
    }

    String describe() {
      return String.format(Locale.ROOT, "%,d x %,d, %,d ratings (%.0f/user), rank %d, noise %s, "
          + "exp %s/%s, %s", users, items, ratings, (double) ratings / users, rank, noise,
          userExponent, itemExponent, scale);
    }
  }

  /** Spanning the ranges: users/items 0.1 to 30, 5 to 500 a user, rank 2 to 50,
   *  noise 0.3 to 1.2, four rating scales, flat to heavy-tailed activity and popularity. */
  static final List<Shape> SHAPES = List.of(
      new Shape("movielens-like", 6_000, 3_000, 300_000, 10, 0.8, 0.5, 0.8, "0.5:5:0.5"),
      new Shape("tall", 15_000, 500, 150_000, 5, 0.5, 0.3, 0.5, "1:5:1"),
      new Shape("wide", 1_000, 10_000, 200_000, 20, 1.0, 0.8, 1.0, "0:10:1"),
      new Shape("cold", 20_000, 4_000, 100_000, 8, 0.6, 1.0, 1.0, "0.5:5:0.5"),
      new Shape("dense", 1_000, 1_000, 500_000, 50, 0.3, 0.0, 0.0, "1:10:1"),
      new Shape("low-rank-noisy", 8_000, 2_000, 200_000, 2, 1.2, 0.5, 0.8, "1:5:1"),
      new Shape("high-rank", 3_000, 3_000, 300_000, 50, 0.5, 0.3, 0.5, "0.5:5:0.5"),
      new Shape("skewed-0-10", 10_000, 1_000, 250_000, 12, 0.8, 1.2, 0.8, "0:10:1"));

  /** One engine's result on one data set. */
  record Result(double rmse, double trainSeconds, String note) {}

  private final StringBuilder report = new StringBuilder();

  public static void main(String[] args) {
    System.exit(new CommandLine(new AccuracyBenchmark()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    SparkSession spark = SparkSession.builder().appName("cfpipe-accuracy-benchmark")
        .config("spark.sql.shuffle.partitions", "8").getOrCreate();
    List<String> rows = new ArrayList<>();
    List<String> oracleRows = new ArrayList<>();
    long start = System.nanoTime();
    try {
      for (Shape shape : SHAPES) {
        if (only.isEmpty() || only.contains(shape.name())) {
          Path dir = work.resolve(shape.name());
          double oracle = plant(spark, shape, dir);
          measure(spark, shape.name(), shape.describe(), dir, oracle, rows, oracleRows);
        }
      }
      for (String data : List.of("ml-100k", "ml-latest-small")) {
        Path split = splits.resolve(data);
        if ((only.isEmpty() || only.contains(data)) && Files.isRegularFile(
            split.resolve("train.csv"))) {
          measure(spark, data, "shared seed-42 80/20 split", split, Double.NaN, rows,
              oracleRows);
        }
      }
      if (choiceCostRatings > 0) {
        choiceCost(spark);
      }
    } finally {
      spark.stop();
    }
    line("| data | shape | train / test ratings | oracle | default (engine) | gibbs, all sweeps "
        + "| sparse | tuned ALS (rank, regParam) | default / ALS | default / best |");
    line("|---|---|---|---|---|---|---|---|---|---|");
    rows.forEach(this::line);
    line("");
    line("Distance from the oracle (RMSE / oracle - 1), and training time in seconds (the train "
        + "stage; ALS: the whole TrainValidationSplit and refit):");
    line("");
    line("| data | default | gibbs | sparse | tuned ALS | default s | gibbs s | sparse s "
        + "| ALS s |");
    line("|---|---|---|---|---|---|---|---|---|");
    oracleRows.forEach(this::line);
    line("");
    line(choiceLine);
    line("");
    line(String.format(Locale.ROOT, "Total %.1f min.", (System.nanoTime() - start) / 6e10));
    if (out != null) {
      Files.createDirectories(out.toAbsolutePath().getParent());
      Files.writeString(out, report.toString());
    }
    return 0;
  }

  /**
   * Draws the shape, keeps the latest rating of a repeated pair (as ingest does), holds out a
   * seeded 20% and drops held-out rows whose user or item has no training rating, so that every
   * engine scores the same rows; writes train.csv and test.csv folders and returns the oracle
   * RMSE on the test rows.
   */
  private static double plant(SparkSession spark, Shape shape, Path dir) {
    GenerateSettings settings = GenerateSettings.from(ConfigLoader.load(Optional.empty(),
        shape.settings()));
    Dataset<Row> all = SyntheticRatings.generate(spark, settings)
        .withColumn("n", row_number().over(Window.partitionBy("user_id", "item_id")
            .orderBy(desc("timestamp"))))
        .filter(col("n").equalTo(1)).drop("n")
        .withColumn("test", pmod(xxhash64(col("user_id"), col("item_id"), lit(42)), lit(5))
            .equalTo(0))
        .cache();
    Dataset<Row> train = all.filter(col("test").unary_$bang());
    Dataset<Row> test = all.filter(col("test"))
        .join(train.select("user_id").distinct(), "user_id")
        .join(train.select("item_id").distinct(), "item_id");
    write(train, dir.resolve("train.csv"));
    write(test, dir.resolve("test.csv"));
    double oracle = Math.sqrt(test.selectExpr("avg(pow(truth - rating, 2))").first()
        .getDouble(0));
    all.unpersist();
    return oracle;
  }

  private static void write(Dataset<Row> ratings, Path to) {
    ratings.select(col("user_id").as("userId"), col("item_id").as("movieId"), col("rating"),
            col("timestamp"))
        .coalesce(1).write().mode(SaveMode.Overwrite).option("header", "true")
        .csv(to.toString());
  }

  private void measure(SparkSession spark, String name, String describe, Path dir,
      double oracle, List<String> rows, List<String> oracleRows) {
    Path train = dir.resolve("train.csv");
    Path test = dir.resolve("test.csv");
    Path runs = work.resolve("runs").resolve(name);
    Result defaults = pipeline(spark, train, test, runs.resolve("default"));
    // Every sweep, however soon the chain's mean settles: what the default's stopping rule
    // gives up, if anything.
    Result gibbs = pipeline(spark, train, test, runs.resolve("gibbs"), "cfpipe.train.engine=gibbs",
        "cfpipe.train.gibbs.stop-at-mc-error=0");
    // No early stopping: it would watch the test rows, which the sparse engine may not see.
    Result sparse = defaults.note().startsWith("sparse") ? defaults
        : pipeline(spark, train, test, runs.resolve("sparse"), "cfpipe.train.engine=sparse",
            "cfpipe.train.early-stopping.enabled=false");
    Result als = tunedAls(spark, train, test);
    double best = Math.min(Math.min(defaults.rmse(), gibbs.rmse()),
        Math.min(sparse.rmse(), als.rmse()));
    long trainRows = spark.read().option("header", "true").csv(train.toString()).count();
    long testRows = spark.read().option("header", "true").csv(test.toString()).count();
    String row = String.format(Locale.ROOT, "| %s | %s | %,d / %,d | %s | %.4f (%s) | %.4f "
            + "| %.4f | %.4f (%s) | %.3f | %.3f |", name, describe, trainRows, testRows,
        Double.isNaN(oracle) ? "-" : String.format(Locale.ROOT, "%.4f", oracle), defaults.rmse(),
        defaults.note(), gibbs.rmse(), sparse.rmse(), als.rmse(), als.note(),
        defaults.rmse() / als.rmse(), defaults.rmse() / best);
    rows.add(row);
    oracleRows.add(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %.1f | %.1f | %.1f "
            + "| %.1f |", name, fromOracle(defaults, oracle), fromOracle(gibbs, oracle),
        fromOracle(sparse, oracle), fromOracle(als, oracle), defaults.trainSeconds(),
        gibbs.trainSeconds(), sparse.trainSeconds(), als.trainSeconds()));
    System.out.println(row);
  }

  private static String fromOracle(Result r, double oracle) {
    return Double.isNaN(oracle) ? "-"
        : String.format(Locale.ROOT, "%+.1f%%", 100 * (r.rmse() / oracle - 1));
  }

  /** The pipeline from ingest to evaluate on train.csv, test.csv as its validation file. */
  private static Result pipeline(SparkSession spark, Path train, Path test, Path output,
      String... sets) {
    List<String> all = new ArrayList<>(List.of("cfpipe.input.ratings=" + train,
        "cfpipe.input.validation-ratings=" + test, "cfpipe.output.dir=" + output,
        "cfpipe.ids.previous=none", "cfpipe.eval.k=0"));
    all.addAll(List.of(sets));
    PipelineSettings s = PipelineSettings.from(ConfigLoader.load(Optional.empty(), all),
        "2024-01-01");
    RunLayout layout = RunLayout.of(s);
    IngestStage.run(spark, s.input(), s.ingest(), layout);
    EncodeStage.run(spark, layout, true, s.ids());
    SplitStage.run(spark, s.split(), layout, true, s.ingest());
    TrainReport trained = TrainStage.run(spark, s.model(), s.train(), layout);
    EvaluationReport eval = EvaluateStage.run(spark, layout, s.eval());
    String engine = trained.choice().engine();
    return new Result(eval.validRmse(), trained.trainSeconds(), engine.equals("gibbs")
        ? engine + ", " + trained.epochs() + " sweeps" : engine);
  }

  /**
   * Spark ALS as a user tunes it: a grid of rank x regParam, each fitted on 80% of the training
   * ratings and scored on the other 20% (TrainValidationSplit), the best refitted on all of them.
   */
  private Result tunedAls(SparkSession spark, Path train, Path test) {
    Dataset<Row> trainRows = ratings(spark, train).cache();
    Dataset<Row> testRows = ratings(spark, test);
    long start = System.nanoTime();
    ALS als = new ALS().setUserCol("user").setItemCol("item").setRatingCol("rating")
        .setMaxIter(alsIterations).setColdStartStrategy("drop").setSeed(42);
    ParamMap[] grid = new ParamGridBuilder()
        .addGrid(als.rank(), alsRanks.stream().mapToInt(Integer::intValue).toArray())
        .addGrid(als.regParam(), alsReg.stream().mapToDouble(Double::doubleValue).toArray())
        .build();
    RegressionEvaluator rmse = new RegressionEvaluator().setMetricName("rmse")
        .setLabelCol("rating").setPredictionCol("prediction");
    TrainValidationSplitModel tuned = new TrainValidationSplit().setEstimator(als)
        .setEvaluator(rmse).setEstimatorParamMaps(grid).setTrainRatio(0.8).setSeed(42)
        .fit(trainRows);
    double seconds = (System.nanoTime() - start) / 1e9;
    ALSModel best = (ALSModel) tuned.bestModel();
    Dataset<Row> scored = best.transform(testRows);
    double result = rmse.evaluate(scored);
    long dropped = testRows.count() - scored.count();
    trainRows.unpersist();
    double[] metrics = tuned.validationMetrics();
    int chosen = 0;
    for (int g = 1; g < metrics.length; g++) {
      chosen = metrics[g] < metrics[chosen] ? g : chosen;
    }
    return new Result(result, seconds, best.rank() + ", " + grid[chosen].get(als.regParam()).get()
        + (dropped > 0 ? ", " + dropped + " test rows unscored" : ""));
  }

  private static Dataset<Row> ratings(SparkSession spark, Path csv) {
    return spark.read().option("header", "true").csv(csv.toString())
        .select(col("userId").cast("int").as("user"), col("movieId").cast("int").as("item"),
            col("rating").cast("float").as("rating"));
  }

  /**
   * What the automatic choice adds to a run: the split stage's pass that takes the rating scale
   * (the engine's estimate is arithmetic on counts), timed on a Parquet table of that many
   * half-star ratings, as the split stage reads its training table.
   */
  private void choiceCost(SparkSession spark) {
    String table = work.resolve("choice-cost").toString();
    spark.range(choiceCostRatings).selectExpr("CAST(id % 160000 AS INT) AS user_index",
            "CAST(id % 59000 AS INT) AS item_index", "CAST(id % 10 AS DOUBLE) / 2 + 0.5 AS rating")
        .write().mode(SaveMode.Overwrite).parquet(table);
    Dataset<Row> ratings = spark.read().parquet(table);
    ratings.count();
    double[] seconds = new double[3];
    Object scale = null;
    for (int run = 0; run < seconds.length; run++) {
      long start = System.nanoTime();
      scale = SplitStage.scaleOf(ratings, null);
      seconds[run] = (System.nanoTime() - start) / 1e9;
    }
    long start = System.nanoTime();
    ratings.count();
    double count = (System.nanoTime() - start) / 1e9;
    choiceLine = String.format(Locale.ROOT, "The automatic choice at %,d training ratings: the "
        + "scale pass (%s) took %.1f, %.1f and %.1f s (a plain count of the same table: %.1f s); "
        + "the engine's estimate is arithmetic on counts.", choiceCostRatings, scale, seconds[0],
        seconds[1], seconds[2], count);
  }

  private String choiceLine = "";

  private void line(String text) {
    System.out.println(text);
    report.append(text).append('\n');
  }
}
