package org.cfpipe.ingest;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapreduce.InputSplit;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;
import org.apache.hadoop.mapreduce.lib.input.FileInputFormat;
import org.apache.hadoop.mapreduce.lib.input.TextInputFormat;
import org.apache.spark.api.java.JavaNewHadoopRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cfpipe.config.InputSettings.IdType;
import scala.Tuple2;

/**
 * Reads rating files line by line through Hadoop's TextInputFormat (any FileSystem, gzip and bzip2
 * transparently; a directory or a glob reads every file in it) and parses every line. Each output
 * row carries the file, the byte offset and the text of its line, so a rejected row can be found
 * in its file; a header line at the start of a file is skipped (LineLayout).
 */
public final class RatingsReader implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * Accepted and rejected rows together, with ids of the given type; {@code reject_reason} is null
   * on accepted ones.
   */
  public static StructType parsedSchema(IdType idType) {
    return new StructType()
        .add("user_id", idType.sparkType(), true)
        .add("item_id", idType.sparkType(), true)
        .add("rating", DataTypes.DoubleType, true)
        .add("timestamp", DataTypes.LongType, true)
        .add("source_file", DataTypes.StringType, false)
        .add("source_offset", DataTypes.LongType, false)
        .add("raw_line", DataTypes.StringType, true)
        .add("reject_reason", DataTypes.StringType, true)
        .add("reject_detail", DataTypes.StringType, true);
  }

  private final LineLayout layout;
  private final double ratingMin;
  private final double ratingMax;

  public RatingsReader(LineLayout layout, double ratingMin, double ratingMax) {
    this.layout = layout;
    this.ratingMin = ratingMin;
    this.ratingMax = ratingMax;
  }

  /** Every line of the files under {@code path}, parsed; see {@link #parsedSchema}. */
  public Dataset<Row> read(SparkSession spark, String path) {
    Configuration conf = new Configuration(spark.sparkContext().hadoopConfiguration());
    // A date-partitioned drop folder (drops/date=2024-05-01/ratings.csv) is read from its root.
    conf.setBoolean(FileInputFormat.INPUT_DIR_RECURSIVE, true);
    // JavaSparkContext.newAPIHadoopFile returns a JavaNewHadoopRDD, which can see its input split.
    JavaNewHadoopRDD<LongWritable, Text> lines = (JavaNewHadoopRDD<LongWritable, Text>)
        JavaSparkContext.fromSparkContext(spark.sparkContext())
            .newAPIHadoopFile(path, TextInputFormat.class, LongWritable.class, Text.class, conf);
    JavaRDD<Row> rows = lines.mapPartitionsWithInputSplit(this::parsePartition, false);
    return spark.createDataFrame(rows, parsedSchema(layout.idType()));
  }

  private Iterator<Row> parsePartition(InputSplit split, Iterator<Tuple2<LongWritable, Text>> in) {
    String file = ((FileSplit) split).getPath().toString();
    RatingLineParser parser = new RatingLineParser(layout, ratingMin, ratingMax);
    CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    return new Iterator<>() {
      private Row next = advance();

      @Override
      public boolean hasNext() {
        return next != null;
      }

      @Override
      public Row next() {
        Row row = next;
        next = advance();
        return row;
      }

      /** Whether the file has another line; a read failure (a truncated .gz) names the file. */
      private boolean more() {
        try {
          return in.hasNext();
        } catch (Exception e) {
          // Hadoop's IOException, undeclared through Scala's Iterator.
          throw new InputException("cannot read " + file + ": " + e, e);
        }
      }

      private Row advance() {
        while (more()) {
          Tuple2<LongWritable, Text> pair = in.next();
          long offset = pair._1().get();
          // Hadoop reuses the Text object: copy out before the next record.
          byte[] bytes = pair._2().copyBytes();
          String line;
          try {
            line = utf8.decode(ByteBuffer.wrap(bytes)).toString();
          } catch (CharacterCodingException e) {
            String lenient = new String(bytes, StandardCharsets.UTF_8);
            return RowFactory.create(null, null, null, null, file, offset, lenient,
                RejectReason.BAD_ENCODING.name(), "line is not valid UTF-8");
          }
          if (offset == 0 && parser.isHeader(line)) {
            continue;
          }
          ParsedLine parsed = parser.parse(line);
          if (parsed.isAccepted()) {
            return RowFactory.create(parsed.userId(), parsed.itemId(), parsed.rating(),
                parsed.timestamp(), file, offset, line, null, null);
          }
          return RowFactory.create(null, null, null, null, file, offset, line,
              parsed.reason().name(), parsed.detail());
        }
        return null;
      }
    };
  }
}
