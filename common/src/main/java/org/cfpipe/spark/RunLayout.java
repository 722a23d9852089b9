package org.cfpipe.spark;

import java.io.Serializable;
import java.time.LocalDate;
import org.cfpipe.config.PipelineSettings;

/**
 * Where one run's files live. A run is one run date of one named model:
 *
 * <pre>
 * OUTPUT/run_date=DATE/model=NAME/     published, whole or not at all (see {@link #published})
 * OUTPUT/_work/run_date=DATE/model=NAME/       what the stages hand each other, and the
 *                                              tables being staged for publication
 * OUTPUT/_checkpoints/run_date=DATE/model=NAME/  training checkpoints
 * OUTPUT/_latest/model=NAME                     the newest committed run date
 * </pre>
 *
 * Spark, Hive and DuckDB readers skip the folders whose names start with an underscore.
 */
public record RunLayout(String outputDir, LocalDate runDate, String model)
    implements Serializable {

  public RunLayout(String outputDir, LocalDate runDate, String model) {
    this.outputDir = stripSlash(outputDir);
    this.runDate = runDate;
    this.model = model;
  }

  /** Where the run these settings describe keeps its files. */
  public static RunLayout of(PipelineSettings settings) {
    return new RunLayout(settings.outputDir(), settings.runDate(), settings.modelName());
  }

  private String partition() {
    return "run_date=" + runDate + "/model=" + model;
  }

  /** The published run folder. */
  public String runDir() {
    return outputDir + "/" + partition();
  }

  /** The tables of the committed run, as readers see them. */
  public Tables published() {
    return new Tables(runDir());
  }

  /** The same tables while the stages write them, before the export stage commits them. */
  public Tables staged() {
    return new Tables(work() + "/publish");
  }

  /** Where the previous version of the run folder waits while a rerun replaces it. */
  public String replaced() {
    return work() + "/replaced";
  }

  /** A small file holding the newest committed run date of this model. */
  public String latest() {
    return outputDir + "/_latest/model=" + model;
  }

  // Hand-over between stages.
  public String work() {
    return outputDir + "/_work/" + partition();
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

  /**
   * The validation ratings with the stored model's predictions (user_index, item_index, rating,
   * prediction), scored once by the evaluate stage for itself and the report.
   */
  public String scoredValidation() {
    return work() + "/scored_validation";
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

  /** The dl4j engine's network (DL4J ModelSerializer zip); absent for the sparse engine. */
  public String network() {
    return work() + "/model/network.zip";
  }

  /** The top-N model's user rows (ModelStore's table), when the run trained it. */
  public String rankingUsers() {
    return work() + "/ranking/users";
  }

  public String rankingItems() {
    return work() + "/ranking/items";
  }

  public String rankingJson() {
    return work() + "/ranking/model.json";
  }

  /** The gibbs engine's last chain state ({@link Tables#chainState}); absent for the others. */
  public String chainState() {
    return work() + "/model/gibbs-chain.bin";
  }

  /** Training checkpoints: outside _work, which a rerun of ingest clears. */
  public String checkpoints() {
    return outputDir + "/_checkpoints/" + partition();
  }

  /** The small JSON report a stage leaves for the stages after it and for the metadata. */
  public String report(String stage) {
    return work() + "/reports/" + stage + ".json";
  }

  /** The tables and files of a run folder, published or staged. */
  public record Tables(String dir) implements Serializable {
    public String userFactors() {
      return dir + "/user_factors";
    }

    public String itemFactors() {
      return dir + "/item_factors";
    }

    public String rejects() {
      return dir + "/rejects";
    }

    public String userIds() {
      return dir + "/ids/users";
    }

    public String itemIds() {
      return dir + "/ids/items";
    }

    public String metadataJson() {
      return dir + "/metadata.json";
    }

    public String metricsJson() {
      return dir + "/metrics.json";
    }

    /** The metrics as a one-row Parquet table, for dashboards reading many runs at once. */
    public String metrics() {
      return dir + "/metrics";
    }

    /** The model's shape and head (model.json) and, for the neural model, its DL4J file. */
    public String model() {
      return dir + "/model";
    }

    /**
     * The top-N model's tables and model.json ({@code ranking/}), as the rating model's, when
     * the run trained it: {@code recommend} lists from them.
     */
    public String ranking() {
      return dir + "/ranking";
    }

    public String rankingUserFactors() {
      return ranking() + "/user_factors";
    }

    public String rankingItemFactors() {
      return ranking() + "/item_factors";
    }

    public String rankingModel() {
      return ranking() + "/model.json";
    }

    /** The dl4j engine's network, loadable with DL4J's ModelSerializer. */
    public String network() {
      return model() + "/network.zip";
    }

    /**
     * The gibbs engine's last chain state: every parameter, hyperparameter and noise scale of the
     * chain's last sweep, by index, from which a warm start's chain continues.
     */
    public String chainState() {
      return model() + "/gibbs-chain.bin";
    }

    /** The analyze stage's report.html and the PNG and CSV files it shows. */
    public String report() {
      return dir + "/report";
    }

    /** Written last, after the folder is in place. */
    public String success() {
      return dir + "/_SUCCESS";
    }
  }

  private static String stripSlash(String path) {
    return path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path;
  }
}
