package org.cfpipe.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.xxhash64;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.spark.ml.evaluation.RegressionEvaluator;
import org.apache.spark.ml.recommendation.ALS;
import org.apache.spark.ml.recommendation.ALSModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.cfpipe.config.ConfigLoader;
import org.cfpipe.config.GenerateSettings;
import org.cfpipe.config.ModelSettings;
import org.cfpipe.config.PipelineSettings;
import org.cfpipe.ingest.PlantedRatings;
import org.cfpipe.ingest.SyntheticRatings;
import org.cfpipe.train.EpochStats;
import org.cfpipe.train.TrainResult;
import org.cfpipe.train.TrainingSet;
import org.cfpipe.train.dl4j.Dl4jTrainer;
import org.cfpipe.train.dl4j.SparseEmbeddingStep;
import org.cfpipe.train.gibbs.GibbsSampler;
import org.cfpipe.train.sparse.SparseTrainer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The sparse engine against Spark MLlib ALS on the same planted-factor ratings: seconds per
 * epoch (iteration) and hold-out RMSE beside the noise floor, and the sparse engine's step time
 * as the number of users grows; then the DL4J engine's throughput on the neural model. Prints a
 * Markdown report and writes it to {@code --out}.
 */
@Command(name = "training-benchmark", mixinStandardHelpOptions = true)
public final class TrainingBenchmark implements Callable<Integer> {
  @Option(names = "--users") int users = 160_000;
  @Option(names = "--items") int items = 59_000;
  @Option(names = "--ratings") long ratings = 20_000_000;
  @Option(names = "--factors") int factors = 50;
  @Option(names = "--epochs", description = "Epochs per optimizer.") int epochs = 3;
  @Option(names = "--als-iterations") int alsIterations = 3;
  @Option(names = "--flat-ratings", description = "Ratings of each step-time run.")
  int flatRatings = 2_000_000;
  @Option(names = "--flat-users", split = ",") List<Integer> flatUsers =
      List.of(10_000, 100_000, 1_000_000, 3_000_000);
  @Option(names = "--dl4j-ratings", description = "Ratings of each DL4J engine run.")
  int dl4jRatings = 1_000_000;
  @Option(names = "--dl4j-workers-ratings", description = "Ratings of each epoch of the "
      + "sparse-embedding workers at the benchmark's size (--users x --items).")
  int dl4jWorkersRatings = 2_000_000;
  @Option(names = "--dl4j-workers", split = ",", description = "Worker counts to time.")
  List<Integer> dl4jWorkers = List.of(1, 2);
  @Option(names = "--dl4j-batches", split = ",", description = "Batch sizes (over all "
      + "workers) to time.")
  List<Integer> dl4jBatches = List.of(512, 2048);
  @Option(names = "--dl4j-workers-users", split = ",", description = "Users of each table "
      + "shape the workers are timed at (items: 5,000 below 100,000 users, else --items).")
  List<Integer> dl4jWorkersUsers = List.of(10_000, 160_000, 3_000_000);
  @Option(names = "--dl4j-steps", description = "Timed steps of each sparse-embedding step run.")
  int dl4jStepCount = 300;
  @Option(names = "--gibbs-sweeps", description = "Sweeps of each gibbs engine run.")
  int gibbsSweeps = 5;
  @Option(names = "--only", description = "all, sparse (engine against ALS, step time), dl4j, "
      + "dl4j-step (only its sparse-embedding step), dl4j-workers (sparse embeddings, one "
      + "epoch by workers and batch) or gibbs.")
  String only = "all";
  @Option(names = "--out") Path out;

  private final StringBuilder report = new StringBuilder();

  public static void main(String[] args) {
    System.exit(new CommandLine(new TrainingBenchmark()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    SparkSession spark = SparkSession.builder().appName("cfpipe-benchmark")
        .config("spark.sql.shuffle.partitions", "8").getOrCreate();
    try {
      if (only.equals("all") || only.equals("sparse")) {
        line("# Sparse engine vs Spark MLlib ALS on planted-factor ratings");
        line("");
        line(String.format(Locale.ROOT, "%,d ratings, %,d users, %,d items (planted rank 10, "
            + "noise 0.5, user exponent 0.5, item exponent 0.8, half stars), k = %d, 95/5 "
            + "hold-out split; %d cores, max heap %d GiB.", ratings, users, items, factors,
            Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 30));
        line("");
        compare(spark);
        flatness();
        line("");
      }
      if (only.equals("all") || only.equals("dl4j")) {
        dl4j();
      }
      if (only.equals("all") || only.equals("dl4j") || only.equals("dl4j-step")) {
        sparseEmbeddingStep();
      }
      if (only.equals("all") || only.equals("dl4j") || only.equals("dl4j-workers")) {
        sparseWorkers();
      }
      if (only.equals("all") || only.equals("gibbs")) {
        gibbs();
      }
    } finally {
      spark.stop();
    }
    if (out != null) {
      Files.createDirectories(out.toAbsolutePath().getParent());
      Files.writeString(out, report.toString());
    }
    return 0;
  }

  private void compare(SparkSession spark) {
    GenerateSettings generate = GenerateSettings.from(ConfigLoader.load(Optional.empty(), List.of(
        "cfpipe.generate.users=" + users, "cfpipe.generate.items=" + items,
        "cfpipe.generate.ratings=" + ratings)));
    Dataset<Row> all = SyntheticRatings.generate(spark, generate)
        .withColumn("user", col("user_id").minus(1))
        .withColumn("item", col("item_id").minus(1))
        .withColumn("test", pmod(xxhash64(col("user_id"), col("item_id"), col("timestamp")),
            lit(20)).equalTo(0))
        .persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> train = all.filter(col("test").unary_$bang());
    Dataset<Row> test = all.filter(col("test"));
    double floor = Math.sqrt(test.selectExpr("avg(pow(truth - rating, 2))").first().getDouble(0));
    TrainingSet trainSet = TrainingSet.collect(train.select(col("user").as("user_index"),
        col("item").as("item_index"), col("rating")));
    TrainingSet testSet = TrainingSet.collect(test.select(col("user").as("user_index"),
        col("item").as("item_index"), col("rating")));
    // Our engine trains on arrays: release the cached table so that it trains in a quiet heap.
    // ALS regenerates the same ratings (generation is seeded) when it needs them.
    all.unpersist(true);

    line(String.format(Locale.ROOT, "Noise floor (RMSE of the clamped truth on the hold-out): "
        + "%.4f. %,d train, %,d hold-out ratings.", floor, trainSet.size(), testSet.size()));
    line("");
    line("| engine | seconds per epoch (iteration) | ratings/s | hold-out RMSE after |");
    line("|---|---|---|---|");
    for (String optimizer : List.of("sgd", "adam")) {
      PipelineSettings s = settings("cfpipe.train.optimizer=" + optimizer,
          "cfpipe.train.epochs=" + epochs, "cfpipe.train.schedule=constant",
          "cfpipe.train.early-stopping.enabled=false",
          optimizer.equals("sgd") ? "cfpipe.train.learning-rate=0.02"
              : "cfpipe.train.learning-rate=0.002",
          "cfpipe.model.init-range=0.1", "cfpipe.train.l2=0.02");
      TrainResult<?> result = new SparseTrainer(
          s.model().forData(generate.scale(), s.train().engine()), s.train())
          .train(trainSet, testSet, users, items);
      double seconds = result.history().stream()
          .mapToDouble(e -> trainSet.size() / e.ratingsPerSecond()).min().orElseThrow();
      line(String.format(Locale.ROOT, "| cfpipe sparse, dot-bias, %s, %d threads (best of %d "
              + "epochs) | %.2f | %,.0f | %.4f (%d epochs) |", optimizer,
          s.train().threadCount(), epochs, seconds, trainSet.size() / seconds,
          result.last().validRmse(), epochs));
    }
    Dataset<Row> alsTrain = train.select("user", "item", "rating")
        .persist(StorageLevel.MEMORY_AND_DISK());
    alsTrain.count();
    timeAls(alsTrain, 1);
    double one = timeAls(alsTrain, 1).seconds;
    AlsRun many = timeAls(alsTrain, alsIterations);
    double perIteration = (many.seconds - one) / (alsIterations - 1);
    double alsRmse = new RegressionEvaluator().setMetricName("rmse").setLabelCol("rating")
        .setPredictionCol("prediction")
        .evaluate(many.model.transform(test.select("user", "item", "rating")));
    line(String.format(Locale.ROOT, "| Spark MLlib ALS, rank %d, regParam 0.05, local[*] (one "
            + "iteration: (t(%d) - t(1)) / %d after a warm-up fit; a fit of %d iterations took "
            + "%.1f s) | %.2f | %,.0f | %.4f (%d iterations) |", factors, alsIterations,
        alsIterations - 1, alsIterations, many.seconds, perIteration,
        trainSet.size() / perIteration, alsRmse, alsIterations));
    line("");
    alsTrain.unpersist();
  }

  private record AlsRun(double seconds, ALSModel model) {}

  private AlsRun timeAls(Dataset<Row> train, int iterations) {
    long start = System.nanoTime();
    ALSModel model = new ALS().setRank(factors).setMaxIter(iterations).setRegParam(0.05)
        .setUserCol("user").setItemCol("item").setRatingCol("rating")
        .setColdStartStrategy("drop").setSeed(1).fit(train);
    model.userFactors().count();
    return new AlsRun((System.nanoTime() - start) / 1e9, model);
  }

  /** Step time of one thread on one block as the user table grows: should stay flat. */
  private void flatness() {
    line(String.format(Locale.ROOT, "Step time of the sparse engine as the user table grows "
        + "(%,d ratings, %,d items, k = %d, Adam, batch 512; mean over one epoch), with one "
        + "thread on one block, and with the engine's defaults (every core, automatic blocks):",
        flatRatings, items, factors));
    line("");
    line("| users | µs per step, 1 thread, 1 block | ratings/s | µs per step, defaults | "
        + "ratings/s |");
    line("|---|---|---|---|---|");
    List<Double> micros = new ArrayList<>();
    for (int u : flatUsers) {
      PlantedRatings.Sample sample = PlantedRatings.plant(u, items, 10, 3)
          .sample(flatRatings, 0.5, 0.8, 0.5, 4);
      TrainingSet data = new TrainingSet(sample.users(), sample.items(), sample.ratings());
      EpochStats single = epoch(data, u, "cfpipe.train.threads=1", "cfpipe.train.blocks=1");
      EpochStats defaults = epoch(data, u, "cfpipe.train.threads=0", "cfpipe.train.blocks=0");
      double perStep = 512 / single.ratingsPerSecond() * 1e6;
      micros.add(perStep);
      line(String.format(Locale.ROOT, "| %,d | %.1f | %,.0f | %.1f | %,.0f |", u, perStep,
          single.ratingsPerSecond(), 512 / defaults.ratingsPerSecond() * 1e6,
          defaults.ratingsPerSecond()));
    }
    double ratio = micros.stream().mapToDouble(d -> d).max().orElseThrow()
        / micros.stream().mapToDouble(d -> d).min().orElseThrow();
    line("");
    line(String.format(Locale.ROOT, "Slowest / fastest step, 1 thread, 1 block: %.2fx.", ratio));
  }

  /**
   * The DL4J engine's throughput on the neural model with its defaults: one epoch over
   * {@code dl4jRatings} planted ratings, with small tables and with the benchmark's tables, beside
   * the engine's estimate of one dense update of the embeddings.
   */
  private void dl4j() {
    PipelineSettings s = settings("cfpipe.model.type=neural", "cfpipe.train.neural.epochs=1",
        "cfpipe.train.early-stopping.enabled=false", "cfpipe.train.dl4j.embeddings=dense");
    // The y-range the defaults had before it came from the data; it does not change the speed.
    ModelSettings model = s.model().withYRange(new ModelSettings.Range(0, 5.5));
    line("# DL4J engine, neural model");
    line("");
    line(String.format(Locale.ROOT, "One epoch of %,d planted ratings (rank 10), neural model "
            + "with its defaults (embeddings %d + %d, hidden %d, batch %d, Adam), in one JVM with "
            + "%d ND4J thread(s) per operation; %d cores.", dl4jRatings,
        s.model().neural().userFactors(), s.model().neural().itemFactors(),
        s.model().neural().hidden(), s.train().batchSize(), s.train().dl4j().opThreads(),
        Runtime.getRuntime().availableProcessors()));
    line("");
    line("| users | items | ms per step | ratings/s | estimated dense update, ms per step |");
    line("|---|---|---|---|---|");
    for (int[] shape : List.of(new int[] {10_000, 5_000}, new int[] {users, items})) {
      PlantedRatings.Sample sample = PlantedRatings.plant(shape[0], shape[1], 10, 3)
          .sample(dl4jRatings, 0.5, 0.8, 0.5, 4);
      TrainingSet data = new TrainingSet(sample.users(), sample.items(), sample.ratings());
      EpochStats epoch = new Dl4jTrainer(model, s.train()).train(data,
          new TrainingSet(new int[0], new int[0], new float[0]), shape[0], shape[1]).last();
      line(String.format(Locale.ROOT, "| %,d | %,d | %.2f | %,.0f | %.2f |", shape[0], shape[1],
          s.train().batchSize() / epoch.ratingsPerSecond() * 1e3, epoch.ratingsPerSecond(),
          Dl4jTrainer.denseStepMillis(model, s.train(), shape[0], shape[1])));
    }
  }

  /**
   * The neural model's step with its embeddings outside the network ({@link SparseEmbeddingStep},
   * issue 18): the step alone, timed over steps on planted ratings after a warm-up, at the batch
   * size of the defaults and at larger ones, from small tables to 3M users.
   */
  private void sparseEmbeddingStep() {
    PipelineSettings s = settings("cfpipe.model.type=neural");
    ModelSettings model = s.model().withYRange(new ModelSettings.Range(0, 5.5));
    int warmUp = 50;
    line("");
    line("## The sparse-embedding step (issue 18)");
    line("");
    line(String.format(Locale.ROOT, "SparseEmbeddingStep alone: the batch's rows gathered from "
            + "the tables, the head network's gradient and its gradient with respect to its "
            + "input (DL4J), the head's Adam update, the rows' lazy Adam update. Neural model "
            + "with its defaults (embeddings %d + %d, hidden %d, dropout %s and %s), %d ND4J "
            + "thread(s) per operation, one JVM thread; %d timed steps after %d of warm-up, over "
            + "planted ratings (rank 10, item exponent 0.8). No epoch bookkeeping, no "
            + "validation.", model.neural().userFactors(), model.neural().itemFactors(),
        model.neural().hidden(), model.neural().embeddingDropout(),
        model.neural().hiddenDropout(), s.train().dl4j().opThreads(), dl4jStepCount, warmUp));
    line("");
    line("| users | items | batch | ms per step | ratings/s |");
    line("|---|---|---|---|---|");
    for (int[] shape : List.of(new int[] {10_000, 5_000}, new int[] {users, items},
        new int[] {3_000_000, items})) {
      for (int batch : List.of(s.train().batchSize(), 2048)) {
        int count = (warmUp + dl4jStepCount) * batch;
        PlantedRatings.Sample sample = PlantedRatings.plant(shape[0], shape[1], 10, 3)
            .sample(count, 0.5, 0.8, 0.5, 4);
        SparseEmbeddingStep step = new SparseEmbeddingStep(model, s.train(), shape[0], shape[1],
            warmUp + dl4jStepCount, batch);
        long start = 0;
        for (int n = 0; n < warmUp + dl4jStepCount; n++) {
          if (n == warmUp) {
            start = System.nanoTime();
          }
          step.step(sample.users(), sample.items(), sample.ratings(), n * batch,
              (n + 1) * batch, 0);
        }
        double millis = (System.nanoTime() - start) / 1e6 / dl4jStepCount;
        line(String.format(Locale.ROOT, "| %,d | %,d | %,d | %.2f | %,.0f |", shape[0],
            shape[1], batch, millis, batch / millis * 1e3));
      }
    }
  }

  /**
   * The neural model with sparse embeddings as the engine trains it in one JVM (issue 18): one
   * epoch of {@code dl4jWorkersRatings} planted ratings through {@code Dl4jTrainer}, the epoch's
   * bookkeeping (the tables written into the network, the training loss on a sample) included,
   * no validation; by workers and batch size, at small tables, at the benchmark's and at 3M
   * users.
   */
  private void sparseWorkers() {
    line("");
    line("## The neural model with sparse embeddings, by workers (issue 18)");
    line("");
    line(String.format(Locale.ROOT, "One epoch of %,d planted ratings (rank 10, item exponent "
        + "0.8) through `Dl4jTrainer` with `cfpipe.train.dl4j.embeddings = sparse`, the neural "
        + "model's defaults otherwise; the epoch includes writing the tables into the network "
        + "and the training loss on a sample, no validation. `batch` is over all workers (each "
        + "takes its share); %d ND4J thread(s) per operation; %d cores.", dl4jWorkersRatings,
        settings("cfpipe.model.type=neural").train().dl4j().opThreads(),
        Runtime.getRuntime().availableProcessors()));
    line("");
    line("| users | items | workers | batch | epoch s | ratings/s | ms per worker step |");
    line("|---|---|---|---|---|---|---|");
    for (int shapeUsers : dl4jWorkersUsers) {
      int[] shape = {shapeUsers, shapeUsers < 100_000 ? 5_000 : items};
      PlantedRatings.Sample sample = PlantedRatings.plant(shape[0], shape[1], 10, 3)
          .sample(dl4jWorkersRatings, 0.5, 0.8, 0.5, 4);
      TrainingSet data = new TrainingSet(sample.users(), sample.items(), sample.ratings());
      for (int workers : dl4jWorkers) {
        for (int batch : dl4jBatches) {
          PipelineSettings s = settings("cfpipe.model.type=neural",
              "cfpipe.train.neural.epochs=1", "cfpipe.train.early-stopping.enabled=false",
              "cfpipe.train.neural.average-from-epoch=0", "cfpipe.train.dl4j.embeddings=sparse",
              "cfpipe.train.dl4j.workers=" + workers, "cfpipe.train.neural.batch-size=" + batch);
          ModelSettings model = s.model().withYRange(new ModelSettings.Range(0, 5.5));
          EpochStats epoch = new Dl4jTrainer(model, s.train()).train(data,
              new TrainingSet(new int[0], new int[0], new float[0]), shape[0], shape[1]).last();
          double seconds = dl4jWorkersRatings / epoch.ratingsPerSecond();
          double workerSteps = Math.ceil(dl4jWorkersRatings / (double) workers
              / Math.ceil(batch / (double) workers));
          line(String.format(Locale.ROOT, "| %,d | %,d | %d | %,d | %.1f | %,.0f | %.2f |",
              shape[0], shape[1], workers, batch, seconds, epoch.ratingsPerSecond(),
              seconds / workerSteps * 1e3));
        }
      }
    }
  }

  /**
   * The gibbs engine's time per sweep on the benchmark's planted ratings and on a tenth of them
   * (a tenth of the users and items too), with its defaults and without the implicit prior.
   */
  private void gibbs() {
    line("");
    line("# Gibbs engine (dot-bias)");
    line("");
    line(String.format(Locale.ROOT, "%d sweeps (the first %d burn-in) of planted ratings (rank "
        + "10), k = %d, the engine's defaults, %d threads; the time per sweep includes scoring "
        + "nothing (no validation set).", gibbsSweeps, gibbsSweeps / 2, factors,
        Runtime.getRuntime().availableProcessors()));
    line("");
    line("| ratings | users | items | s per sweep | ratings/s | s per sweep without the implicit "
        + "prior |");
    line("|---|---|---|---|---|---|");
    for (int scale : new int[] {10, 1}) {
      int u = users / scale;
      int i = items / scale;
      PlantedRatings.Sample sample = PlantedRatings.plant(u, i, 10, 3)
          .sample(Math.toIntExact(ratings / scale), 0.5, 0.8, 0.5, 4);
      TrainingSet data = new TrainingSet(sample.users(), sample.items(), sample.ratings());
      double[] seconds = new double[2];
      for (int run = 0; run < 2; run++) {
        PipelineSettings s = settings("cfpipe.train.engine=gibbs",
            "cfpipe.model.y-range.enabled=false", "cfpipe.train.gibbs.sweeps=" + gibbsSweeps,
            "cfpipe.train.gibbs.burn-in=" + gibbsSweeps / 2,
            "cfpipe.train.gibbs.implicit=" + (run == 0));
        seconds[run] = new GibbsSampler(s.model(), s.train()).train(data,
            new TrainingSet(new int[0], new int[0], new float[0]), u, i).seconds() / gibbsSweeps;
      }
      line(String.format(Locale.ROOT, "| %,d | %,d | %,d | %.2f | %,.0f | %.2f |", data.size(), u,
          i, seconds[0], data.size() / seconds[0], seconds[1]));
    }
  }

  private EpochStats epoch(TrainingSet data, int users, String... sets) {
    List<String> all = new ArrayList<>(List.of("cfpipe.train.epochs=1",
        "cfpipe.train.batch-size=512", "cfpipe.model.y-range.enabled=false"));
    all.addAll(List.of(sets));
    PipelineSettings s = settings(all.toArray(String[]::new));
    return new SparseTrainer(s.model(), s.train())
        .train(data, new TrainingSet(new int[0], new int[0], new float[0]), users, items).last();
  }

  private PipelineSettings settings(String... sets) {
    List<String> all = new ArrayList<>(List.of("cfpipe.input.ratings=benchmark",
        "cfpipe.model.factors=" + factors));
    all.addAll(List.of(sets));
    return PipelineSettings.from(ConfigLoader.load(Optional.empty(), all), "2024-01-01");
  }

  private void line(String text) {
    System.out.println(text);
    report.append(text).append('\n');
  }
}
