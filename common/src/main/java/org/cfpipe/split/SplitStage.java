package org.cfpipe.split;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.round;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.cfpipe.config.IngestSettings;
import org.cfpipe.config.RatingScale;
import org.cfpipe.config.SplitSettings;
import org.cfpipe.ids.EncodeStage;
import org.cfpipe.ingest.InputException;
import org.cfpipe.spark.HadoopFiles;
import org.cfpipe.spark.RunLayout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The split stage: an explicit validation file, or a seeded random, time-cutoff or last-N split.
 * The random split hashes (user id, item id, seed) with xxhash64, so a rating falls on the same
 * side whatever the partitioning or the order of the input, and reruns agree.
 */
public final class SplitStage {
  private static final Logger LOG = LoggerFactory.getLogger(SplitStage.class);
  public static final String NAME = "split";
  static final long BUCKETS = 1_000_000L;

  private SplitStage() {}

  public static SplitReport run(SparkSession spark, SplitSettings settings, RunLayout layout,
      boolean explicitValidation) {
    return run(spark, settings, layout, explicitValidation, null);
  }

  /**
   * @param bounds the scale's bounds as the user set them (cfpipe.ingest.rating-min/max);
   *     null, or infinite bounds, take them from the training ratings
   */
  public static SplitReport run(SparkSession spark, SplitSettings settings, RunLayout layout,
      boolean explicitValidation, IngestSettings bounds) {
    long start = System.nanoTime();
    HadoopFiles files = HadoopFiles.of(spark);
    Dataset<Row> encoded = spark.read().parquet(layout.encodedRatings());
    Dataset<Row> train;
    Dataset<Row> candidates;
    if (explicitValidation) {
      train = encoded;
      candidates = spark.read().parquet(layout.encodedValidation());
    } else {
      Dataset<Row> marked = encoded.withColumn("held_out", heldOut(settings));
      train = marked.filter(col("held_out").unary_$bang()).drop("held_out");
      candidates = marked.filter(col("held_out")).drop("held_out");
    }
    files.commitParquet(train.select(EncodeStage.USER_INDEX, EncodeStage.ITEM_INDEX, "rating"),
        layout.train());
    train = spark.read().parquet(layout.train());
    Dataset<Row> valid = keepSeenInTrain(candidates, train);
    files.commitParquet(valid.select(EncodeStage.USER_INDEX, EncodeStage.ITEM_INDEX, "rating",
        EncodeStage.USER_ID, EncodeStage.ITEM_ID), layout.validation());

    long trainRows = train.count();
    long validRows = spark.read().parquet(layout.validation()).count();
    long candidateRows = candidates.count();
    RatingScale scale = scaleOf(train, bounds);
    LOG.info("split: the training ratings' scale is {}", scale);
    SplitReport report = new SplitReport(explicitValidation ? "explicit"
        : settings.mode().spelling(), trainRows,
        validRows, candidateRows - validRows, scale, (System.nanoTime() - start) / 1e9);
    files.writeJson(layout.report(NAME), report);
    LOG.info("split ({}): {} train, {} validation, {} validation rows dropped (user or item "
        + "unseen in train) in {} s", report.mode(), trainRows, validRows,
        report.validRowsDropped(), String.format(Locale.ROOT, "%.1f", report.seconds()));
    return report;
  }

  /** True for the ratings the split holds out for validation. */
  static Column heldOut(SplitSettings settings) {
    return switch (settings.mode()) {
      case RANDOM -> pmod(xxhash64(col(EncodeStage.USER_ID), col(EncodeStage.ITEM_ID),
          lit(settings.seed())), lit(BUCKETS))
          .lt(lit(Math.round(settings.validationFraction() * BUCKETS)));
      case TIME_CUTOFF -> col("timestamp").geq(lit(settings.cutoffSeconds()));
      case LAST_N -> {
        WindowSpec user = Window.partitionBy(col(EncodeStage.USER_INDEX));
        yield row_number().over(user.orderBy(col("timestamp").desc(),
            col(EncodeStage.ITEM_ID).desc())).leq(settings.lastN())
            .and(count(lit(1)).over(user).gt(settings.lastN()));
      }
    };
  }

  /** Validation rows whose user and item both have at least one training rating. */
  /**
   * The scale of the ratings: their observed bounds (or the user's, where set) and the coarsest
   * of {@link RatingScale#STEPS} that every rating is a multiple of (0 for none), in one pass.
   */
  public static RatingScale scaleOf(Dataset<Row> ratings, IngestSettings bounds) {
    Column r = col("rating");
    List<Column> aggs = new ArrayList<>(List.of(min(r), max(r)));
    for (double step : RatingScale.STEPS) {
      Column q = r.divide(step);
      aggs.add(sum(when(abs(q.minus(round(q))).gt(1e-6), 1).otherwise(0)));
    }
    Row row = ratings.agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(Column[]::new))
        .first();
    if (row.isNullAt(0)) {
      throw new InputException("no training ratings: nothing to learn a scale or a model from");
    }
    double step = 0;
    for (int s = 0; s < RatingScale.STEPS.length; s++) {
      if (row.getLong(2 + s) == 0) {
        step = RatingScale.STEPS[s];
        break;
      }
    }
    double lo = bounds != null && Double.isFinite(bounds.ratingMin()) ? bounds.ratingMin()
        : row.getDouble(0);
    double hi = bounds != null && Double.isFinite(bounds.ratingMax()) ? bounds.ratingMax()
        : row.getDouble(1);
    return new RatingScale(lo, hi, step);
  }

  static Dataset<Row> keepSeenInTrain(Dataset<Row> candidates, Dataset<Row> train) {
    Dataset<Row> trainUsers = train.select(EncodeStage.USER_INDEX).distinct();
    Dataset<Row> trainItems = train.select(EncodeStage.ITEM_INDEX).distinct();
    return candidates
        .filter(col(EncodeStage.USER_INDEX).isNotNull().and(col(EncodeStage.ITEM_INDEX).isNotNull()))
        .join(trainUsers, candidates.col(EncodeStage.USER_INDEX).equalTo(
            trainUsers.col(EncodeStage.USER_INDEX)), "left_semi")
        .join(trainItems, candidates.col(EncodeStage.ITEM_INDEX).equalTo(
            trainItems.col(EncodeStage.ITEM_INDEX)), "left_semi");
  }
}
