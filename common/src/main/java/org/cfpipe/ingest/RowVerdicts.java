package org.cfpipe.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.unsafe.types.UTF8String;
import org.cfpipe.config.IngestSettings.Duplicates;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every parsed row accepted or rejected: the parse's rejects, and the accepted ratings given more
 * than once for the same (input, user, item), all but the one {@code cfpipe.ingest.duplicates}
 * keeps. The parsed rows are never cached or sorted whole:
 * <ol>
 *   <li>one pass counts the rows by input, file and reason and builds {@link RepeatedKeys} from a
 *       64-bit hash of each accepted row's key;
 *   <li>one pass keeps the few rows that need more: the rejects, and the accepted rows whose key
 *       may repeat (every repeated one, and a few others), cached; only these go through the
 *       window that picks the kept row of each exact key;
 *   <li>the writer of the accepted ratings passes over the rows once more.
 * </ol>
 * At 25M ratings, ordering every row in that window took two thirds of ingest (96 s of 155 s),
 * and caching the parsed rows cost more than parsing them again (docs/benchmarks/pipeline.md).
 */
final class RowVerdicts implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RowVerdicts.class);
  static final String ROLE = "role";
  private static final String REASON = "reject_reason";
  private static final long ROWS_PER_TASK = 2_000_000;

  private final Dataset<Row> parsed;
  /** Whether an accepted row's key may repeat; null when no row needs ordering. */
  private final Column mayRepeat;
  private final Broadcast<RepeatedKeys> keys;
  /** The rejects and the accepted rows whose key may repeat, cached. */
  private final Dataset<Row> special;
  /** The accepted rows whose key may repeat, all but one of each key marked, cached. */
  private final Dataset<Row> ranked;
  private final List<Row> tally;

  private RowVerdicts(Dataset<Row> parsed, Column mayRepeat, Broadcast<RepeatedKeys> keys,
      Dataset<Row> special, Dataset<Row> ranked, List<Row> tally) {
    this.parsed = parsed;
    this.mayRepeat = mayRepeat;
    this.keys = keys;
    this.special = special;
    this.ranked = ranked;
    this.tally = tally;
  }

  /**
   * @param parsed every input row, with its role, file, offset, line and parse verdict
   * @param expectedRows about how many rows there are, to size the filters of
   *     {@link RepeatedKeys}: fewer rows than said cost memory, more rows flag more single keys
   *     for the window, neither changes the verdicts
   */
  static RowVerdicts of(Dataset<Row> parsed, Duplicates rule, long expectedRows) {
    boolean dedup = rule != Duplicates.KEEP_ALL;
    // Without the role: a rating in both inputs is flagged, and the window tells them apart.
    Column key = xxhash64(col("user_id"), col("item_id"));
    // One task per core, each a pair of filters the size of the whole input's, which the merge
    // gathers in one task: no more tasks than a task per 2M rows, so that a small input on many
    // cores does not send as many pairs.
    long expected = Math.max(1000, expectedRows);
    int tasks = (int) Math.max(1, Math.min(
        parsed.sparkSession().sparkContext().defaultParallelism(),
        (expected + ROWS_PER_TASK - 1) / ROWS_PER_TASK));
    // Spark's own rows, not Rows: converting each row's file name and reason to Java strings
    // and back cost more than the counting (the counts are of runs of equal rows, whose strings
    // are compared as bytes and converted once a run).
    // The tasks' filters are merged in one task on the executors, and only what the later
    // passes ask (twice) comes to the driver, to be broadcast: two pairs of filters of up to
    // 128 MB each arriving at once overflowed a 2 GB driver at 100M ratings.
    List<Counts> merged = parsed.select(col(ROLE), col("source_file"), col(REASON),
            when(col(REASON).isNull(), key).as("key"))
        .coalesce(tasks)
        .queryExecution().toRdd().toJavaRDD()
        .mapPartitions(rows -> List.of(Counts.of(rows, dedup ? expected : 0)).iterator())
        .repartition(1)
        .mapPartitions(Counts::mergeAll)
        .collect();
    Counts counts = merged.isEmpty() ? new Counts() : merged.get(0);
    List<Row> tally = counts.rows();
    long accepted = tally.stream().filter(r -> r.isNullAt(2)).mapToLong(r -> r.getLong(3)).sum();
    boolean unordered = !dedup || accepted < 2;
    if (!unordered && counts.keys.noneRepeat()) {
      LOG.info("ingest: no accepted row's key repeats: nothing to order");
      unordered = true;
    }
    if (unordered) {
      return new RowVerdicts(parsed, null, null,
          parsed.filter(col(REASON).isNotNull()), null, tally);
    }
    Broadcast<RepeatedKeys> keys = JavaSparkContext.fromSparkContext(
        parsed.sparkSession().sparkContext()).broadcast(counts.keys);
    UserDefinedFunction flag = udf(
        (UDF1<Long, Boolean>) hash -> keys.value().mightRepeat(hash), DataTypes.BooleanType);
    Column mayRepeat = col(REASON).isNull().and(flag.apply(key));
    Dataset<Row> special = parsed.filter(col(REASON).isNotNull().or(mayRepeat))
        .persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> ranked = mark(special.filter(col(REASON).isNull()), rule)
        .persist(StorageLevel.MEMORY_AND_DISK());
    List<Row> moved = moveSuperseded(tally, superseded(ranked));
    long superseded = moved.stream()
        .filter(r -> RejectReason.DUPLICATE_RATING.name().equals(r.get(2)))
        .mapToLong(r -> r.getLong(3)).sum();
    LOG.info("ingest: {} accepted rows' keys may repeat and were ordered by key ({} of them "
        + "superseded)", ranked.count(), superseded);
    return new RowVerdicts(parsed, mayRepeat, keys, special, ranked, moved);
  }

  /**
   * Rows by role, file and reason (role, source_file, reject_reason, n), the superseded ones
   * under DUPLICATE_RATING.
   */
  List<Row> tally() {
    return tally;
  }

  /** The rejected rows: the parse's rejects and the superseded ratings. */
  Dataset<Row> rejected() {
    Dataset<Row> rejects = special.filter(col(REASON).isNotNull());
    return ranked == null ? rejects : rejects.unionByName(superseded(ranked));
  }

  /** The ranked rows marked DUPLICATE_RATING. */
  private static Dataset<Row> superseded(Dataset<Row> ranked) {
    return ranked.filter(col(REASON).isNotNull());
  }

  /** The accepted rows, one per key unless the rule keeps all. */
  Dataset<Row> accepted() {
    if (ranked == null) {
      return parsed.filter(col(REASON).isNull());
    }
    return parsed.filter(col(REASON).isNull().and(not(mayRepeat)))
        .unionByName(ranked.filter(col(REASON).isNull()));
  }

  /** The tally with the superseded rows moved from their file's accepted ones. */
  private static List<Row> moveSuperseded(List<Row> tally, Dataset<Row> superseded) {
    Map<List<Object>, Long> counts = new HashMap<>();
    for (Row row : tally) {
      counts.merge(key(row.get(0), row.get(1), row.get(2)), row.getLong(3), Long::sum);
    }
    for (Row row : superseded.groupBy(col(ROLE), col("source_file"), col(REASON))
        .agg(count(lit(1)).as("n")).collectAsList()) {
      counts.merge(key(row.get(0), row.get(1), row.get(2)), row.getLong(3), Long::sum);
      counts.merge(key(row.get(0), row.get(1), null), -row.getLong(3), Long::sum);
    }
    return Counts.rows(counts);
  }

  private static List<Object> key(Object role, Object file, Object reason) {
    // Arrays.asList, not List.of: the reason of accepted rows is null.
    return Arrays.asList(role, file, reason);
  }

  /**
   * Marks all but one of the rows of each (input, user, item) as DUPLICATE_RATING, naming the file
   * and byte offset of the one kept.
   */
  private static Dataset<Row> mark(Dataset<Row> rows, Duplicates rule) {
    boolean latest = rule == Duplicates.LATEST;
    Column[] order = {
        latest ? col("timestamp").desc() : col("timestamp").asc(),
        latest ? col("source_file").desc() : col("source_file").asc(),
        latest ? col("source_offset").desc() : col("source_offset").asc()};
    WindowSpec pair = Window.partitionBy(col("user_id"), col("item_id"), col(ROLE)).orderBy(order);
    Column duplicate = col("pair_rank").gt(1);
    return rows
        .withColumn("pair_rank", row_number().over(pair))
        .withColumn("kept_at", first(concat_ws(" at byte ", col("source_file"),
            col("source_offset").cast("string"))).over(pair))
        .withColumn(REASON, when(duplicate, lit(RejectReason.DUPLICATE_RATING.name())))
        .withColumn("reject_detail", when(duplicate, concat(lit("the rating of this user and "
            + "item in " + (latest ? "the latest" : "the earliest") + " row was kept: "),
            col("kept_at"))))
        .drop("pair_rank", "kept_at");
  }

  @Override
  public void close() {
    if (ranked != null) {
      ranked.unpersist();
      special.unpersist();
      keys.destroy();
    }
  }

  /** One pass's counts by (role, file, reason), and the accepted rows' keys. */
  private static final class Counts implements Serializable {
    private static final long serialVersionUID = 1L;
    private final Map<List<Object>, Long> byFile = new HashMap<>();
    private RepeatedKeys keys;

    /**
     * @param rows (role, source_file, reject_reason, key) as Spark holds them: one object
     *     reused from row to row
     * @param expected the filters' size in keys, 0 for no filters
     */
    static Counts of(Iterator<InternalRow> rows, long expected) {
      Counts out = new Counts();
      out.keys = expected > 0 ? new RepeatedKeys(expected) : null;
      // A partition's rows come file by file, mostly accepted: count runs of one key, not rows.
      UTF8String[] last = null;
      long run = 0;
      while (rows.hasNext()) {
        InternalRow row = rows.next();
        if (last == null || !sameKey(last, row)) {
          if (last != null) {
            out.add(last, run);
          }
          last = new UTF8String[] {string(row, 0), string(row, 1), string(row, 2)};
          run = 0;
        }
        run++;
        if (out.keys != null && !row.isNullAt(3)) {
          out.keys.add(row.getLong(3));
        }
      }
      if (last != null) {
        out.add(last, run);
      }
      return out;
    }

    /** Column c of the row, copied out of the reused row; null stays null. */
    private static UTF8String string(InternalRow row, int c) {
      return row.isNullAt(c) ? null : row.getUTF8String(c).copy();
    }

    private static boolean sameKey(UTF8String[] key, InternalRow row) {
      // The reason first, the file name (the longest) last: neighbouring rows differ most often
      // in their reason.
      return same(key, row, 2) && same(key, row, 0) && same(key, row, 1);
    }

    private static boolean same(UTF8String[] key, InternalRow row, int c) {
      return row.isNullAt(c) ? key[c] == null
          : key[c] != null && key[c].equals(row.getUTF8String(c));
    }

    private void add(UTF8String[] key, long run) {
      byFile.merge(key(text(key[0]), text(key[1]), text(key[2])), run, Long::sum);
    }

    private static String text(UTF8String value) {
      return value == null ? null : value.toString();
    }

    /** The partitions' counts merged, their filters reduced to what the later passes ask. */
    static Iterator<Counts> mergeAll(Iterator<Counts> all) {
      if (!all.hasNext()) {
        return Collections.emptyIterator();
      }
      Counts merged = all.next();
      while (all.hasNext()) {
        merged.merge(all.next());
      }
      if (merged.keys != null) {
        merged.keys.repeatedOnly();
      }
      return List.of(merged).iterator();
    }

    Counts merge(Counts other) {
      other.byFile.forEach((k, n) -> byFile.merge(k, n, Long::sum));
      keys = keys == null ? other.keys : other.keys == null ? keys : keys.merge(other.keys);
      return this;
    }

    List<Row> rows() {
      return rows(byFile);
    }

    static List<Row> rows(Map<List<Object>, Long> counts) {
      List<Row> out = new ArrayList<>();
      counts.forEach((k, n) -> {
        if (n > 0) {
          out.add(RowFactory.create(k.get(0), k.get(1), k.get(2), n));
        }
      });
      return out;
    }
  }
}
