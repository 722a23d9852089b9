package org.cfpipe.jobs;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cfpipe.config.ConfigLoader;
import org.cfpipe.config.SettingsException;
import org.cfpipe.config.SparkSettings;
import org.cfpipe.ingest.InputException;
import org.cfpipe.serve.Predictions;
import org.cfpipe.serve.PublishedRun;
import org.cfpipe.serve.Recommendations;
import org.cfpipe.serve.SimilarItems;
import org.cfpipe.spark.HadoopFiles;
import org.cfpipe.spark.SparkSessions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The jobs that use a published run: predict, recommend, similar-items. */
final class ScoringCommands {
  private ScoringCommands() {}

  /** The options of every scoring job. */
  static final class RunOptions {
    @Option(names = "--run", required = true, paramLabel = "PATH",
        description = "A run folder (OUTPUT/run_date=DATE/model=NAME), or an output root: then "
            + "the newest committed run of --model-name.")
    String run;

    @Option(names = "--model-name", paramLabel = "NAME", defaultValue = "dot-bias",
        description = "With an output root as --run: which model (default: ${DEFAULT-VALUE}).")
    String modelName;

    @Option(names = "--out", required = true, paramLabel = "DIR",
        description = "Where to write the result, as Parquet (replaced whole).")
    String out;

    @Option(names = "--conf", paramLabel = "FILE", description = "Configuration (HOCON).")
    File conf;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one setting.")
    List<String> sets = new ArrayList<>();

    /** Opens a session, runs {@code job} on the run, commits its result to --out. */
    int write(Job job) {
      SparkSession spark = SparkSessions.open(SparkSettings.from(
          ConfigLoader.load(Optional.ofNullable(conf), sets)));
      try {
        HadoopFiles files = HadoopFiles.of(spark);
        PublishedRun published = PublishedRun.open(files, run, modelName);
        Dataset<Row> result = job.apply(spark, files, published);
        files.commitParquet(result, out);
        long rows = spark.read().parquet(out).count();
        System.out.printf(Locale.ROOT, "Wrote %,d rows to %s (model %s)%n", rows, out,
            published.dir());
        return 0;
      } finally {
        spark.stop();
      }
    }
  }

  @FunctionalInterface
  interface Job {
    Dataset<Row> apply(SparkSession spark, HadoopFiles files, PublishedRun run);
  }

  /** A table given on the command line: CSV with a header when it ends in .csv(.gz), else Parquet. */
  static Dataset<Row> table(SparkSession spark, HadoopFiles files, String path, String option) {
    if (!files.matches(path)) {
      throw new InputException("input not found: " + path + " (" + option + ")");
    }
    return path.matches(".*\\.csv(\\.gz|\\.bz2)?$")
        ? spark.read().option("header", "true").csv(path)
        : spark.read().parquet(path);
  }

  @Command(name = "predict", description = "Score (user_id, item_id) pairs; unknown ids get the "
      + "training mean plus the known bias, flagged in the fallback column.")
  static final class Predict implements Callable<Integer> {
    @Mixin
    RunOptions options;

    @Option(names = "--pairs", required = true, paramLabel = "PATH",
        description = "Pairs with columns user_id and item_id: CSV with a header (.csv) or "
            + "Parquet.")
    String pairs;

    @Override
    public Integer call() {
      return options.write((spark, files, run) -> Predictions.run(spark, run,
          table(spark, files, pairs, "--pairs"), pairs));
    }
  }

  @Command(name = "recommend", description = "Top-N items per user, leaving out the items each "
      + "user has rated.")
  static final class Recommend implements Callable<Integer> {
    @Mixin
    RunOptions options;

    @Option(names = "--top", paramLabel = "N", defaultValue = "10",
        description = "Items per user (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--users", paramLabel = "PATH",
        description = "Only these users (a user_id column); default: every user with factors.")
    String users;

    @Option(names = "--rated", paramLabel = "PATH",
        description = "(user_id, item_id) pairs to leave out; default: the ratings the run "
            + "ingested (OUTPUT/_work/run_date=DATE/model=NAME/ratings).")
    String rated;

    @Override
    public Integer call() {
      if (top < 1) {
        throw new SettingsException("--top must be at least 1, got " + top);
      }
      return options.write((spark, files, run) -> Recommendations.run(spark, run, top,
          Optional.ofNullable(users).map(u -> table(spark, files, u, "--users")),
          table(spark, files, rated != null ? rated : ingested(run), "--rated")));
    }

    /** The ratings the run ingested, kept under OUTPUT/_work. */
    private static String ingested(PublishedRun run) {
      Matcher m = Pattern.compile("(.*)/(run_date=[^/]+/model=[^/]+)").matcher(run.dir());
      if (!m.matches()) {
        throw new InputException("cannot tell the output root of " + run.dir() + ": give --rated");
      }
      return m.group(1) + "/_work/" + m.group(2) + "/ratings";
    }
  }

  @Command(name = "similar-items", description = "Top-N nearest items of every item by the "
      + "cosine of their factors.")
  static final class Similar implements Callable<Integer> {
    @Mixin
    RunOptions options;

    @Option(names = "--top", paramLabel = "N", defaultValue = "10",
        description = "Neighbours per item (default: ${DEFAULT-VALUE}).")
    int top;

    @Override
    public Integer call() {
      if (top < 1) {
        throw new SettingsException("--top must be at least 1, got " + top);
      }
      return options.write((spark, files, run) -> SimilarItems.run(spark, run, top));
    }
  }
}
