package org.cfpipe.serve;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cfpipe.ingest.InputException;
import org.cfpipe.model.ModelInfo;
import org.cfpipe.spark.HadoopFiles;
import org.cfpipe.spark.RunLayout;

/**
 * A committed run, as the scoring jobs read it: its factor tables, its model.json and the
 * training mean from its metadata.json, and its top-N model's tables and model.json when it has
 * one ({@code ranking} null otherwise).
 */
public record PublishedRun(String dir, ModelInfo model, double trainMean, ModelInfo ranking) {

  /**
   * The run folder {@code path} (it has a {@code _SUCCESS}), or, given an output root, the
   * newest committed run of {@code modelName} that {@code _latest} names.
   */
  public static PublishedRun open(HadoopFiles files, String path, String modelName) {
    String dir = path.replaceAll("/+$", "");
    if (!files.exists(new RunLayout.Tables(dir).success())) {
      String latest = dir + "/_latest/model=" + modelName;
      if (!files.exists(latest)) {
        throw new InputException("no committed run at " + path + ": neither a run folder with "
            + "_SUCCESS nor an output root with " + latest);
      }
      dir = dir + "/run_date=" + files.readString(latest).trim() + "/model=" + modelName;
    }
    RunLayout.Tables tables = new RunLayout.Tables(dir);
    ModelInfo model = files.readJson(tables.model() + "/model.json", ModelInfo.class);
    JsonNode metadata;
    try {
      metadata = HadoopFiles.json().readTree(files.readString(tables.metadataJson()));
    } catch (IOException e) {
      throw new UncheckedIOException("malformed " + tables.metadataJson(), e);
    }
    ModelInfo ranking = files.exists(tables.rankingModel())
        ? files.readJson(tables.rankingModel(), ModelInfo.class) : null;
    return new PublishedRun(dir, model, metadata.at("/data/train_mean").asDouble(), ranking);
  }

  public RunLayout.Tables tables() {
    return new RunLayout.Tables(dir);
  }

  public Dataset<Row> userFactors(SparkSession spark) {
    return spark.read().parquet(tables().userFactors());
  }

  public Dataset<Row> itemFactors(SparkSession spark) {
    return spark.read().parquet(tables().itemFactors());
  }

  /** The model ranked lists come from: the top-N model when the run has one, else the rating. */
  public ModelInfo listModel() {
    return ranking != null ? ranking : model;
  }

  /** The user rows of {@link #listModel}. */
  public Dataset<Row> listUserFactors(SparkSession spark) {
    return ranking != null ? spark.read().parquet(tables().rankingUserFactors())
        : userFactors(spark);
  }

  /** The item rows of {@link #listModel}. */
  public Dataset<Row> listItemFactors(SparkSession spark) {
    return ranking != null ? spark.read().parquet(tables().rankingItemFactors())
        : itemFactors(spark);
  }
}
