package org.cfpipe.config;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

/**
 * Every stage's settings for one run, resolved and validated up front so that a bad value fails
 * before any data is read. The run date comes from the caller, never from the clock.
 */
public record PipelineSettings(
    LocalDate runDate,
    InputSettings input,
    String outputDir,
    String modelName,
    IngestSettings ingest,
    IdsSettings ids,
    SplitSettings split,
    ModelSettings model,
    TrainSettings train,
    RankingSettings ranking,
    EvalSettings eval,
    AnalyzeSettings analyze,
    SparkSettings spark,
    String resolvedConfig) implements Serializable {

  /** A model name is one path segment of the output: letters, digits, dot, dash, underscore. */
  private static final Pattern MODEL_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  public static PipelineSettings from(Config config, String runDate) {
    ModelSettings model = ModelSettings.from(config);
    String modelName = Checks.optional(config, "cfpipe.output.model-name")
        .orElse(model.type().spelling());
    if (!MODEL_NAME.matcher(modelName).matches()) {
      throw new SettingsException("cfpipe.output.model-name must be letters, digits, '.', '-' "
          + "or '_' (it names a folder), got '" + modelName + "'");
    }
    return new PipelineSettings(
        parseRunDate(runDate),
        InputSettings.from(config),
        Checks.nonEmpty(config, "cfpipe.output.dir"),
        modelName,
        IngestSettings.from(config),
        IdsSettings.from(config),
        SplitSettings.from(config),
        model,
        TrainSettings.from(config),
        RankingSettings.from(config),
        EvalSettings.from(config),
        AnalyzeSettings.from(config),
        SparkSettings.from(config),
        ConfigLoader.redactedRender(config));
  }

  static LocalDate parseRunDate(String runDate) {
    try {
      return LocalDate.parse(runDate);
    } catch (DateTimeParseException e) {
      throw new SettingsException("--run-date must be YYYY-MM-DD, got '" + runDate + "'", e);
    }
  }
}
