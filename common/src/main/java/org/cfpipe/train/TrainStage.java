package org.cfpipe.train;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cfpipe.config.EvalSettings;
import org.cfpipe.config.ModelSettings;
import org.cfpipe.config.RankingSettings;
import org.cfpipe.config.RatingScale;
import org.cfpipe.config.TrainSettings;
import org.cfpipe.ids.EncodeReport;
import org.cfpipe.ids.EncodeStage;
import org.cfpipe.model.FactorModel;
import org.cfpipe.model.ModelInfo;
import org.cfpipe.model.ModelStore;
import org.cfpipe.spark.HadoopFiles;
import org.cfpipe.spark.RunLayout;
import org.cfpipe.split.SplitReport;
import org.cfpipe.split.SplitStage;
import org.cfpipe.train.dl4j.Dl4jTrainer;
import org.cfpipe.train.gibbs.DistributedChains;
import org.cfpipe.train.gibbs.GibbsSampler;
import org.cfpipe.train.gibbs.PartitionedChain;
import org.cfpipe.train.implicit.ImplicitAls;
import org.cfpipe.train.implicit.ImplicitTuning;
import org.cfpipe.train.sparse.DistributedTrainer;
import org.cfpipe.train.sparse.SparseTrainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The train stage: settles the engine and the y-range for the training ratings
 * ({@link EngineChoice}), then trains on them with the sparse, dl4j or gibbs engine, in the
 * driver JVM (the ratings loaded into arrays) or on the executors ({@link DistributedTrainer},
 * DL4J-Spark, {@link DistributedChains}), and stores the model as parameter tables and
 * {@code model.json}; then, in the driver JVM, the top-N model ({@link ImplicitAls}) for the
 * ranked lists, stored alike under {@code ranking/}.
 */
public final class TrainStage {
  private static final Logger LOG = LoggerFactory.getLogger(TrainStage.class);
  public static final String NAME = "train";

  private TrainStage() {}

  /** The rating model alone, without the top-N model. */
  public static TrainReport run(SparkSession spark, ModelSettings modelSettings,
      TrainSettings trainSettings, RunLayout layout) {
    return run(spark, modelSettings, trainSettings, null, EvalSettings.DEFAULT, layout);
  }

  /**
   * @param ranking the top-N model's settings; null (or not enabled) trains none
   * @param eval the ranking metrics' settings, whose relevance threshold the top-N model's
   *     tuning takes
   */
  public static TrainReport run(SparkSession spark, ModelSettings modelSettings,
      TrainSettings trainSettings, RankingSettings ranking, EvalSettings eval,
      RunLayout layout) {
    long start = System.nanoTime();
    HadoopFiles files = HadoopFiles.of(spark);
    EncodeReport ids = files.readJson(layout.report(EncodeStage.NAME), EncodeReport.class);
    int users = Math.toIntExact(ids.users());
    int items = Math.toIntExact(ids.items());
    SplitReport split = files.readJson(layout.report(SplitStage.NAME), SplitReport.class);
    EngineChoice choice = EngineChoice.of(modelSettings, trainSettings, split.scale(),
        split.trainRows(), (long) ids.users() + ids.items(),
        Runtime.getRuntime().availableProcessors());
    ModelSettings model = choice.model();
    TrainSettings chosen = choice.train();
    WarmStart warm = WarmStart.of(spark, files, layout, ids, model, chosen);
    TrainSettings train = warm.warm() ? chosen.warm() : chosen;
    LOG.info("train: {}", warm.warm() ? String.format(Locale.ROOT, "warm start from %s (%s; "
        + "%d users, %d items known): %s", warm.report().from(), warm.report().reason(),
        warm.report().users(), warm.report().items(), train.engine() == TrainSettings.Engine.GIBBS
            ? train.gibbs().sweeps() + " sweeps after " + train.gibbs().burnIn() + " of burn-in"
            : train.epochs() + " epochs") : "from scratch: " + warm.report().reason());
    LOG.info("train: engine {} ({}); ratings on {}, y-range {}", train.engine().spelling(),
        choice.reason(), split.scale(), model.yRange().map(r -> "(" + r.min() + ", " + r.max()
            + ")").orElse("off"));
    Dataset<Row> trainTable = spark.read().parquet(layout.train());
    Dataset<Row> validTable = spark.read().parquet(layout.validation());
    TrainResult<?> result;
    long trainRows;
    long validRows;
    TrainingSet collected = null;
    LOG.info("train: {} users x {} items, model {}, engine {}, {}", users, items,
        model.type().spelling(), train.engine().spelling(), train.distributed().workers() > 0
            ? train.distributed().workers() + " workers on the executors" : "in the driver JVM");
    HadoopCheckpoints checkpoints = new HadoopCheckpoints(files, layout.checkpoints());
    if (!train.resume()) {
      checkpoints.clear();
    }
    if (train.distributed().workers() > 0) {
      result = switch (train.engine()) {
        case DL4J -> new Dl4jTrainer(model, train).train(spark, trainTable, validTable, users,
            items);
        case GIBBS -> train.distributed().gibbs() == TrainSettings.GibbsSpread.SWEEPS
            ? new PartitionedChain(model, train).train(spark, trainTable, validTable, users,
                items, layout.checkpoints(), train.resume(), warm)
            : new DistributedChains(model, train).train(spark, trainTable, validTable, users,
                items, layout.checkpoints(), train.resume(), warm);
        case SPARSE -> new DistributedTrainer(model, train).train(spark, trainTable, validTable,
            users, items, layout.checkpoints(), train.resume(), warm);
      };
      trainRows = trainTable.count();
      validRows = validTable.count();
    } else {
      TrainingSet ratings = TrainingSet.collect(trainTable);
      TrainingSet validation = TrainingSet.collect(validTable);
      LOG.info("train: {} ratings, {} validation", ratings.size(), validation.size());
      result = switch (train.engine()) {
        case DL4J -> new Dl4jTrainer(model, train).train(ratings, validation, users, items,
            checkpoints, train.resume());
        case GIBBS -> new GibbsSampler(model, train).train(ratings, validation, users, items,
            checkpoints, train.resume(), warm);
        case SPARSE -> new SparseTrainer(model, train).train(ratings, validation, users, items,
            checkpoints, train.resume(), warm);
      };
      trainRows = ratings.size();
      validRows = validation.size();
      collected = ratings;
    }
    RankingReport rankingReport = ranking(spark, files, layout, ranking, collected,
        split.scale(), eval.relevantRating(split.scale()), users, items, ids.extended());

    files.commitParquet(ModelStore.userTable(spark, result.model()), layout.modelUsers());
    files.commitParquet(ModelStore.itemTable(spark, result.model()), layout.modelItems());
    files.writeJson(layout.modelJson(), ModelInfo.of(model.type().spelling(), result.model()));
    writeOrDelete(files, layout.network(), result.network());
    writeOrDelete(files, layout.chainState(), result.chainState());
    EpochStats best = result.best();
    TrainReport report = new TrainReport(model.type().spelling(), model.factors(),
        result.model().users(), result.model().items(), trainRows, validRows,
        result.history().size(), result.bestEpoch(), result.seconds(), best.trainLoss(),
        best.validRmse(), result.history(), new TrainReport.Choice(train.engine().spelling(),
            choice.reason(), choice.gibbsEstimateSeconds(), split.scale(), warm.report()),
        (System.nanoTime() - start) / 1e9);
    files.writeJson(layout.report(NAME), report);
    LOG.info(String.format(Locale.ROOT, "train: %d epochs in %.1f s, kept epoch %d, "
        + "valid_rmse %.4f", report.epochs(), report.trainSeconds(), report.bestEpoch(),
        report.finalValidRmse()));
    return report;
  }

  /**
   * Trains and stores the top-N model ({@link ImplicitAls}) on the collected training ratings,
   * its settings chosen on their holdout ({@link ImplicitTuning}) unless
   * {@code cfpipe.ranking.tune} is false, or says why not; the report goes to
   * {@code reports/ranking.json} either way, and a stale model of an earlier attempt is
   * removed.
   */
  private static RankingReport ranking(SparkSession spark, HadoopFiles files, RunLayout layout,
      RankingSettings settings, TrainingSet ratings, RatingScale scale, double relevantRating,
      int users, int items, String extended) {
    files.delete(layout.rankingUsers());
    files.delete(layout.rankingItems());
    files.delete(layout.rankingJson());
    RankingReport report;
    if (settings == null || !settings.enabled()) {
      report = RankingReport.none("cfpipe.ranking.enabled = false");
    } else if (ratings == null) {
      report = RankingReport.none("the top-N model does not train on the executors yet "
          + "(cfpipe.train.distributed.workers > 0)");
      LOG.warn("train: {}; recommend lists from the rating model", report.reason());
    } else {
      long start = System.nanoTime();
      boolean tune = !settings.mostRated() && settings.tune();
      Reuse reuse = tune ? Reuse.of(files, extended, settings, layout.runDate()) : null;
      if (reuse != null) {
        LOG.info("train: top-N tuning skipped: {}", reuse.reason());
      }
      ImplicitTuning.Result tuning = tune && reuse == null
          ? new ImplicitTuning(settings, scale, relevantRating).choose(ratings, users, items)
          : null;
      RankingSettings chosen = reuse != null ? reuse.settings()
          : tuning != null ? tuning.settings(settings) : settings;
      boolean mostRated = settings.mostRated() || tuning != null && tuning.mostRated()
          || reuse != null && reuse.mostRated();
      FactorModel model = ImplicitTuning.train(chosen, mostRated, scale, ratings, users, items);
      String type = mostRated ? ImplicitTuning.MOST_RATED : ImplicitTuning.IMPLICIT;
      files.commitParquet(ModelStore.userTable(spark, model), layout.rankingUsers());
      files.commitParquet(ModelStore.itemTable(spark, model), layout.rankingItems());
      files.writeJson(layout.rankingJson(), ModelInfo.of(type, model));
      double seconds = (System.nanoTime() - start) / 1e9;
      String reason = settings.mostRated() ? "cfpipe.ranking.model = most-rated"
          : reuse != null ? reuse.reason()
          : tuning == null ? "cfpipe.ranking.tune = false: the settings as given"
          : String.format(Locale.ROOT, "chosen on a holdout of the training ratings%s: "
              + "held-out NDCG@%d %.4f, the best of %d candidates",
              tuning.sampleUsers() < tuning.ratedUsers() ? String.format(Locale.ROOT,
                  " of a seeded sample of %d of the %d users (cfpipe.ranking."
                  + "tuning-max-ratings %d)", tuning.sampleUsers(), tuning.ratedUsers(),
                  settings.tuningMaxRatings()) : "",
              ImplicitTuning.K, tuning.chosen().ndcg(), tuning.tried().size());
      String tunedOn = reuse != null ? reuse.tunedOn()
          : tuning != null ? layout.runDate().toString() : null;
      String reusedFrom = reuse != null ? extended : null;
      report = mostRated
          ? new RankingReport(true, reason, type, 1, 0, 0, null, 0, null, seconds, "ranking",
              tuning, tunedOn, reusedFrom)
          : new RankingReport(true, reason, type, chosen.factors(), chosen.iterations(),
              chosen.regularization(), chosen.weightingName(), chosen.alpha(),
              chosen.preferenceName(), seconds, "ranking", tuning, tunedOn, reusedFrom);
      LOG.info(String.format(Locale.ROOT, "train: top-N model (%s; %s) in %.1f s; recommend "
          + "lists from it", mostRated ? "the most-rated items"
              : chosen.describe() + ", " + chosen.preferenceName() + " preferences", reason,
          seconds));
    }
    files.writeJson(layout.report(RANKING), report);
    return report;
  }

  /**
   * An earlier night's tuned top-N choice, reused tonight ({@code
   * cfpipe.ranking.reuse-tuning-days}): the run whose id maps tonight's extend, when its top-N
   * model was chosen by a tuning at most that many days before tonight.
   *
   * @param settings tonight's settings with the reused factors, regularization, weighting and
   *     alpha
   * @param mostRated the choice was the most-rated items
   * @param tunedOn the run date of the tuning
   */
  record Reuse(RankingSettings settings, boolean mostRated, String tunedOn, String reason) {

    /** The choice to reuse, or null when tonight tunes (and why is logged). */
    static Reuse of(HadoopFiles files, String extended, RankingSettings settings,
        java.time.LocalDate tonight) {
      if (settings.reuseTuningDays() <= 0 || extended == null) {
        return null;
      }
      String metadata = new RunLayout.Tables(extended).metadataJson();
      JsonNode ranking;
      try {
        ranking = HadoopFiles.json().readTree(files.readString(metadata)).path("ranking");
      } catch (java.io.IOException | RuntimeException e) {
        LOG.info("train: the top-N model is tuned: {} is unreadable ({})", metadata,
            e.getMessage());
        return null;
      }
      JsonNode tunedOn = ranking.path("tuned_on");
      if (!ranking.path("trained").asBoolean() || !tunedOn.isTextual()) {
        LOG.info("train: the top-N model is tuned: the run whose id maps were extended ({}) did "
            + "not tune one", extended);
        return null;
      }
      long days = java.time.temporal.ChronoUnit.DAYS.between(
          java.time.LocalDate.parse(tunedOn.asText()), tonight);
      if (days < 0 || days > settings.reuseTuningDays()) {
        LOG.info("train: the top-N model is tuned: the last tuning, on {}, is {} days before "
            + "tonight, beyond cfpipe.ranking.reuse-tuning-days ({})", tunedOn.asText(), days,
            settings.reuseTuningDays());
        return null;
      }
      boolean mostRated = ImplicitTuning.MOST_RATED.equals(ranking.path("model").asText());
      RankingSettings reused = mostRated ? settings : settings.with(
          ranking.path("factors").asInt(), ranking.path("regularization").asDouble(),
          ranking.path("weighting").asText(), ranking.path("alpha").asDouble());
      String choice = mostRated ? "the most-rated items" : reused.describe();
      return new Reuse(reused, mostRated, tunedOn.asText(), String.format(Locale.ROOT,
          "reused the choice tuned on %s (%d days before tonight, within cfpipe.ranking."
              + "reuse-tuning-days %d), from %s: %s", tunedOn.asText(), days,
          settings.reuseTuningDays(), extended, choice));
    }
  }

  /** The top-N model's report, {@code reports/ranking.json}. */
  public static final String RANKING = "ranking";

  private static void writeOrDelete(HadoopFiles files, String path, byte[] bytes) {
    if (bytes != null) {
      files.writeAtomically(path, out -> out.write(bytes));
    } else {
      files.delete(path);
    }
  }
}
