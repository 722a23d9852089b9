package org.cfpipe.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cfpipe.config.IngestSettings;
import org.cfpipe.config.InputSettings;
import org.cfpipe.config.InputSettings.InputFormat;
import org.cfpipe.spark.RunLayout;
import org.cfpipe.spark.SparkFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IngestStageIT extends SparkFixture {
  @TempDir
  Path dir;

  private static final String GOOD = "userId,movieId,rating,timestamp\n"
      + "1,10,4.0,100\n"
      + "2,10,3.5,101\n"
      + "1,20,5.0,102\n";
  private static final String BAD = "userId,movieId,rating,timestamp\n"
      + "3,30,2.0,103\n"
      + "\n"
      + "3,31\n"
      + "x,30,2.0,104\n"
      + "3,y,2.0,105\n"
      + "3,30,NaN,106\n"
      + "3,30,9.0,107\n"
      + "3,30,2.0,later\n";

  private RunLayout layout() {
    return new RunLayout(dir.resolve("out").toString(), LocalDate.of(2024, 1, 2), "test");
  }

  private Path write(String name, byte[] content) throws Exception {
    Path file = dir.resolve("in").resolve(name);
    Files.createDirectories(file.getParent());
    Files.write(file, content);
    return file;
  }

  @Test
  void everyInputRowIsAcceptedOrRejectedWithItsReason() throws Exception {
    write("a.csv", GOOD.getBytes(StandardCharsets.UTF_8));
    write("b.csv", BAD.getBytes(StandardCharsets.UTF_8));
    byte[] latin1 = "4,40,3.0,108\n4,4\u00e9,3.0,109\n".getBytes(StandardCharsets.ISO_8859_1);
    write("c.csv", latin1);
    // A later rating of (1, 10), which a.csv rated at t = 100: it is kept, a.csv's goes.
    write("d.csv", "1,10,4.5,200\n".getBytes(StandardCharsets.UTF_8));
    InputSettings input = new InputSettings(dir.resolve("in").toString(),
        InputFormat.MOVIELENS_CSV, Optional.empty());

    IngestReport report = IngestStage.run(spark, input, new IngestSettings(0.5, 5.0, 1.0),
        layout());

    assertEquals(14, report.inputRows());
    assertEquals(report.inputRows(), report.acceptedRows() + report.rejectedRows());
    assertEquals(5, report.acceptedRows());
    assertEquals(Map.of("BAD_ENCODING", 1L, "BAD_ITEM_ID", 1L, "BAD_RATING", 1L,
        "BAD_TIMESTAMP", 1L, "BAD_USER_ID", 1L, "EMPTY_LINE", 1L, "RATING_OUT_OF_RANGE", 1L,
        "WRONG_COLUMN_COUNT", 1L, "DUPLICATE_RATING", 1L), report.rejectedByReason());
    assertEquals(5, spark.read().parquet(layout().ratings()).count());

    List<Row> rejects = spark.read().parquet(layout().staged().rejects())
        .orderBy("source_file", "source_offset").collectAsList();
    assertEquals(9, rejects.size());
    Row tooShort = rejects.stream().filter(r -> r.getAs("reason").equals("WRONG_COLUMN_COUNT"))
        .findFirst().orElseThrow();
    assertEquals("3,31", tooShort.getAs("raw_line"));
    assertTrue(((String) tooShort.getAs("source_file")).endsWith("b.csv"));
    // Byte offset of "3,31": header (32 bytes) + "3,30,2.0,103\n" (13) + "\n" (1).
    assertEquals(46L, (long) tooShort.getAs("source_offset"));
    assertEquals("ratings", tooShort.getAs("input"));
  }

  @Test
  void tooManyRejectedRowsFailNamingTheWorstFileAndKeepTheRejects() throws Exception {
    write("good.csv", GOOD.getBytes(StandardCharsets.UTF_8));
    write("bad.csv", BAD.getBytes(StandardCharsets.UTF_8));
    InputSettings input = new InputSettings(dir.resolve("in").toString(),
        InputFormat.MOVIELENS_CSV, Optional.empty());

    InputException e = assertThrows(InputException.class, () -> IngestStage.run(spark, input,
        new IngestSettings(0.5, 5.0, 0.1), layout()));

    assertTrue(e.getMessage().contains("bad.csv"), e.getMessage());
    assertTrue(e.getMessage().contains("7 of 11 input rows invalid"), e.getMessage());
    assertEquals(7, spark.read().parquet(layout().staged().rejects()).count());
  }

  @Test
  void missingInputNamesThePathAndTheSetting() {
    String missing = dir.resolve("nope.csv").toString();
    InputSettings input = new InputSettings(missing, InputFormat.MOVIELENS_CSV, Optional.empty());
    InputException e = assertThrows(InputException.class, () -> IngestStage.run(spark, input,
        new IngestSettings(0.5, 5.0, 0.0), layout()));
    assertEquals("input not found: " + missing + " (cfpipe.input.ratings)", e.getMessage());
  }

  @Test
  void aTruncatedGzipFileIsAnErrorNamingTheFile() throws Exception {
    write("good.csv", GOOD.getBytes(StandardCharsets.UTF_8));
    java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
    try (var out = new java.util.zip.GZIPOutputStream(gz)) {
      out.write(GOOD.repeat(200).getBytes(StandardCharsets.UTF_8));
    }
    byte[] whole = gz.toByteArray();
    write("broken.csv.gz", java.util.Arrays.copyOf(whole, whole.length / 2));
    InputSettings input = new InputSettings(dir.resolve("in").toString(),
        InputFormat.MOVIELENS_CSV, Optional.empty());

    InputException e = assertThrows(InputException.class, () -> IngestStage.run(spark, input,
        new IngestSettings(0.5, 5.0, 1.0), layout()));

    assertTrue(e.getMessage().startsWith("cannot read file:" + dir.resolve("in")
        .resolve("broken.csv.gz")), e.getMessage());
  }

  @Test
  void aFileNotInTheConfiguredFormatIsAnErrorNamingIt() throws Exception {
    Path csv = write("ratings.csv", GOOD.getBytes(StandardCharsets.UTF_8));
    InputSettings input = new InputSettings(csv.toString(), InputFormat.PARQUET,
        Optional.empty());

    InputException e = assertThrows(InputException.class, () -> IngestStage.run(spark, input,
        new IngestSettings(0.5, 5.0, 1.0), layout()));

    assertTrue(e.getMessage().startsWith("cannot read " + csv + " (cfpipe.input.ratings) as "
        + "parquet: "), e.getMessage());
    assertTrue(e.getMessage().contains("is not a Parquet file"), e.getMessage());
  }

  @Test
  void inputWithoutValidRatingsIsAnError() throws Exception {
    write("empty.csv", "userId,movieId,rating,timestamp\n".getBytes(StandardCharsets.UTF_8));
    InputSettings input = new InputSettings(dir.resolve("in").toString(),
        InputFormat.MOVIELENS_CSV, Optional.empty());
    InputException e = assertThrows(InputException.class, () -> IngestStage.run(spark, input,
        new IngestSettings(0.5, 5.0, 0.0), layout()));
    assertTrue(e.getMessage().startsWith("no valid ratings in "), e.getMessage());
  }

  @Test
  void readsTabSeparatedGzippedFilesAndTheValidationFile() throws Exception {
    Path tsv = dir.resolve("u.data.gz");
    try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(tsv))) {
      out.write("196\t242\t3\t881250949\n186\t302\t3\t891717742\n".getBytes(
          StandardCharsets.UTF_8));
    }
    Path valid = write("valid.tsv", "196\t302\t4\t881250950\n".getBytes(StandardCharsets.UTF_8));
    InputSettings input = new InputSettings(tsv.toString(), InputFormat.MOVIELENS_TSV,
        Optional.of(valid.toString()));

    IngestReport report = IngestStage.run(spark, input, new IngestSettings(1, 5, 0), layout());

    assertEquals(3, report.inputRows());
    assertEquals(2, report.ratingsAccepted());
    assertEquals(1, report.validationInputRows());
    List<String> users = spark.read().parquet(layout().ratings()).orderBy("user_id")
        .collectAsList().stream().map(r -> r.getInt(0) + "/" + r.getInt(1))
        .collect(Collectors.toList());
    assertEquals(List.of("186/302", "196/242"), users);
    assertEquals(1, spark.read().parquet(layout().validationInput()).count());
  }

  @Test
  void duplicatesKeepTheLatestRatingAndGoToTheRejectsNamingTheKeptRow() throws Exception {
    write("a.csv", ("userId,movieId,rating,timestamp\n1,10,4.0,100\n1,10,2.0,200\n"
        + "2,10,3.0,100\n").getBytes(StandardCharsets.UTF_8));
    write("b.csv", "1,10,3.0,150\n".getBytes(StandardCharsets.UTF_8));
    InputSettings input = new InputSettings(dir.resolve("in").toString(),
        InputFormat.MOVIELENS_CSV, Optional.empty());

    // Duplicates are valid rows: a threshold of 0 invalid rows still passes.
    IngestReport report = IngestStage.run(spark, input, new IngestSettings(0.5, 5.0, 0.0),
        layout());

    assertEquals(4, report.inputRows());
    assertEquals(2, report.acceptedRows());
    assertEquals(Map.of("DUPLICATE_RATING", 2L), report.rejectedByReason());
    Row kept = spark.read().parquet(layout().ratings()).filter("user_id = 1").first();
    assertEquals(2.0, kept.getDouble(2));
    List<Row> rejects = spark.read().parquet(layout().staged().rejects()).orderBy("raw_line")
        .collectAsList();
    assertEquals(List.of("1,10,3.0,150", "1,10,4.0,100"),
        rejects.stream().map(r -> (String) r.getAs("raw_line")).collect(Collectors.toList()));
    String detail = rejects.get(0).getAs("detail");
    assertTrue(detail.contains("a.csv at byte 45"), detail);

    IngestReport earliest = IngestStage.run(spark, input,
        new IngestSettings(0.5, 5.0, 0.0, IngestSettings.Duplicates.EARLIEST), layout());
    assertEquals(2, earliest.acceptedRows());
    assertEquals(4.0, spark.read().parquet(layout().ratings()).filter("user_id = 1").first()
        .getDouble(2));
    IngestReport all = IngestStage.run(spark, input,
        new IngestSettings(0.5, 5.0, 0.0, IngestSettings.Duplicates.KEEP_ALL), layout());
    assertEquals(4, all.acceptedRows());
  }

  @Test
  void readsBzip2RatingsDatThroughAGlob() throws Exception {
    Path dat = dir.resolve("in").resolve("ratings-2024-01-01.dat.bz2");
    Files.createDirectories(dat.getParent());
    try (var out = new org.apache.commons.compress.compressors.bzip2
        .BZip2CompressorOutputStream(Files.newOutputStream(dat))) {
      out.write("1::1193::5::978300760\n1::661::3::978302109\n2::1193::x::978300761\n"
          .getBytes(StandardCharsets.UTF_8));
    }
    write("notes.txt", "not ratings\n".getBytes(StandardCharsets.UTF_8));
    InputSettings input = new InputSettings(dir.resolve("in").resolve("ratings-*.dat.bz2")
        .toString(), InputFormat.MOVIELENS_DAT, Optional.empty());

    IngestReport report = IngestStage.run(spark, input, new IngestSettings(0.5, 5.0, 0.5),
        layout());

    assertEquals(3, report.inputRows());
    assertEquals(2, report.acceptedRows());
    assertEquals(Map.of("BAD_RATING", 1L), report.rejectedByReason());
    assertEquals(List.of(661, 1193), spark.read().parquet(layout().ratings()).orderBy("item_id")
        .collectAsList().stream().map(r -> r.getInt(1)).collect(Collectors.toList()));
  }

  @Test
  void readsEveryFileOfADatePartitionedFolderFromItsRoot() throws Exception {
    write("drops/date=2024-01-01/ratings.csv", GOOD.getBytes(StandardCharsets.UTF_8));
    write("drops/date=2024-01-02/ratings.csv", BAD.getBytes(StandardCharsets.UTF_8));
    write("drops/date=2024-01-02/_SUCCESS", new byte[0]);
    InputSettings input = new InputSettings(dir.resolve("in").resolve("drops").toString(),
        InputFormat.MOVIELENS_CSV, Optional.empty());

    IngestReport report = IngestStage.run(spark, input, new IngestSettings(0.5, 5.0, 1.0),
        layout());

    assertEquals(3 + 8, report.inputRows());
    assertEquals(3 + 1, report.acceptedRows());

    String parquet = dir.resolve("nested").toString();
    spark.read().parquet(layout().ratings()).write().parquet(parquet + "/2024/01/a");
    spark.read().parquet(layout().ratings()).limit(1).write().parquet(parquet + "/2024/02/b");
    InputSettings nested = new InputSettings(parquet, InputFormat.PARQUET, Optional.empty(),
        new InputSettings.Columns("user_id", "item_id", "rating", "timestamp"));

    assertEquals(4 + 1, IngestStage.run(spark, nested, new IngestSettings(0.5, 5.0, 1.0),
        layout()).inputRows());
  }

  @Test
  void readsParquetWithConfiguredColumnsAndRejectsBadRowsWithTheirRowIndex() {
    StructType schema = new StructType().add("uid", DataTypes.LongType)
        .add("iid", DataTypes.StringType).add("score", DataTypes.DoubleType)
        .add("ts", DataTypes.LongType).add("note", DataTypes.StringType);
    List<Row> rows = List.of(
        RowFactory.create(1L, "10", 4.0, 100L, "ok"),
        RowFactory.create(null, "10", 4.0, 101L, "no user"),
        RowFactory.create(2L, "abc", 4.0, 102L, "bad item"),
        RowFactory.create(2L, "11", Double.NaN, 103L, "nan"),
        RowFactory.create(2L, "11", 9.0, 104L, "too high"),
        RowFactory.create(2L, "11", 3.0, null, "no time"),
        RowFactory.create(2L, "12", 3.5, 105L, "ok"),
        RowFactory.create(3L, "12", Double.POSITIVE_INFINITY, 106L, "infinite"));
    String path = dir.resolve("in.parquet").toString();
    spark.createDataFrame(rows, schema).coalesce(1).write().parquet(path);
    InputSettings input = new InputSettings(path, InputFormat.PARQUET, Optional.empty(),
        new InputSettings.Columns("uid", "iid", "score", "ts"));

    IngestReport report = IngestStage.run(spark, input, new IngestSettings(0.5, 5.0, 1.0),
        layout());

    assertEquals(8, report.inputRows());
    assertEquals(2, report.acceptedRows());
    assertEquals(Map.of("BAD_USER_ID", 1L, "BAD_ITEM_ID", 1L, "BAD_RATING", 2L,
        "RATING_OUT_OF_RANGE", 1L, "BAD_TIMESTAMP", 1L), report.rejectedByReason());
    // Unbounded (the default), an infinite rating is still rejected, and 9.0 is accepted.
    IngestReport unbounded = IngestStage.run(spark, input, new IngestSettings(
        Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, 1.0), layout());
    assertEquals(Map.of("BAD_USER_ID", 1L, "BAD_ITEM_ID", 1L, "BAD_RATING", 2L,
        "BAD_TIMESTAMP", 1L), unbounded.rejectedByReason());
    Row badItem = spark.read().parquet(layout().staged().rejects()).filter("reason = 'BAD_ITEM_ID'")
        .first();
    assertEquals(2L, (long) badItem.getAs("source_offset"));
    assertTrue(((String) badItem.getAs("raw_line")).contains("\"iid\":\"abc\""),
        (String) badItem.getAs("raw_line"));
    assertTrue(((String) badItem.getAs("detail")).contains("iid"));

    InputSettings wrong = new InputSettings(path, InputFormat.PARQUET, Optional.empty());
    InputException e = assertThrows(InputException.class, () -> IngestStage.run(spark, wrong,
        new IngestSettings(0.5, 5.0, 1.0), layout()));
    assertTrue(e.getMessage().contains("lacks the column(s) [userId, movieId, rating, "
        + "timestamp]"), e.getMessage());
  }

  @Test
  void stringIdsFromParquetAreTrimmedAndBlankOnesRejected() {
    StructType schema = new StructType().add("userId", DataTypes.StringType)
        .add("movieId", DataTypes.StringType).add("rating", DataTypes.DoubleType)
        .add("timestamp", DataTypes.LongType);
    String path = dir.resolve("strings.parquet").toString();
    spark.createDataFrame(List.of(
        RowFactory.create(" alice ", "tt01", 4.0, 1L),
        RowFactory.create("bob", "tt01", 3.0, 2L),
        RowFactory.create("  ", "tt02", 3.0, 3L),
        RowFactory.create("bob", null, 3.0, 4L)), schema).write().parquet(path);
    InputSettings input = new InputSettings(path, InputFormat.PARQUET, Optional.empty())
        .withIdType(InputSettings.IdType.STRING);

    IngestReport report = IngestStage.run(spark, input, new IngestSettings(0.5, 5.0, 1.0),
        layout());

    assertEquals(Map.of("BAD_USER_ID", 1L, "BAD_ITEM_ID", 1L), report.rejectedByReason());
    Dataset<Row> ratings = spark.read().parquet(layout().ratings());
    assertEquals(DataTypes.StringType, ratings.schema().apply("user_id").dataType());
    assertEquals(List.of("alice", "bob"), ratings.orderBy("user_id").collectAsList().stream()
        .map(r -> r.getString(0)).collect(Collectors.toList()));
  }

  @Test
  void readsLatin1PipeSeparatedTitles() throws Exception {
    write("a.csv", GOOD.getBytes(StandardCharsets.UTF_8));
    Path items = dir.resolve("u.item");
    Files.write(items, ("10|Toy Story (1995)|01-Jan-1995||http://x|0|1\n"
        + "20|Caf\u00e9 \"Society\" (1995)|01-Jan-1995||http://y|1|0\n")
        .getBytes(StandardCharsets.ISO_8859_1));
    InputSettings input = new InputSettings(dir.resolve("in").toString(),
        InputFormat.MOVIELENS_CSV, Optional.empty(), InputSettings.Columns.MOVIELENS,
        Optional.of(items.toString()), InputSettings.ItemsFormat.MOVIELENS_ITEM,
        InputSettings.Delimited.CSV, InputSettings.IdType.INT);

    IngestStage.run(spark, input, new IngestSettings(0.5, 5.0, 0.0), layout());

    List<String> titles = spark.read().parquet(layout().itemTitles()).orderBy("item_id")
        .collectAsList().stream().map(r -> r.getInt(0) + ":" + r.getString(1))
        .collect(Collectors.toList());
    assertEquals(List.of("10:Toy Story (1995)", "20:Caf\u00e9 \"Society\" (1995)"), titles);
  }
}
