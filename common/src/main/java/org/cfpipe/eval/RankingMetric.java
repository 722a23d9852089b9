package org.cfpipe.eval;

import java.util.Locale;
import org.apache.spark.mllib.evaluation.RankingMetrics;

/**
 * The ranking metrics reported beside RMSE, each a named column ({@code precision_at_10}, ...),
 * computed by Spark MLlib's {@link RankingMetrics} over the users with a relevant validation item
 * (binary relevance).
 */
public enum RankingMetric {
  /** Relevant items in the top k, over k. */
  PRECISION("precision_at_%d") {
    @Override
    double of(RankingMetrics<Integer> m, int k) {
      return m.precisionAt(k);
    }
  },
  /** Relevant items in the top k, over the user's relevant items. */
  RECALL("recall_at_%d") {
    @Override
    double of(RankingMetrics<Integer> m, int k) {
      return m.recallAt(k);
    }
  },
  /** Discounted cumulative gain of the top k over the best possible. */
  NDCG("ndcg_at_%d") {
    @Override
    double of(RankingMetrics<Integer> m, int k) {
      return m.ndcgAt(k);
    }
  },
  /** Mean of the precision at each relevant item's rank in the top k. */
  MAP("map_at_%d") {
    @Override
    double of(RankingMetrics<Integer> m, int k) {
      return m.meanAveragePrecisionAt(k);
    }
  };

  private final String column;

  RankingMetric(String column) {
    this.column = column;
  }

  public String column(int k) {
    return String.format(Locale.ROOT, column, k);
  }

  abstract double of(RankingMetrics<Integer> metrics, int k);
}
