package org.cfpipe.ids;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.cfpipe.config.ConfigLoader;
import org.cfpipe.config.IdsSettings;
import org.cfpipe.io.RunCommit;
import org.cfpipe.spark.HadoopFiles;
import org.cfpipe.spark.RunLayout;
import org.cfpipe.spark.SparkFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdIndexerIT extends SparkFixture {

  private Dataset<Row> ratings(int partitions) {
    // Counts: user 30 x3, user 10 x2, user 20 x2, user 5 x1.
    return spark.createDataset(List.of(30, 10, 30, 20, 5, 30, 20, 10), Encoders.INT())
        .toDF("user_id").repartition(partitions);
  }

  @Test
  void indicesFollowCountThenIdAndAreContiguous() {
    List<String> map = IdIndexer.fit(ratings(3), "user_id", "user_index")
        .orderBy("user_index").collectAsList().stream()
        .map(r -> r.getInt(0) + ":" + r.getInt(1) + ":" + r.getLong(2))
        .collect(Collectors.toList());
    assertEquals(List.of("30:0:3", "10:1:2", "20:2:2", "5:3:1"), map);
  }

  @Test
  void mapIsTheSameWhateverThePartitioning() {
    List<Row> one = IdIndexer.fit(ratings(1), "user_id", "user_index")
        .orderBy("user_index").collectAsList();
    List<Row> many = IdIndexer.fit(ratings(7), "user_id", "user_index")
        .orderBy("user_index").collectAsList();
    assertEquals(one, many);
  }

  @Test
  void keepsTheIdTypeAndJoinsIndicesOn() {
    Dataset<Row> data = spark.createDataset(List.of("b", "a", "b"), Encoders.STRING())
        .toDF("item_id");
    Dataset<Row> map = IdIndexer.fit(data, "item_id", "item_index");
    assertEquals(DataTypes.StringType, map.schema().apply("item_id").dataType());
    List<String> applied = IdIndexer.apply(data, map, "item_id", "item_index")
        .orderBy("item_index").collectAsList().stream()
        .map(r -> r.getString(0) + r.getInt(1)).collect(Collectors.toList());
    assertEquals(List.of("b0", "b0", "a1"), applied);

    Dataset<Row> unseen = spark.createDataset(List.of("a", "z"), Encoders.STRING())
        .toDF("item_id");
    List<Row> kept = IdIndexer.applyKeepingUnmapped(unseen, map, "item_id", "item_index")
        .orderBy("item_id").collectAsList();
    assertEquals(2, kept.size());
    assertEquals(1, kept.get(0).getInt(1));
    assertEquals(true, kept.get(1).isNullAt(1));
  }

  @Test
  void extendingKeepsEveryPreviousIndexAndAppendsNewIdsByCount() {
    Dataset<Row> previous = IdIndexer.fit(ratings(2), "user_id", "user_index");
    // Tonight: user 5 is gone, 20 is back once, 7 (x2) and 99 (x1) are new.
    Dataset<Row> tonight = spark.createDataset(List.of(20, 99, 7, 7, 30), Encoders.INT())
        .toDF("user_id").repartition(3);

    List<String> map = IdIndexer.extend(previous, "previous", tonight, "user_id", "user_index")
        .orderBy("user_index").collectAsList().stream()
        .map(r -> r.getInt(0) + ":" + r.getInt(1) + ":" + r.getLong(2))
        .collect(Collectors.toList());

    assertEquals(List.of("30:0:1", "10:1:0", "20:2:1", "5:3:0", "7:4:2", "99:5:1"), map);
  }

  @Test
  void encodeExtendsTheNewestEarlierRunsMaps(@TempDir Path out) {
    RunLayout monday = new RunLayout(out.toString(), LocalDate.of(2024, 1, 1), "test");
    RunLayout tuesday = new RunLayout(out.toString(), LocalDate.of(2024, 1, 2), "test");
    pairs(List.of("1,10", "1,11", "2,10")).write().parquet(monday.ratings());
    pairs(List.of("3,12", "3,12", "3,10", "2,11")).write().parquet(tuesday.ratings());

    EncodeStage.run(spark, monday, false, IdsSettings.from(ConfigLoader.load(Optional.empty(),
        List.of("cfpipe.ids.previous=auto"))));
    // Only a committed run's maps are extended: publish Monday's (its ids alone).
    RunCommit.commit(HadoopFiles.of(spark), monday);
    EncodeReport second = EncodeStage.run(spark, tuesday, false, new IdsSettings(true,
        Optional.empty(), 1, 1));

    assertEquals(3, second.users());
    assertEquals(List.of("1:0", "2:1", "3:2"), indices(tuesday.staged().userIds(), "user"));
    assertEquals(List.of("10:0", "11:1", "12:2"), indices(tuesday.staged().itemIds(), "item"));
    assertEquals(indices(monday.published().userIds(), "user"),
        indices(tuesday.staged().userIds(), "user").subList(0, 2));
  }

  @Test
  void minimumCountsLeaveOutRareUsersAndItemsAndCountThem(@TempDir Path out) {
    RunLayout run = new RunLayout(out.toString(), LocalDate.of(2024, 1, 1), "test");
    // Users: 1 x3, 2 x2, 3 x1. Items: 10 x3, 11 x2, 12 x1.
    pairs(List.of("1,10", "1,11", "1,12", "2,10", "2,11", "3,10")).write()
        .parquet(run.ratings());

    EncodeReport report = EncodeStage.run(spark, run, false, new IdsSettings(false,
        Optional.empty(), 2, 2));

    // User 3 and item 12 go with their ratings (3,10) and (1,12).
    assertEquals(4, report.encodedRows());
    assertEquals(2, report.filteredRows());
    assertEquals(1, report.filteredUsers());
    assertEquals(1, report.filteredItems());
    assertEquals(List.of("1:0", "2:1"), indices(run.staged().userIds(), "user"));
    assertEquals(List.of("10:0", "11:1"), indices(run.staged().itemIds(), "item"));
  }

  private Dataset<Row> pairs(List<String> pairs) {
    return spark.createDataset(pairs, Encoders.STRING()).toDF("pair")
        .selectExpr("cast(split(pair, ',')[0] as int) as user_id",
            "cast(split(pair, ',')[1] as int) as item_id", "4.0 as rating",
            "cast(0 as bigint) as timestamp");
  }

  private List<String> indices(String path, String side) {
    return spark.read().parquet(path).orderBy(side + "_index").collectAsList().stream()
        .map(r -> r.getAs(side + "_id") + ":" + r.getAs(side + "_index"))
        .collect(Collectors.toList());
  }
}
