package org.cfpipe.jobs;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.cfpipe.config.ConfigLoader;
import org.cfpipe.config.GenerateSettings;
import org.cfpipe.config.SparkSettings;
import org.cfpipe.ingest.GenerateReport;
import org.cfpipe.ingest.GenerateStage;
import org.cfpipe.spark.SparkSessions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cfpipe generate}: synthetic ratings with planted factors, and their noise floor. */
@Command(name = "generate", description = "Write synthetic MovieLens-shaped ratings with planted "
    + "factors (OUTPUT/ratings/) and their noise floor (OUTPUT/oracle.json).")
final class GenerateCommand implements Callable<Integer> {
  @Option(names = "--output", required = true, paramLabel = "DIR", description = "Where to write.")
  String output;

  @Option(names = "--conf", paramLabel = "FILE", description = "Configuration (HOCON).")
  File conf;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one setting.")
  List<String> sets = new ArrayList<>();

  @Option(names = "--users", description = "cfpipe.generate.users")
  Integer users;

  @Option(names = "--items", description = "cfpipe.generate.items")
  Integer items;

  @Option(names = "--ratings", description = "cfpipe.generate.ratings")
  Long ratings;

  @Option(names = "--rank", description = "cfpipe.generate.rank")
  Integer rank;

  @Option(names = "--noise", description = "cfpipe.generate.noise")
  Double noise;

  @Option(names = "--seed", description = "cfpipe.generate.seed")
  Long seed;

  @Option(names = "--user-exponent", description = "cfpipe.generate.user-exponent")
  Double userExponent;

  @Option(names = "--item-exponent", description = "cfpipe.generate.item-exponent")
  Double itemExponent;

  @Option(names = "--scale", paramLabel = "MIN:MAX:STEP", description = "cfpipe.generate.scale: "
      + "0.5:5:0.5 (half stars), 1:5:1, 0:10:1, 1:10:1; STEP 0 for continuous ratings")
  String scale;

  @Override
  public Integer call() {
    List<String> overrides = new ArrayList<>();
    add(overrides, "users", users);
    add(overrides, "items", items);
    add(overrides, "ratings", ratings);
    add(overrides, "rank", rank);
    add(overrides, "noise", noise);
    add(overrides, "seed", seed);
    add(overrides, "user-exponent", userExponent);
    add(overrides, "item-exponent", itemExponent);
    if (scale != null) {
      String[] parts = scale.split(":");
      if (parts.length != 3) {
        throw new CommandLine.ParameterException(new CommandLine(this),
            "--scale must be MIN:MAX:STEP, e.g. 0:10:1, got '" + scale + "'");
      }
      add(overrides, "scale.min", parts[0]);
      add(overrides, "scale.max", parts[1]);
      add(overrides, "scale.step", parts[2]);
    }
    overrides.addAll(sets);
    var config = ConfigLoader.load(Optional.ofNullable(conf), overrides);
    GenerateSettings settings = GenerateSettings.from(config);
    SparkSession spark = SparkSessions.open(SparkSettings.from(config));
    try {
      GenerateReport report = GenerateStage.run(spark, settings, output);
      System.out.printf(java.util.Locale.ROOT, "Wrote %,d ratings to %s/ratings; noise floor "
          + "(oracle RMSE) %.4f%n", report.ratings(), output, report.oracleRmse());
      return 0;
    } finally {
      spark.stop();
    }
  }

  private static void add(List<String> overrides, String key, Object value) {
    if (value != null) {
      overrides.add("cfpipe.generate." + key + "=" + value);
    }
  }
}
