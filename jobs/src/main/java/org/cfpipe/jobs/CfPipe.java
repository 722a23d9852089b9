package org.cfpipe.jobs;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.cfpipe.analysis.AnalyzeStage;
import org.cfpipe.config.PipelineSettings;
import org.cfpipe.config.SettingsException;
import org.cfpipe.ingest.InputException;
import org.cfpipe.io.RunMetrics;
import org.cfpipe.spark.HadoopFiles;
import org.cfpipe.spark.RunLayout;
import org.cfpipe.spark.SparkSessions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The jobs jar's one entry point: {@code cfpipe STAGE --run-date DATE [options]}, a subcommand
 * per stage and {@code pipeline} for all of them in order. Exit status 0 on success, 1 on bad
 * arguments or settings, 2 when the job fails.
 */
@Command(name = "cfpipe", mixinStandardHelpOptions = true, version = "cfpipe 0.1.0",
    description = "Collaborative filtering on Spark: ratings in, user and item embeddings out.",
    subcommands = {
        CfPipe.Ingest.class, CfPipe.Encode.class, CfPipe.Split.class, CfPipe.Train.class,
        CfPipe.Evaluate.class, CfPipe.Export.class, CfPipe.Analyze.class, CfPipe.Pipeline.class,
        ScoringCommands.Predict.class, ScoringCommands.Recommend.class,
        ScoringCommands.Similar.class, GenerateCommand.class})
public final class CfPipe implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(CfPipe.class);
  static final int BAD_ARGUMENTS = 1;
  static final int JOB_FAILED = 2;

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Parses and runs, returning the exit status instead of exiting. */
  public static int execute(String... args) {
    return execute(new PrintWriter(System.err, true), args);
  }

  static int execute(PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(new CfPipe());
    cli.setErr(err);
    cli.setParameterExceptionHandler((e, a) -> {
      cli.getErr().println("cfpipe: " + e.getMessage());
      e.getCommandLine().usage(cli.getErr());
      return BAD_ARGUMENTS;
    });
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      if (e instanceof SettingsException) {
        commandLine.getErr().println("cfpipe: bad setting: " + e.getMessage());
        return BAD_ARGUMENTS;
      }
      LOG.error("job failed", e);
      // An input error's message is whole (path, file, cause); Spark's wrappers add only noise.
      commandLine.getErr().println("cfpipe: " + commandLine.getCommandName() + " failed: "
          + (e instanceof InputException ? e.getMessage() : causes(e)));
      return JOB_FAILED;
    });
    return cli.execute(args);
  }

  /**
   * Runs {@code stages} in order on an open session. Tests call this with their own session.
   *
   * @return the metrics of the run when {@code stages} include export, otherwise null
   */
  public static RunMetrics run(SparkSession spark, PipelineSettings settings, List<Stage> stages) {
    RunLayout layout = RunLayout.of(settings);
    for (Stage stage : stages) {
      long start = System.nanoTime();
      LOG.info("stage {} starting", stage.spelling());
      stage.run(spark, settings, layout);
      LOG.info(String.format(Locale.ROOT, "stage %s done in %.1f s", stage.spelling(),
          (System.nanoTime() - start) / 1e9));
    }
    if (stages.contains(Stage.EXPORT)) {
      return HadoopFiles.of(spark).readJson(layout.published().metricsJson(), RunMetrics.class);
    }
    return null;
  }

  @Spec
  CommandSpec spec;

  /** Without a subcommand there is nothing to run: a usage error. */
  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "name a job: "
        + String.join(", ", spec.subcommands().keySet()));
  }

  private static String causes(Throwable e) {
    StringBuilder text = new StringBuilder(String.valueOf(e.getMessage()));
    for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
      if (c.getMessage() != null && !text.toString().contains(c.getMessage())) {
        text.append(": ").append(c.getMessage());
      }
    }
    return text.toString();
  }

  /** Shared behaviour of the subcommands: settings, session, stages, summary. */
  abstract static class StageCommand implements Callable<Integer> {
    @Mixin
    JobOptions options;

    abstract List<Stage> stages();

    @Override
    public Integer call() {
      PipelineSettings settings = options.settings();
      LOG.info("resolved settings (run date {}):\n{}", settings.runDate(),
          settings.resolvedConfig());
      SparkSession spark = SparkSessions.open(settings.spark());
      try {
        RunMetrics metrics = run(spark, settings, stages());
        RunLayout layout = RunLayout.of(settings);
        boolean published = stages().contains(Stage.EXPORT) || stages().contains(Stage.ANALYZE);
        System.out.println(published ? "Output: " + layout.runDir()
            : "Work in progress: " + layout.work());
        if (metrics != null) {
          System.out.printf(Locale.ROOT,
              "Validation RMSE: %.4f  MAE: %.4f  (%d validation ratings, %d dropped; "
                  + "%d train ratings; %d epochs in %.1f s)%n",
              metrics.validRmse(), metrics.validMae(), metrics.validRows(),
              metrics.validRowsDropped(), metrics.trainRows(), metrics.epochs(),
              metrics.trainSeconds());
        }
        if (stages().contains(Stage.ANALYZE)) {
          System.out.println("Report: " + layout.published().report() + "/"
              + AnalyzeStage.REPORT);
        }
        return 0;
      } finally {
        spark.stop();
      }
    }
  }

  @Command(name = "ingest", description = "Parse ratings; keep rejected rows with their reason.")
  static final class Ingest extends StageCommand {
    @Override
    List<Stage> stages() {
      return List.of(Stage.INGEST);
    }
  }

  @Command(name = "encode", description = "Index user and item ids; store the id maps.")
  static final class Encode extends StageCommand {
    @Override
    List<Stage> stages() {
      return List.of(Stage.ENCODE);
    }
  }

  @Command(name = "split", description = "Split train and validation ratings.")
  static final class Split extends StageCommand {
    @Override
    List<Stage> stages() {
      return List.of(Stage.SPLIT);
    }
  }

  @Command(name = "train", description = "Train the model on the train split.")
  static final class Train extends StageCommand {
    @Override
    List<Stage> stages() {
      return List.of(Stage.TRAIN);
    }
  }

  @Command(name = "evaluate", description = "RMSE and MAE of the model on validation.")
  static final class Evaluate extends StageCommand {
    @Override
    List<Stage> stages() {
      return List.of(Stage.EVALUATE);
    }
  }

  @Command(name = "export", description = "Publish factor tables and metrics.json.")
  static final class Export extends StageCommand {
    @Override
    List<Stage> stages() {
      return List.of(Stage.EXPORT);
    }
  }

  @Command(name = "analyze", description = "Write the run's report: report/report.html.")
  static final class Analyze extends StageCommand {
    @Override
    List<Stage> stages() {
      return List.of(Stage.ANALYZE);
    }
  }

  @Command(name = "pipeline", description = "Run every stage in order.")
  static final class Pipeline extends StageCommand {
    @Override
    List<Stage> stages() {
      return List.of(Stage.values());
    }
  }
}
