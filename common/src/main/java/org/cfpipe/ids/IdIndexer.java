package org.cfpipe.ids;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Builds an id map (id, index, rating_count) from one id column of a ratings table: distinct ids
 * sorted by descending count, then ascending id, numbered 0, 1, 2, ... by {@code zipWithIndex} over
 * the sorted partitions, which is a total order independent of the cluster layout; or extends a
 * previous run's map, so that indices stay stable from one run to the next.
 */
public final class IdIndexer {
  public static final String COUNT = "rating_count";

  private IdIndexer() {}

  /**
   * @param idColumn the id column of {@code ratings}; the map keeps its name and type
   * @param indexColumn the name of the int index column in the map
   */
  public static Dataset<Row> fit(Dataset<Row> ratings, String idColumn, String indexColumn) {
    return number(counts(ratings, idColumn), idColumn, indexColumn, 0);
  }

  /**
   * Extends a previous run's map: its ids keep their index (with this run's count, 0 for ids
   * absent from it), and ids it lacks are numbered after its last index, by descending count,
   * then ascending id.
   *
   * @param previous a map written by {@link #fit} or {@link #extend}, with indices 0..n-1
   * @param where the previous map's path, for error messages
   */
  public static Dataset<Row> extend(Dataset<Row> previous, String where, Dataset<Row> ratings,
      String idColumn, String indexColumn) {
    DataType expected = ratings.schema().apply(idColumn).dataType();
    DataType found = previous.schema().apply(idColumn).dataType();
    if (!expected.equals(found)) {
      throw new IllegalStateException("the id map at " + where + " has " + idColumn + " of type "
          + found.simpleString() + " where this run's ids are " + expected.simpleString());
    }
    Row extent = previous.agg(count(lit(1)), max(col(indexColumn))).first();
    long size = extent.getLong(0);
    if (size > 0 && extent.getInt(1) != size - 1) {
      throw new IllegalStateException("the id map at " + where + " has " + size + " ids but its "
          + "largest " + indexColumn + " is " + extent.getInt(1) + ": indices are not 0.."
          + (size - 1));
    }
    Dataset<Row> counts = counts(ratings, idColumn);
    Dataset<Row> kept = previous.select(col(idColumn), col(indexColumn))
        .join(counts, previous.col(idColumn).equalTo(counts.col(idColumn)), "left")
        .select(previous.col(idColumn), col(indexColumn),
            coalesce(counts.col(COUNT), lit(0L)).as(COUNT));
    Dataset<Row> fresh = counts.join(previous.select(col(idColumn)),
        counts.col(idColumn).equalTo(previous.col(idColumn)), "left_anti");
    return kept.unionByName(number(fresh, idColumn, indexColumn, size));
  }

  private static Dataset<Row> counts(Dataset<Row> ratings, String idColumn) {
    return ratings.groupBy(col(idColumn)).agg(count(lit(1)).as(COUNT));
  }

  /** Numbers ids from {@code first} by descending count, then ascending id. */
  private static Dataset<Row> number(Dataset<Row> counts, String idColumn, String indexColumn,
      long first) {
    Dataset<Row> sorted = counts.orderBy(col(COUNT).desc(), col(idColumn).asc());
    StructType schema = new StructType()
        .add(idColumn, sorted.schema().apply(idColumn).dataType(), false)
        .add(indexColumn, DataTypes.IntegerType, false)
        .add(COUNT, DataTypes.LongType, false);
    JavaRDD<Row> indexed = sorted.javaRDD().zipWithIndex().map(t -> {
      long index = first + t._2();
      if (index > Integer.MAX_VALUE) {
        throw new IllegalStateException("more than 2^31 distinct values of " + idColumn);
      }
      return RowFactory.create(t._1().get(0), (int) index, t._1().getLong(1));
    });
    return counts.sparkSession().createDataFrame(indexed, schema);
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
