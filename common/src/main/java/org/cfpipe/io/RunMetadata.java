package org.cfpipe.io;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.cfpipe.eval.EvaluationReport;
import org.cfpipe.eval.ImplicitAlsPeer;
import org.cfpipe.model.ModelInfo;
import org.cfpipe.train.EpochStats;
import org.cfpipe.train.RankingReport;
import org.cfpipe.train.TrainReport;

/**
 * The contents of a run's {@code metadata.json}: everything needed to read, trust and reproduce
 * its tables. Spark ALS's model writer stores the rank and the id columns beside the factor
 * tables; this adds what a nightly pipeline's reader also asks: which data, which settings,
 * which code, how good, how long.
 *
 * @param formatVersion the version of this layout; readers should check it
 * @param writtenAt when the export stage wrote the run, UTC, ISO-8601
 * @param model the model's type and shape: factors, biases, the global offset, y-range, users,
 *     items and, for the neural model, its head
 * @param choice what the train stage settled on seeing the data: the engine (and why), the
 *     ratings' scale
 * @param ranking the top-N model (cfpipe.ranking): whether the run trained it and how, and which
 *     model {@code recommend} lists from ({@code recommend_from}: ranking or rating)
 * @param settings every resolved setting, with credentials redacted
 */
public record RunMetadata(
    int formatVersion,
    String runDate,
    String modelName,
    String writtenAt,
    BuildInfo code,
    ModelInfo model,
    Data data,
    Accuracy metrics,
    Map<String, Double> stageSeconds,
    TrainReport.Choice choice,
    RankingReport ranking,
    JsonNode settings) {

  public static final int FORMAT_VERSION = 1;

  /**
   * Row counts through the pipeline.
   *
   * @param filteredRows accepted ratings left out by the minimum counts of users and items
   * @param validRowsDropped validation rows whose user or item had no training rating
   * @param trainMean the mean training rating: what predict falls back on for unknown ids
   */
  public record Data(
      long inputRows,
      long rejectedRows,
      Map<String, Long> rejectedByReason,
      long filteredRows,
      long filteredUsers,
      long filteredItems,
      long users,
      long items,
      String splitMode,
      long trainRows,
      long validRows,
      long validRowsDropped,
      double trainMean) {}

  /**
   * Validation accuracy and training's course.
   *
   * @param implicitAls the peer's grid search on the training ratings and its choice
   *     (cfpipe.eval.implicit-als); null when not asked
   * @param bestEpoch the epoch whose parameters were published (early stopping keeps the best)
   */
  public record Accuracy(
      double validRmse,
      double validMae,
      long rankingUsers,
      Map<String, Double> ranking,
      EvaluationReport.RankingSample rankingSample,
      ImplicitAlsPeer.Choice implicitAls,
      int epochs,
      int bestEpoch,
      double trainSeconds,
      List<EpochStats> history) {}

  static RunMetadata of(RunMetrics m, String modelName, String writtenAt, ModelInfo model,
      double trainMean, TrainReport.Choice choice, RankingReport ranking, JsonNode settings) {
    return new RunMetadata(FORMAT_VERSION, m.runDate(), modelName, writtenAt,
        BuildInfo.current(), model,
        new Data(m.inputRows(), m.rejectedRows(), m.rejectedByReason(), m.filteredRows(),
            m.filteredUsers(), m.filteredItems(), m.users(), m.items(), m.splitMode(),
            m.trainRows(), m.validRows(), m.validRowsDropped(), trainMean),
        new Accuracy(m.validRmse(), m.validMae(), m.rankingUsers(), m.ranking(),
            m.rankingSample(), m.implicitAls(), m.epochs(), m.bestEpoch(), m.trainSeconds(),
            m.history()),
        m.stageSeconds(), choice, ranking, settings);
  }
}
