package org.cfpipe.jobs;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.cfpipe.config.ConfigLoader;
import org.cfpipe.config.PipelineSettings;
import picocli.CommandLine.Option;

/** The options every subcommand takes. The shorthands are --set of their key. */
final class JobOptions {
  @Option(names = "--conf", paramLabel = "FILE",
      description = "Environment configuration (HOCON); overrides reference.conf.")
  File conf;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "Override one setting, e.g. --set cfpipe.train.epochs=5. Repeatable.")
  List<String> sets = new ArrayList<>();

  @Option(names = "--run-date", required = true, paramLabel = "YYYY-MM-DD",
      description = "The run's date: names its output folder. Never read from the clock.")
  String runDate;

  @Option(names = "--ratings", paramLabel = "PATH",
      description = "Ratings file or directory (cfpipe.input.ratings).")
  String ratings;

  @Option(names = "--format", paramLabel = "FORMAT",
      description = "movielens-csv or movielens-tsv (cfpipe.input.format).")
  String format;

  @Option(names = "--validation-ratings", paramLabel = "PATH",
      description = "Explicit validation ratings, same format (cfpipe.input.validation-ratings).")
  String validationRatings;

  @Option(names = "--output", paramLabel = "DIR",
      description = "Output root; the run writes DIR/run_date=DATE (cfpipe.output.dir).")
  String output;

  @Option(names = "--resume",
      description = "Continue training from the newest checkpoint (cfpipe.train.resume).")
  boolean resume;

  PipelineSettings settings() {
    List<String> overrides = new ArrayList<>();
    shorthand(overrides, "cfpipe.input.ratings", ratings);
    shorthand(overrides, "cfpipe.input.format", format);
    shorthand(overrides, "cfpipe.input.validation-ratings", validationRatings);
    shorthand(overrides, "cfpipe.output.dir", output);
    if (resume) {
      overrides.add("cfpipe.train.resume=true");
    }
    overrides.addAll(sets);
    return PipelineSettings.from(
        ConfigLoader.load(Optional.ofNullable(conf), overrides), runDate);
  }

  private static void shorthand(List<String> overrides, String key, String value) {
    if (value != null) {
      overrides.add(key + "=" + value);
    }
  }
}
