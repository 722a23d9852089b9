package org.cfpipe.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.trim;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cfpipe.config.InputSettings.IdType;
import org.cfpipe.config.InputSettings.ItemsFormat;

/**
 * Reads an items file into (item_id, title, genres) with Spark's CSV reader: MovieLens
 * {@code movies.csv} (quoted titles with commas), or ml-100k {@code u.item} (pipe separated,
 * Latin-1, genres as 19 flags, left null here).
 */
public final class ItemTitles {
  private ItemTitles() {}

  /** The items at {@code path}, their ids cast to the ratings' id type so that they join. */
  public static Dataset<Row> read(SparkSession spark, String path, ItemsFormat format,
      IdType idType) {
    return switch (format) {
      case MOVIELENS_CSV -> spark.read().option("header", "true").option("encoding", "UTF-8")
          .schema(new StructType().add("movieId", DataTypes.StringType)
              .add("title", DataTypes.StringType).add("genres", DataTypes.StringType))
          .csv(path)
          .select(trim(col("movieId")).cast(idType.sparkType()).as("item_id"), col("title"),
              col("genres"));
      case MOVIELENS_ITEM -> spark.read().option("sep", "|").option("encoding", "ISO-8859-1")
          .option("quote", "\u0000")
          .csv(path)
          .select(trim(col("_c0")).cast(idType.sparkType()).as("item_id"), col("_c1").as("title"),
              lit(null).cast("string").as("genres"));
    };
  }
}
