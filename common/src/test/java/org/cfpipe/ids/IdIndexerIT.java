package org.cfpipe.ids;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.cfpipe.spark.SparkFixture;
import org.junit.jupiter.api.Test;

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
}
