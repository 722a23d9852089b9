package org.cfpipe.io;

import java.util.List;
import java.util.Map;
import org.cfpipe.eval.EvaluationReport;
import org.cfpipe.eval.ImplicitAlsPeer;
import org.cfpipe.train.EpochStats;

/**
 * The contents of {@code metrics.json}: one run's model, data counts, accuracy and timings, in
 * snake_case keys for dashboards and analysts. The {@code metrics} Parquet table holds the same
 * numbers, one row a run, without the history and the per-reason and per-stage maps.
 *
 * @param modelName the run's folder name ({@code cfpipe.output.model-name})
 * @param modelType dot, dot-bias or neural
 * @param filteredRows accepted ratings left out by the minimum counts of users and items
 * @param validRowsDropped validation rows whose user or item had no training rating
 * @param rankingUsers validation users with a relevant item, over whom {@code ranking} is
 * @param ranking precision, recall, NDCG and MAP at k by column name (precision_at_10, ...)
 * @param rankingSample how the ranking users were chosen (all, or a seeded sample) and the
 *     standard error of precision at k; null without ranking metrics
 * @param bestEpoch the epoch whose parameters were published (early stopping keeps the best)
 * @param stageSeconds wall time of each stage, by stage name
 */
public record RunMetrics(
    String runDate,
    String modelName,
    String modelType,
    int factors,
    long inputRows,
    long rejectedRows,
    Map<String, Long> rejectedByReason,
    long users,
    long items,
    long filteredRows,
    long filteredUsers,
    long filteredItems,
    long trainRows,
    long validRows,
    long validRowsDropped,
    String splitMode,
    double validRmse,
    double validMae,
    long rankingUsers,
    Map<String, Double> ranking,
    EvaluationReport.RankingSample rankingSample,
    ImplicitAlsPeer.Choice implicitAls,
    int epochs,
    int bestEpoch,
    double trainSeconds,
    List<EpochStats> history,
    Map<String, Double> stageSeconds) {}
