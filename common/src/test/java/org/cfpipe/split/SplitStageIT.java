package org.cfpipe.split;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cfpipe.config.IngestSettings;
import org.cfpipe.config.RatingScale;
import org.cfpipe.config.SplitSettings;
import org.cfpipe.ids.EncodeReport;
import org.cfpipe.ids.EncodeStage;
import org.cfpipe.spark.RunLayout;
import org.cfpipe.spark.SparkFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Encode and split together: unseen validation ids are dropped and counted. */
class SplitStageIT extends SparkFixture {
  private static final StructType RATINGS = new StructType()
      .add("user_id", DataTypes.IntegerType).add("item_id", DataTypes.IntegerType)
      .add("rating", DataTypes.DoubleType).add("timestamp", DataTypes.LongType);

  @TempDir
  Path dir;

  private RunLayout layout(String name) {
    return new RunLayout(dir.resolve(name).toString(), LocalDate.of(2024, 5, 6), "test");
  }

  private Dataset<Row> ratings(int[][] pairs) {
    List<Row> rows = new ArrayList<>();
    for (int[] p : pairs) {
      rows.add(RowFactory.create(p[0], p[1], 3.0, 0L));
    }
    return spark.createDataFrame(rows, RATINGS);
  }

  @Test
  void explicitValidationDropsAndCountsUnseenUsersAndItems() {
    RunLayout layout = layout("explicit");
    ratings(new int[][] {{1, 10}, {1, 20}, {2, 10}}).write().parquet(layout.ratings());
    ratings(new int[][] {{1, 20}, {3, 10}, {2, 99}, {2, 20}}).write()
        .parquet(layout.validationInput());

    EncodeReport ids = EncodeStage.run(spark, layout, true);
    SplitReport split = SplitStage.run(spark, new SplitSettings(0.2, 1), layout, true);

    assertEquals(2, ids.users());
    assertEquals(2, ids.items());
    assertEquals("explicit", split.mode());
    assertEquals(3, split.trainRows());
    assertEquals(2, split.validRows());
    assertEquals(2, split.validRowsDropped());
    List<String> valid = spark.read().parquet(layout.validation()).orderBy("user_id")
        .collectAsList().stream().map(r -> r.getAs("user_id") + "/" + r.getAs("item_id"))
        .collect(Collectors.toList());
    assertEquals(List.of("1/20", "2/20"), valid);
  }

  @Test
  void randomSplitIsSeededAndKeepsOnlySeenIdsInValidation() {
    int[][] pairs = new int[5000][];
    for (int n = 0; n < pairs.length; n++) {
      pairs[n] = new int[] {n % 97, n / 97};
    }
    RunLayout first = layout("a");
    RunLayout second = layout("b");
    ratings(pairs).repartition(3).write().parquet(first.ratings());
    ratings(pairs).repartition(5).write().parquet(second.ratings());

    EncodeStage.run(spark, first, false);
    EncodeStage.run(spark, second, false);
    SplitReport a = SplitStage.run(spark, new SplitSettings(0.2, 42), first, false);
    SplitReport b = SplitStage.run(spark, new SplitSettings(0.2, 42), second, false);

    assertEquals(a, new SplitReport("random", b.trainRows(), b.validRows(),
        b.validRowsDropped(), b.scale(), a.seconds()));
    assertEquals(5000, a.trainRows() + a.validRows() + a.validRowsDropped());
    double fraction = (a.validRows() + a.validRowsDropped()) / 5000.0;
    assertTrue(Math.abs(fraction - 0.2) < 0.02, "held-out fraction " + fraction);
    assertEquals(sorted(first.validation()), sorted(second.validation()));
    // Every validation user and item has a training rating.
    Dataset<Row> train = spark.read().parquet(first.train());
    Dataset<Row> valid = spark.read().parquet(first.validation());
    assertEquals(0, valid.join(train.select("user_index").distinct(),
        valid.col("user_index").equalTo(train.col("user_index")), "left_anti").count());
    assertEquals(0, valid.join(train.select("item_index").distinct(),
        valid.col("item_index").equalTo(train.col("item_index")), "left_anti").count());
  }

  private List<String> sorted(String path) {
    return spark.read().parquet(path).orderBy("user_id", "item_id").collectAsList().stream()
        .map(r -> r.getAs("user_id") + "/" + r.getAs("item_id")).collect(Collectors.toList());
  }

  /** user, item, timestamp: user 1 rates 4 items over time, user 2 two, user 3 one. */
  private static final long[][] TIMELINE = {
      {1, 10, 100}, {1, 11, 200}, {1, 12, 300}, {1, 13, 400}, {2, 10, 150}, {2, 11, 350},
      {3, 12, 50}};

  private List<String> timedSplit(SplitSettings settings, String name) {
    RunLayout layout = layout(name);
    List<Row> rows = new ArrayList<>();
    for (long[] r : TIMELINE) {
      rows.add(RowFactory.create((int) r[0], (int) r[1], 3.0, r[2]));
    }
    spark.createDataFrame(rows, RATINGS).write().parquet(layout.ratings());
    EncodeStage.run(spark, layout, false);
    SplitReport report = SplitStage.run(spark, settings, layout, false);
    assertEquals(settings.mode().spelling(), report.mode());
    assertEquals(TIMELINE.length, report.trainRows() + report.validRows()
        + report.validRowsDropped());
    return sorted(layout.validation());
  }

  @Test
  void timeCutoffHoldsOutEverythingFromTheCutoffOn() {
    // Cutoff at t = 300: (1,12), (1,13), (2,11) held out; (1,13) is dropped, item 13 having no
    // training rating.
    List<String> valid = timedSplit(new SplitSettings(SplitSettings.Mode.TIME_CUTOFF, 0.2, 1,
        300, 1), "cutoff");
    assertEquals(List.of("1/12", "2/11"), valid);
  }

  @Test
  void lastNHoldsOutEachUsersLatestRatingsAndLeavesOneToTrainOn() {
    // Last 2: user 1 gives (1,12), (1,13); user 2 has only 2 ratings and keeps them; user 3
    // keeps its one. (1,13) is dropped: item 13 has no training rating.
    List<String> valid = timedSplit(new SplitSettings(SplitSettings.Mode.LAST_N, 0.2, 1, 0, 2),
        "last-n");
    assertEquals(List.of("1/12"), valid);
  }

  @Test
  void theScaleIsTheRatingsBoundsAndCoarsestStep() {
    assertEquals(new RatingScale(0.5, 5, 0.5), scale(0.5, 3.0, 5.0, 4.5));
    assertEquals(new RatingScale(1, 5, 1), scale(1, 3, 5, 2));
    assertEquals(new RatingScale(0, 10, 1), scale(0, 10, 7, 3));
    assertEquals(new RatingScale(1, 4.75, 0.25), scale(1, 2.25, 4.75));
    assertEquals(new RatingScale(-1.234, 2.5, 0), scale(-1.234, 2.5, 0.3));
    // Bounds set by the user (cfpipe.ingest.rating-min/max) are the scale's.
    assertEquals(new RatingScale(0, 10, 1), SplitStage.scaleOf(table(2, 3, 8),
        new IngestSettings(0, 10, 0.01)));
  }

  private RatingScale scale(double... ratings) {
    return SplitStage.scaleOf(table(ratings), null);
  }

  private Dataset<Row> table(double... ratings) {
    List<Row> rows = new ArrayList<>();
    for (double r : ratings) {
      rows.add(RowFactory.create(r));
    }
    return spark.createDataFrame(rows, new StructType().add("rating", DataTypes.DoubleType));
  }
}
