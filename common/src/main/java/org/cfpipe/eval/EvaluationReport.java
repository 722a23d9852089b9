package org.cfpipe.eval;

/** Accuracy on the validation ratings, computed by Spark from the stored model. */
/**
 * @param rankingUsers validation users with a relevant item, over whom the ranking metrics are
 * @param ranking precision, recall, NDCG and MAP at k, by column name; empty with k = 0
 */
public record EvaluationReport(long validRows, double validRmse, double validMae,
    long rankingUsers, java.util.Map<String, Double> ranking, double seconds) {}
