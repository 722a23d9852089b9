package org.cfpipe.eval;

import java.util.Map;

/**
 * Accuracy on the validation ratings, computed by Spark from the stored model.
 *
 * @param rankingUsers the users the ranking metrics are over: the validation users with a
 *     relevant item, or a seeded sample of them ({@code sample})
 * @param ranking precision, recall, NDCG and MAP at k, by column name; empty with k = 0
 * @param sample how the ranking users were chosen; null without ranking metrics
 * @param implicitAls the peer's grid search and choice (cfpipe.eval.implicit-als); null when
 *     not asked
 */
public record EvaluationReport(long validRows, double validRmse, double validMae,
    long rankingUsers, Map<String, Double> ranking, RankingSample sample,
    ImplicitAlsPeer.Choice implicitAls, double seconds) {

  /**
   * @param eligibleUsers the validation users with a relevant item
   * @param users how many of them the metrics are over: all, or a sample of this size
   * @param seed the sample's seed
   * @param precisionStandardError the standard error of precision at k over the users, with
   *     the finite-population correction (0 when they are all eligible users)
   */
  public record RankingSample(long eligibleUsers, long users, long seed,
      double precisionStandardError) {}
}
