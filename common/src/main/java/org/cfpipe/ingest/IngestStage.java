package org.cfpipe.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BiFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cfpipe.config.IngestSettings;
import org.cfpipe.config.InputSettings;
import org.cfpipe.spark.HadoopFiles;
import org.cfpipe.spark.RunLayout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest stage: parses the ratings (and the explicit validation file, when there is one),
 * keeps one rating per (user, item) in each ({@code cfpipe.ingest.duplicates}), writes the
 * accepted rows for the next stage and every rejected or superseded row to the {@code rejects}
 * table, and fails when the fraction of invalid rows exceeds
 * {@code cfpipe.ingest.max-rejected-fraction}, naming the worst file and reason.
 */
public final class IngestStage {
  private static final Logger LOG = LoggerFactory.getLogger(IngestStage.class);
  public static final String NAME = "ingest";
  private static final String ROLE = RowVerdicts.ROLE;
  private static final String CACHE_COMPRESSION = "spark.sql.inMemoryColumnarStorage.compressed";

  private IngestStage() {}

  public static IngestReport run(
      SparkSession spark, InputSettings input, IngestSettings ingest, RunLayout layout) {
    long start = System.nanoTime();
    HadoopFiles files = HadoopFiles.of(spark);
    // Ingest starts a run afresh: nothing a previous attempt at this run date left is reused.
    files.delete(layout.work());
    BiFunction<SparkSession, String, Dataset<Row>> reader =
        input.format() == InputSettings.InputFormat.PARQUET
            ? new ParquetRatings(input.columns(), input.idType(), ingest.ratingMin(),
                ingest.ratingMax())::read
            : new RatingsReader(LineLayout.of(input), ingest.ratingMin(), ingest.ratingMax())::read;

    Dataset<Row> parsed = parse(spark, files, reader, input.ratings(), "cfpipe.input.ratings",
        input.format().spelling())
        .withColumn(ROLE, lit("ratings"));
    Optional<String> validation = input.validationRatings();
    if (validation.isPresent()) {
      parsed = parsed.unionByName(parse(spark, files, reader, validation.get(),
          "cfpipe.input.validation-ratings", input.format().spelling())
          .withColumn(ROLE, lit("validation")));
    }
    // The few rows cached (the rejects and the rows whose key may repeat) hold each line's text,
    // unique on every row: Spark's columnar cache would try to dictionary-encode it batch after
    // batch. Read when a cache is built, so set for the stage.
    String compressed = spark.conf().get(CACHE_COMPRESSION, "true");
    spark.conf().set(CACHE_COMPRESSION, "false");
    long expectedRows = expectedRows(files, input);
    try (RowVerdicts verdicts = verdicts(parsed, input, ingest, expectedRows)) {
      List<Row> tally = verdicts.tally();
      IngestReport counts = report(tally, 0);
      if (counts.ratingsAccepted() == 0) {
        throw new InputException("no valid ratings in " + input.ratings() + " (format "
            + input.format().spelling() + "; " + counts.rejectedRows() + " rows rejected)");
      }
      // Rejects first: when the threshold fails the job, they are what the user looks at.
      files.commitParquet(verdicts.rejected().select(
          col(ROLE).as("input"), col("source_file"), col("source_offset"), col("raw_line"),
          col("reject_reason").as("reason"), col("reject_detail").as("detail")),
          layout.staged().rejects());
      failWhenTooManyRejected(counts, tally, ingest.maxRejectedFraction(), layout);

      Dataset<Row> accepted = verdicts.accepted();
      files.commitParquet(ratingsOf(accepted, "ratings"), layout.ratings());
      if (validation.isPresent()) {
        files.commitParquet(ratingsOf(accepted, "validation"), layout.validationInput());
      }
      if (input.items().isPresent()) {
        writeTitles(spark, files, input, layout);
      }
      IngestReport report = report(tally, (System.nanoTime() - start) / 1e9);
      files.writeJson(layout.report(NAME), report);
      LOG.info("ingest: {} input rows, {} accepted, {} rejected {} in {} s", report.inputRows(),
          report.acceptedRows(), report.rejectedRows(), report.rejectedByReason(),
          String.format(Locale.ROOT, "%.1f", report.seconds()));
      return report;
    } finally {
      spark.conf().set(CACHE_COMPRESSION, compressed);
    }
  }

  /** The items file as (item_id, title, genres); lines without a valid id are counted. */
  private static void writeTitles(SparkSession spark, HadoopFiles files, InputSettings input,
      RunLayout layout) {
    String path = input.items().get();
    if (!files.matches(path)) {
      throw new InputException("items file not found: " + path + " (cfpipe.input.items)");
    }
    Dataset<Row> titles = ItemTitles.read(spark, path, input.itemsFormat(), input.idType());
    files.commitParquet(titles.filter(col("item_id").isNotNull()), layout.itemTitles());
    long unread = titles.filter(col("item_id").isNull()).count();
    if (unread > 0) {
      LOG.warn("ingest: {} lines of {} have no {} item id and give no title ({})", unread,
          path, input.idType().spelling(), input.itemsFormat().spelling());
    }
  }

  private static Dataset<Row> parse(SparkSession spark, HadoopFiles files,
      BiFunction<SparkSession, String, Dataset<Row>> reader, String path, String key,
      String format) {
    if (!files.matches(path)) {
      throw new InputException("input not found: " + path + " (" + key + ")");
    }
    try {
      return reader.apply(spark, path);
    } catch (Exception e) {
      // Spark reads Parquet footers here, to infer the schema (a SparkException: checked in
      // Scala's sense, undeclared in Java's).
      throw InputException.unreadable(path, key, format, e);
    }
  }

  /** Every row's verdict; the first pass reads every input file. */
  private static RowVerdicts verdicts(Dataset<Row> parsed, InputSettings input,
      IngestSettings ingest, long expectedRows) {
    try {
      return RowVerdicts.of(parsed, ingest.duplicates(), expectedRows);
    } catch (Exception e) {
      String paths = input.ratings() + input.validationRatings().map(v -> " or " + v).orElse("");
      throw InputException.unreadable(paths, "cfpipe.input.ratings", input.format().spelling(),
          e);
    }
  }

  /**
   * About how many rows the inputs hold, from their size: a rating line is rarely shorter than
   * 16 bytes, a Parquet rating than 6. Compressed text has more; it sizes filters only.
   */
  private static long expectedRows(HadoopFiles files, InputSettings input) {
    long perRow = input.format() == InputSettings.InputFormat.PARQUET ? 6 : 16;
    long bytes = files.bytes(input.ratings())
        + input.validationRatings().map(files::bytes).orElse(0L);
    return bytes / perRow;
  }

  private static Dataset<Row> ratingsOf(Dataset<Row> accepted, String role) {
    return accepted.filter(col(ROLE).equalTo(role))
        .select("user_id", "item_id", "rating", "timestamp");
  }

  private static IngestReport report(List<Row> tally, double seconds) {
    long input = 0;
    long rejected = 0;
    long ratingsAccepted = 0;
    long validationAccepted = 0;
    Map<String, Long> byReason = new TreeMap<>();
    for (Row row : tally) {
      long n = row.getLong(3);
      input += n;
      if (row.isNullAt(2)) {
        if ("ratings".equals(row.getString(0))) {
          ratingsAccepted += n;
        } else {
          validationAccepted += n;
        }
      } else {
        rejected += n;
        byReason.merge(row.getString(2), n, Long::sum);
      }
    }
    return new IngestReport(input, input - rejected, rejected, byReason, ratingsAccepted,
        validationAccepted, seconds);
  }

  /** Fails on too many invalid rows; duplicates are valid rows and do not count. */
  private static void failWhenTooManyRejected(
      IngestReport report, List<Row> tally, double maxFraction, RunLayout layout) {
    long invalid = report.rejectedRows()
        - report.rejectedByReason().getOrDefault(RejectReason.DUPLICATE_RATING.name(), 0L);
    double fraction = invalid / (double) report.inputRows();
    if (fraction <= maxFraction) {
      return;
    }
    Row worst = tally.stream()
        .filter(r -> !r.isNullAt(2))
        .filter(r -> !RejectReason.DUPLICATE_RATING.name().equals(r.getString(2)))
        .max((a, b) -> Long.compare(a.getLong(3), b.getLong(3)))
        .orElseThrow();
    throw new InputException(String.format(Locale.ROOT,
        "%d of %d input rows invalid (%.4f > cfpipe.ingest.max-rejected-fraction %.4f); "
            + "worst: %d rows of %s in %s. Rejected rows by reason: %s. The rejected rows, "
            + "with file, byte offset and reason, are in %s",
        invalid, report.inputRows(), fraction, maxFraction, worst.getLong(3),
        worst.getString(2), worst.getString(1), report.rejectedByReason(), layout.staged().rejects()));
  }
}
