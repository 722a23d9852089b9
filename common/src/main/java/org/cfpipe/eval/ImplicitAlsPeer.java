package org.cfpipe.eval;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.xxhash64;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.recommendation.ALS;
import org.apache.spark.ml.recommendation.ALSModel;
import org.apache.spark.mllib.evaluation.RankingMetrics;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.storage.StorageLevel;
import org.cfpipe.config.EvalSettings;
import org.cfpipe.ids.EncodeStage;
import org.cfpipe.model.ModelInfo;
import org.cfpipe.model.ModelStore;
import org.cfpipe.spark.Joins;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * The top-N model's peer: implicit-feedback Spark MLlib ALS ({@code implicitPrefs}, the raw
 * rating as its strength, as a user of Spark would fit it), its grid ({@code
 * cfpipe.eval.implicit-als}) searched on the training ratings alone. A fifth of them, by a hash
 * of (user, item, the ranking seed), are held out; every grid point is fitted on the rest and
 * lists, for the held-out users with a relevant rating (sampled as the evaluate stage samples),
 * their top k of the items with fitted ratings, their fitted items left out, scored by MLlib's
 * NDCG at the first cutoff. The best point is refitted on all training ratings.
 */
public final class ImplicitAlsPeer {
  private static final Logger LOG = LoggerFactory.getLogger(ImplicitAlsPeer.class);
  /** The peer's type in its ModelInfo. */
  static final String TYPE = "implicit-als";

  private ImplicitAlsPeer() {}

  /** One grid point and its held-out NDCG at the first cutoff. */
  public record Point(int rank, double regParam, double alpha, double ndcg) {}

  /**
   * The search: the chosen point, every point tried, and the time the search and the refit took.
   */
  public record Choice(Point chosen, List<Point> tried, double seconds) {}

  /** The refitted peer as ModelStore's tables, and its choice. */
  record Fitted(Choice choice, ModelInfo info, Dataset<Row> users, Dataset<Row> items) {}

  static Fitted fit(Dataset<Row> train, EvalSettings eval, double relevantRating, int users,
      int items) {
    long start = System.nanoTime();
    EvalSettings.ImplicitAls grid = eval.implicitAls();
    Column fold = pmod(xxhash64(col(EncodeStage.USER_INDEX), col(EncodeStage.ITEM_INDEX),
        lit(eval.rankingSeed())), lit(5));
    Dataset<Row> fit = train.filter(fold.notEqual(0)).persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> eligible = train.filter(fold.equalTo(0))
        .filter(col("rating").geq(relevantRating))
        .groupBy(EncodeStage.USER_INDEX)
        .agg(collect_list(EncodeStage.ITEM_INDEX).as("relevant"));
    Dataset<Row> relevant = (eval.rankingUsers() > 0 ? eligible.orderBy(
        xxhash64(lit(eval.rankingSeed()), col(EncodeStage.USER_INDEX)),
        col(EncodeStage.USER_INDEX)).limit(eval.rankingUsers()) : eligible)
        .persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> rated = fit.join(relevant.select(EncodeStage.USER_INDEX),
            Joins.using(EncodeStage.USER_INDEX), "left_semi")
        .groupBy(EncodeStage.USER_INDEX)
        .agg(collect_list(EncodeStage.ITEM_INDEX).as("exclude"))
        .persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> counts = fit.groupBy(EncodeStage.ITEM_INDEX).agg(count(lit(1)).as("n"))
        .persist(StorageLevel.MEMORY_AND_DISK());
    int k = eval.k().get(0);
    List<Point> tried = new ArrayList<>();
    Point best = null;
    try {
      for (int rank : grid.ranks()) {
        for (double regParam : grid.regParams()) {
          for (double alpha : grid.alphas()) {
            ALSModel model = als(rank, regParam, alpha, grid.iterations()).fit(fit);
            JavaRDD<Tuple2<List<Integer>, List<Integer>>> lists = EvaluateStage.lists(
                info(rank, users, items), table(model.userFactors()),
                table(model.itemFactors()), relevant, rated, counts, k);
            Point point = new Point(rank, regParam, alpha,
                RankingMetrics.of(lists).ndcgAt(k));
            lists.unpersist();
            tried.add(point);
            LOG.info(String.format(Locale.ROOT, "evaluate: implicit Spark ALS rank %d, regParam "
                + "%s, alpha %s: held-out NDCG@%d %.4f", rank, regParam, alpha, k,
                point.ndcg()));
            if (best == null || point.ndcg() > best.ndcg()) {
              best = point;
            }
          }
        }
      }
    } finally {
      fit.unpersist();
      relevant.unpersist();
      rated.unpersist();
      counts.unpersist();
    }
    ALSModel model = als(best.rank(), best.regParam(), best.alpha(), grid.iterations())
        .fit(train);
    Choice choice = new Choice(best, List.copyOf(tried), (System.nanoTime() - start) / 1e9);
    LOG.info(String.format(Locale.ROOT, "evaluate: implicit Spark ALS chose rank %d, regParam "
        + "%s, alpha %s of %d grid points on the training ratings' holdout (NDCG@%d %.4f), "
        + "in %.1f s", best.rank(), best.regParam(), best.alpha(), tried.size(), k, best.ndcg(),
        choice.seconds()));
    return new Fitted(choice, info(best.rank(), users, items), table(model.userFactors()),
        table(model.itemFactors()));
  }

  private static ALS als(int rank, double regParam, double alpha, int iterations) {
    return new ALS().setImplicitPrefs(true).setRank(rank).setRegParam(regParam)
        .setAlpha(alpha).setMaxIter(iterations).setSeed(42)
        .setUserCol(EncodeStage.USER_INDEX).setItemCol(EncodeStage.ITEM_INDEX)
        .setRatingCol("rating");
  }

  /** A dot product of the factors: no biases, no offset, no y-range. */
  private static ModelInfo info(int rank, int users, int items) {
    return new ModelInfo(TYPE, rank, false, 0.0, users, items, null, null, null);
  }

  /** ALS's (id, features) as ModelStore's (index, bias, factors). */
  private static Dataset<Row> table(Dataset<Row> factors) {
    return factors.select(col("id").as(ModelStore.INDEX),
        lit(null).cast(DataTypes.FloatType).as(ModelStore.BIAS),
        col("features").as(ModelStore.FACTORS));
  }
}
