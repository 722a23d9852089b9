package org.cfpipe.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.isnan;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cfpipe.config.InputSettings.Columns;
import org.cfpipe.config.InputSettings.IdType;

/**
 * Reads ratings from Parquet files into the same accepted-or-rejected rows as
 * {@link RatingsReader}: the configured columns cast to the rating types, every row validated in
 * Spark SQL, a rejected row kept with its file, its row index in the file (Spark's
 * {@code _metadata.row_index}) and the row as JSON.
 */
final class ParquetRatings {
  private final Columns columns;
  private final IdType idType;
  private final double ratingMin;
  private final double ratingMax;

  ParquetRatings(Columns columns, IdType idType, double ratingMin, double ratingMax) {
    this.columns = columns;
    this.idType = idType;
    this.ratingMin = ratingMin;
    this.ratingMax = ratingMax;
  }

  /** The rows of the Parquet files at {@code path}; see {@link RatingsReader#parsedSchema}. */
  Dataset<Row> read(SparkSession spark, String path) {
    // Files in nested folders of any naming count, as with text input; partition columns
    // (date=...) are not inferred: only the configured columns are read.
    Dataset<Row> raw = spark.read().option("recursiveFileLookup", "true").parquet(path);
    List<String> present = Arrays.asList(raw.columns());
    List<String> missing = new ArrayList<>();
    for (String name : List.of(columns.user(), columns.item(), columns.rating(),
        columns.timestamp())) {
      if (!present.contains(name)) {
        missing.add(name);
      }
    }
    if (!missing.isEmpty()) {
      throw new InputException("the Parquet input " + path + " lacks the column(s) " + missing
          + " (cfpipe.input.columns); its columns are " + present);
    }
    Column user = id(columns.user());
    Column item = id(columns.item());
    Column rating = col(columns.rating()).cast("double");
    Column timestamp = col(columns.timestamp()).cast("long");
    Column reason = when(user.isNull(), lit(RejectReason.BAD_USER_ID.name()))
        .when(item.isNull(), lit(RejectReason.BAD_ITEM_ID.name()))
        .when(notFinite(rating), lit(RejectReason.BAD_RATING.name()))
        .when(rating.lt(ratingMin).or(rating.gt(ratingMax)),
            lit(RejectReason.RATING_OUT_OF_RANGE.name()))
        .when(timestamp.isNull(), lit(RejectReason.BAD_TIMESTAMP.name()));
    String expected = switch (idType) {
      case INT -> "an integer id (cfpipe.input.id-type = int)";
      case LONG -> "a long integer id (cfpipe.input.id-type = long)";
      case STRING -> "a non-empty id";
    };
    Column detail = when(user.isNull(), describe(columns.user(), expected))
        .when(item.isNull(), describe(columns.item(), expected))
        .when(notFinite(rating), describe(columns.rating(), "a finite number"))
        .when(rating.lt(ratingMin).or(rating.gt(ratingMax)), concat(lit("rating "),
            rating.cast("string"), lit(" outside [" + ratingMin + ", " + ratingMax
                + "] (cfpipe.ingest.rating-min/max)")))
        .when(timestamp.isNull(), describe(columns.timestamp(), "an integer timestamp"));
    Column[] all = Arrays.stream(raw.columns()).map(raw::col).toArray(Column[]::new);
    Dataset<Row> checked = raw.select(
        user.as("user_id"), item.as("item_id"), rating.as("rating"), timestamp.as("timestamp"),
        col("_metadata.file_path").as("source_file"),
        col("_metadata.row_index").as("source_offset"),
        to_json(struct(all)).as("raw_line"),
        reason.as("reject_reason"),
        detail.as("reject_detail"));
    // Rejected rows carry no parsed values, as the text reader's do.
    Column ok = col("reject_reason").isNull();
    return checked.select(
        when(ok, col("user_id")).as("user_id"), when(ok, col("item_id")).as("item_id"),
        when(ok, col("rating")).as("rating"), when(ok, col("timestamp")).as("timestamp"),
        col("source_file"), col("source_offset"), col("raw_line"), col("reject_reason"),
        col("reject_detail"));
  }

  /** The id column cast to the id type; null when it is null, does not cast, or is blank. */
  private Column id(String column) {
    Column cast = col(column).cast(idType.sparkType());
    if (idType == IdType.STRING) {
      Column trimmed = trim(cast);
      return when(trimmed.notEqual(lit("")), trimmed);
    }
    return cast;
  }

  private static Column notFinite(Column rating) {
    return rating.isNull().or(isnan(rating)).or(rating.equalTo(Double.POSITIVE_INFINITY))
        .or(rating.equalTo(Double.NEGATIVE_INFINITY));
  }

  private static Column describe(String column, String expected) {
    return lit(column + " is null or not " + expected);
  }
}
