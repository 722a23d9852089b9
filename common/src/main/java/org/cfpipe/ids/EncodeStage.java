package org.cfpipe.ids;

import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cfpipe.spark.HadoopFiles;
import org.cfpipe.spark.RunLayout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The encode stage: fits the user and item id maps on the ingested ratings, stores them as Parquet
 * ({@code ids/users}, {@code ids/items}) and joins the indices onto the ratings. The explicit
 * validation file, when there is one, is encoded with the same maps, keeping unseen ids as null
 * indices for the split stage to count and drop.
 */
public final class EncodeStage {
  private static final Logger LOG = LoggerFactory.getLogger(EncodeStage.class);
  public static final String NAME = "encode";
  public static final String USER_ID = "user_id";
  public static final String ITEM_ID = "item_id";
  public static final String USER_INDEX = "user_index";
  public static final String ITEM_INDEX = "item_index";

  private EncodeStage() {}

  /** @param explicitValidation whether ingest read an explicit validation file to encode too */
  public static EncodeReport run(SparkSession spark, RunLayout layout, boolean explicitValidation) {
    long start = System.nanoTime();
    HadoopFiles files = HadoopFiles.of(spark);
    Dataset<Row> ratings = spark.read().parquet(layout.ratings());

    files.commitParquet(IdIndexer.fit(ratings, USER_ID, USER_INDEX), layout.userIds());
    files.commitParquet(IdIndexer.fit(ratings, ITEM_ID, ITEM_INDEX), layout.itemIds());
    Dataset<Row> users = spark.read().parquet(layout.userIds());
    Dataset<Row> items = spark.read().parquet(layout.itemIds());

    Dataset<Row> encoded = IdIndexer.apply(
        IdIndexer.apply(ratings, users, USER_ID, USER_INDEX), items, ITEM_ID, ITEM_INDEX);
    files.commitParquet(encoded, layout.encodedRatings());
    if (explicitValidation) {
      Dataset<Row> validation = spark.read().parquet(layout.validationInput());
      files.commitParquet(IdIndexer.applyKeepingUnmapped(IdIndexer.applyKeepingUnmapped(
          validation, users, USER_ID, USER_INDEX), items, ITEM_ID, ITEM_INDEX),
          layout.encodedValidation());
    }
    EncodeReport report = new EncodeReport(users.count(), items.count(),
        spark.read().parquet(layout.encodedRatings()).count(), (System.nanoTime() - start) / 1e9);
    files.writeJson(layout.report(NAME), report);
    LOG.info("encode: {} users, {} items, {} ratings encoded in {} s", report.users(),
        report.items(), report.encodedRows(), String.format(Locale.ROOT, "%.1f", report.seconds()));
    return report;
  }
}
