package org.cfpipe.ids;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Builds an id map (id, index, rating_count) from one id column of a ratings table: distinct ids
 * sorted by descending count, then ascending id, numbered 0, 1, 2, ... by {@code zipWithIndex} over
 * the sorted partitions, which is a total order independent of the cluster layout.
 */
public final class IdIndexer {
  public static final String COUNT = "rating_count";

  private IdIndexer() {}

  /**
   * @param idColumn the id column of {@code ratings}; the map keeps its name and type
   * @param indexColumn the name of the int index column in the map
   */
  public static Dataset<Row> fit(Dataset<Row> ratings, String idColumn, String indexColumn) {
    Dataset<Row> sorted = ratings.groupBy(col(idColumn))
        .agg(count(lit(1)).as(COUNT))
        .orderBy(col(COUNT).desc(), col(idColumn).asc());
    StructType schema = new StructType()
        .add(idColumn, sorted.schema().apply(idColumn).dataType(), false)
        .add(indexColumn, DataTypes.IntegerType, false)
        .add(COUNT, DataTypes.LongType, false);
    JavaRDD<Row> indexed = sorted.javaRDD().zipWithIndex().map(t -> {
      if (t._2() > Integer.MAX_VALUE) {
        throw new IllegalStateException("more than 2^31 distinct values of " + idColumn);
      }
      return RowFactory.create(t._1().get(0), t._2().intValue(), t._1().getLong(1));
    });
    return ratings.sparkSession().createDataFrame(indexed, schema);
  }

  /** Adds {@code indexColumn} to {@code data} by an inner join: rows with unmapped ids go. */
  public static Dataset<Row> apply(Dataset<Row> data, Dataset<Row> map, String idColumn,
      String indexColumn) {
    return data.join(map.select(idColumn, indexColumn), idColumn);
  }

  /** Adds {@code indexColumn} by a left join: rows with unmapped ids get a null index. */
  public static Dataset<Row> applyKeepingUnmapped(Dataset<Row> data, Dataset<Row> map,
      String idColumn, String indexColumn) {
    return data.join(map.select(idColumn, indexColumn), data.col(idColumn).equalTo(
        map.col(idColumn)), "left").drop(map.col(idColumn));
  }
}
