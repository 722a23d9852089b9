package org.cfpipe.ids;

import static org.apache.spark.sql.functions.col;

import java.time.LocalDate;
import java.util.Comparator;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cfpipe.config.IdsSettings;
import org.cfpipe.ingest.InputException;
import org.cfpipe.spark.HadoopFiles;
import org.cfpipe.spark.RunLayout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The encode stage: fits the user and item id maps on the ingested ratings (or extends a previous
 * run's, {@code cfpipe.ids.previous}), stores them as Parquet ({@code ids/users},
 * {@code ids/items}) and joins the indices onto the ratings. The explicit
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

  /** Fresh id maps; see {@link #run(SparkSession, RunLayout, boolean, IdsSettings)}. */
  public static EncodeReport run(SparkSession spark, RunLayout layout, boolean explicitValidation) {
    return run(spark, layout, explicitValidation, IdsSettings.NONE);
  }

  /**
   * @param explicitValidation whether ingest read an explicit validation file to encode too
   * @param ids which previous run's maps to extend, if any
   */
  public static EncodeReport run(SparkSession spark, RunLayout layout, boolean explicitValidation,
      IdsSettings ids) {
    long start = System.nanoTime();
    HadoopFiles files = HadoopFiles.of(spark);
    Dataset<Row> input = spark.read().parquet(layout.ratings());
    Dataset<Row> ratings = withMinimumCounts(input, ids.minUserRatings(), ids.minItemRatings());

    Optional<RunLayout> previous = previousRun(files, layout, ids);
    if (previous.isPresent()) {
      RunLayout p = previous.get();
      LOG.info("encode: extending the id maps of {}", p.runDir());
      RunLayout.Tables before = p.published();
      files.commitParquet(IdIndexer.extend(spark.read().parquet(before.userIds()),
          before.userIds(), ratings, USER_ID, USER_INDEX), layout.staged().userIds());
      files.commitParquet(IdIndexer.extend(spark.read().parquet(before.itemIds()),
          before.itemIds(), ratings, ITEM_ID, ITEM_INDEX), layout.staged().itemIds());
    } else {
      files.commitParquet(IdIndexer.fit(ratings, USER_ID, USER_INDEX), layout.staged().userIds());
      files.commitParquet(IdIndexer.fit(ratings, ITEM_ID, ITEM_INDEX), layout.staged().itemIds());
    }
    Dataset<Row> users = spark.read().parquet(layout.staged().userIds());
    Dataset<Row> items = spark.read().parquet(layout.staged().itemIds());

    Dataset<Row> encoded = IdIndexer.apply(
        IdIndexer.apply(ratings, users, USER_ID, USER_INDEX), items, ITEM_ID, ITEM_INDEX);
    files.commitParquet(encoded, layout.encodedRatings());
    if (explicitValidation) {
      Dataset<Row> validation = spark.read().parquet(layout.validationInput());
      files.commitParquet(IdIndexer.applyKeepingUnmapped(IdIndexer.applyKeepingUnmapped(
          validation, users, USER_ID, USER_INDEX), items, ITEM_ID, ITEM_INDEX),
          layout.encodedValidation());
    }
    long encodedRows = spark.read().parquet(layout.encodedRatings()).count();
    long filteredUsers = ids.minUserRatings() > 1 ? belowMinimum(input, USER_ID,
        ids.minUserRatings()) : 0;
    long filteredItems = ids.minItemRatings() > 1 ? belowMinimum(input, ITEM_ID,
        ids.minItemRatings()) : 0;
    EncodeReport report = new EncodeReport(users.count(), items.count(), encodedRows,
        input.count() - encodedRows, filteredUsers, filteredItems,
        (System.nanoTime() - start) / 1e9, previous.map(RunLayout::runDir).orElse(null));
    if (report.filteredRows() > 0) {
      LOG.info("encode: left out {} ratings of {} users with fewer than {} ratings and {} items "
          + "with fewer than {}", report.filteredRows(), filteredUsers, ids.minUserRatings(),
          filteredItems, ids.minItemRatings());
    }
    files.writeJson(layout.report(NAME), report);
    LOG.info("encode: {} users, {} items, {} ratings encoded in {} s", report.users(),
        report.items(), report.encodedRows(), String.format(Locale.ROOT, "%.1f", report.seconds()));
    return report;
  }

  /**
   * The ratings whose user has at least {@code minUser} and whose item at least {@code minItem}
   * ratings in {@code ratings} (one pass: counts are taken before either filter).
   */
  static Dataset<Row> withMinimumCounts(Dataset<Row> ratings, int minUser, int minItem) {
    Dataset<Row> out = ratings;
    if (minUser > 1) {
      out = out.join(atLeast(ratings, USER_ID, minUser), USER_ID);
    }
    if (minItem > 1) {
      out = out.join(atLeast(ratings, ITEM_ID, minItem), ITEM_ID);
    }
    return out.select(ratings.columns()[0], java.util.Arrays.copyOfRange(ratings.columns(), 1,
        ratings.columns().length));
  }

  private static Dataset<Row> atLeast(Dataset<Row> ratings, String idColumn, int minimum) {
    return ratings.groupBy(idColumn).count().filter(col("count").geq(minimum)).select(idColumn);
  }

  private static long belowMinimum(Dataset<Row> ratings, String idColumn, int minimum) {
    return ratings.groupBy(idColumn).count().filter(col("count").lt(minimum)).count();
  }

  /**
   * The run whose maps to extend: the configured one, or with {@code auto} the newest earlier
   * committed run of the same model under the same output directory.
   */
  static Optional<RunLayout> previousRun(HadoopFiles files, RunLayout layout, IdsSettings ids) {
    if (ids.previousRun().isPresent()) {
      String dir = ids.previousRun().get();
      Matcher m = RUN_DIR.matcher(dir.replaceAll("/+$", ""));
      if (!m.matches()) {
        throw new InputException("cfpipe.ids.previous must be a run folder "
            + "(OUTPUT/run_date=YYYY-MM-DD/model=NAME), got " + dir);
      }
      RunLayout previous = new RunLayout(m.group(1), LocalDate.parse(m.group(2)), m.group(3));
      if (!committed(files, previous)) {
        throw new InputException("no committed run at " + previous.runDir()
            + " (cfpipe.ids.previous): it has no _SUCCESS");
      }
      return Optional.of(previous);
    }
    if (!ids.auto()) {
      return Optional.empty();
    }
    Optional<RunLayout> newest = runDates(files, layout.outputDir()).stream()
        .filter(date -> date.isBefore(layout.runDate()))
        .sorted(Comparator.reverseOrder())
        .map(date -> new RunLayout(layout.outputDir(), date, layout.model()))
        .filter(previous -> committed(files, previous))
        .findFirst();
    refuseUncommittedNightBetween(files, layout, newest);
    return newest;
  }

  /**
   * Fails when a run date between {@code newest} (the newest earlier committed run) and tonight
   * started (its _work folder exists) but has not committed. Both nights would extend the same
   * older maps and number their new ids apart, and the nights after them would inherit one
   * numbering or the other: nights must commit in date order.
   */
  private static void refuseUncommittedNightBetween(HadoopFiles files, RunLayout layout,
      Optional<RunLayout> newest) {
    LocalDate after = newest.map(RunLayout::runDate).orElse(LocalDate.MIN);
    Optional<RunLayout> pending = runDates(files, layout.outputDir() + "/_work").stream()
        .filter(date -> date.isAfter(after) && date.isBefore(layout.runDate()))
        .sorted()
        .map(date -> new RunLayout(layout.outputDir(), date, layout.model()))
        .filter(night -> files.exists(night.work()))
        .findFirst();
    if (pending.isPresent()) {
      RunLayout night = pending.get();
      throw new InputException("the night of " + night.runDate() + " started ("
          + night.work() + ") but has not committed: extending "
          + newest.map(r -> "the id maps of " + r.runDate()).orElse("fresh id maps")
          + " tonight would number new ids apart from it (cfpipe.ids.previous = auto). Run "
          + night.runDate() + " to its end first, or delete its _work folder to skip it, or "
          + "name the run to extend with cfpipe.ids.previous");
    }
  }

  /** The dates of the run_date=DATE folders in {@code dir}. */
  private static java.util.List<LocalDate> runDates(HadoopFiles files, String dir) {
    return files.list(dir).stream()
        .map(RUN_DATE_DIR::matcher)
        .filter(Matcher::matches)
        .map(m -> LocalDate.parse(m.group(2)))
        .toList();
  }

  private static final Pattern RUN_DATE_DIR =
      Pattern.compile("(.*)/run_date=(\\d{4}-\\d{2}-\\d{2})");
  private static final Pattern RUN_DIR =
      Pattern.compile("(.*)/run_date=(\\d{4}-\\d{2}-\\d{2})/model=([^/]+)");

  private static boolean committed(HadoopFiles files, RunLayout run) {
    return files.exists(run.published().success());
  }
}
