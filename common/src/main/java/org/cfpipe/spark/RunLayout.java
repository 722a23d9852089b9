package org.cfpipe.spark;

import java.io.Serializable;
import java.time.LocalDate;

/**
 * Where one run's files live, all under {@code OUTPUT/run_date=DATE/}. Published tables sit at the
 * top; what stages hand to each other sits under {@code _work/}, which Spark, Hive and DuckDB
 * readers skip because of the leading underscore.
 */
public record RunLayout(String outputDir, LocalDate runDate) implements Serializable {

  public String runDir() {
    return stripSlash(outputDir) + "/run_date=" + runDate;
  }

  // Published.
  public String userFactors() {
    return runDir() + "/user_factors";
  }

  public String itemFactors() {
    return runDir() + "/item_factors";
  }

  public String metricsJson() {
    return runDir() + "/metrics.json";
  }

  public String settingsJson() {
    return runDir() + "/settings.json";
  }

  public String rejects() {
    return runDir() + "/rejects";
  }

  public String userIds() {
    return runDir() + "/ids/users";
  }

  public String itemIds() {
    return runDir() + "/ids/items";
  }

  // Hand-over between stages.
  public String work() {
    return runDir() + "/_work";
  }

  public String ratings() {
    return work() + "/ratings";
  }

  public String validationInput() {
    return work() + "/validation_input";
  }

  /** Item titles (item_id, title, genres), when the input names an items file. */
  public String itemTitles() {
    return work() + "/items";
  }

  public String encodedRatings() {
    return work() + "/encoded_ratings";
  }

  public String encodedValidation() {
    return work() + "/encoded_validation";
  }

  public String train() {
    return work() + "/train";
  }

  public String validation() {
    return work() + "/validation";
  }

  public String modelUsers() {
    return work() + "/model/users";
  }

  public String modelItems() {
    return work() + "/model/items";
  }

  public String modelJson() {
    return work() + "/model/model.json";
  }

  /** Training checkpoints: outside _work, which a rerun of ingest clears. */
  public String checkpoints() {
    return runDir() + "/_checkpoints";
  }

  /** The small JSON report a stage leaves for the stages after it and for metrics.json. */
  public String report(String stage) {
    return work() + "/reports/" + stage + ".json";
  }

  private static String stripSlash(String path) {
    return path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path;
  }
}
