package org.cfpipe.config;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;

/**
 * Every stage's settings for one run, resolved and validated up front so that a bad value fails
 * before any data is read. The run date comes from the caller, never from the clock.
 */
public record PipelineSettings(
    LocalDate runDate,
    InputSettings input,
    String outputDir,
    IngestSettings ingest,
    IdsSettings ids,
    SplitSettings split,
    ModelSettings model,
    TrainSettings train,
    SparkSettings spark,
    String resolvedConfig) implements Serializable {

  public static PipelineSettings from(Config config, String runDate) {
    return new PipelineSettings(
        parseRunDate(runDate),
        InputSettings.from(config),
        Checks.nonEmpty(config, "cfpipe.output.dir"),
        IngestSettings.from(config),
        IdsSettings.from(config),
        SplitSettings.from(config),
        ModelSettings.from(config),
        TrainSettings.from(config),
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
