package org.cfpipe.config;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.Optional;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/** Where the ratings come from and how they are laid out ({@code cfpipe.input}). */
public record InputSettings(String ratings, InputFormat format, Optional<String> validationRatings,
    Columns columns, Optional<String> items, ItemsFormat itemsFormat, Delimited delimited,
    IdType idType) implements Serializable {

  /**
   * The type of the user and item ids ({@code cfpipe.input.id-type}): they keep it in the id maps
   * and the factor tables, so the tables join back to the source on the same type.
   */
  public enum IdType {
    INT(DataTypes.IntegerType),
    LONG(DataTypes.LongType),
    /** Any non-empty text, trimmed. */
    STRING(DataTypes.StringType);

    private final DataType sparkType;

    IdType(DataType sparkType) {
      this.sparkType = sparkType;
    }

    public DataType sparkType() {
      return sparkType;
    }

    public String spelling() {
      return Checks.spelling(this);
    }
  }

  /**
   * A delimited text input ({@code cfpipe.input.delimited}): the delimiter, whether each file
   * starts with a header line, and the 0-based position of each field.
   */
  public record Delimited(String delimiter, boolean header, int user, int item, int rating,
      int timestamp) implements Serializable {
    public static final Delimited CSV = new Delimited(",", false, 0, 1, 2, 3);

    public Delimited {
      if (java.util.stream.IntStream.of(user, item, rating, timestamp).distinct().count() < 4) {
        throw new SettingsException("cfpipe.input.delimited: the user, item, rating and "
            + "timestamp positions must differ, got " + user + ", " + item + ", " + rating
            + ", " + timestamp);
      }
    }
  }

  /** Layouts of the optional items (titles) file. */
  public enum ItemsFormat {
    /** MovieLens movies.csv: movieId,title,genres with a header, quoted titles. */
    MOVIELENS_CSV,
    /** MovieLens ml-100k u.item: pipe separated, Latin-1, no header; id, title, then more. */
    MOVIELENS_ITEM;

    public String spelling() {
      return Checks.spelling(this);
    }
  }

  /** An input with the given column names and no items file. */
  public InputSettings(String ratings, InputFormat format, Optional<String> validationRatings,
      Columns columns) {
    this(ratings, format, validationRatings, columns, Optional.empty(),
        ItemsFormat.MOVIELENS_CSV, Delimited.CSV, IdType.INT);
  }

  /** This input with ids of the given type. */
  public InputSettings withIdType(IdType type) {
    return new InputSettings(ratings, format, validationRatings, columns, items, itemsFormat,
        delimited, type);
  }

  /** Column names of a Parquet input ({@code cfpipe.input.columns}). */
  public record Columns(String user, String item, String rating, String timestamp)
      implements Serializable {
    /** MovieLens's names. */
    public static final Columns MOVIELENS = new Columns("userId", "movieId", "rating",
        "timestamp");
  }

  /** An input with MovieLens's column names. */
  public InputSettings(String ratings, InputFormat format, Optional<String> validationRatings) {
    this(ratings, format, validationRatings, Columns.MOVIELENS);
  }

  /** Layouts of rating files the ingest stage reads. */
  public enum InputFormat {
    /** MovieLens ratings.csv: header userId,movieId,rating,timestamp, comma separated. */
    MOVIELENS_CSV,
    /** MovieLens ml-100k u.data: user, item, rating, timestamp, tab separated, no header. */
    MOVIELENS_TSV,
    /** MovieLens ml-1m and ml-10m ratings.dat: user::item::rating::timestamp, no header. */
    MOVIELENS_DAT,
    /** Parquet files with the columns named by {@code cfpipe.input.columns}. */
    PARQUET,
    /** Text with the delimiter, header and field positions of {@code cfpipe.input.delimited}. */
    DELIMITED;

    public String spelling() {
      return Checks.spelling(this);
    }
  }

  public static InputSettings from(Config config) {
    String ratings = Checks.optional(config, "cfpipe.input.ratings")
        .orElseThrow(() -> new SettingsException(
            "cfpipe.input.ratings is required: give --ratings PATH"));
    return new InputSettings(
        ratings,
        Checks.oneOf(config, "cfpipe.input.format", InputFormat.class),
        Checks.optional(config, "cfpipe.input.validation-ratings"),
        new Columns(
            Checks.nonEmpty(config, "cfpipe.input.columns.user"),
            Checks.nonEmpty(config, "cfpipe.input.columns.item"),
            Checks.nonEmpty(config, "cfpipe.input.columns.rating"),
            Checks.nonEmpty(config, "cfpipe.input.columns.timestamp")),
        Checks.optional(config, "cfpipe.input.items"),
        Checks.oneOf(config, "cfpipe.input.items-format", ItemsFormat.class),
        new Delimited(
            delimiter(config),
            Checks.bool(config, "cfpipe.input.delimited.header"),
            Checks.intIn(config, "cfpipe.input.delimited.user", 0, 1023),
            Checks.intIn(config, "cfpipe.input.delimited.item", 0, 1023),
            Checks.intIn(config, "cfpipe.input.delimited.rating", 0, 1023),
            Checks.intIn(config, "cfpipe.input.delimited.timestamp", 0, 1023)),
        Checks.oneOf(config, "cfpipe.input.id-type", IdType.class));
  }

  /** The delimiter; {@code \t} spelt out stands for a tab. */
  private static String delimiter(Config config) {
    String value = config.getString("cfpipe.input.delimited.delimiter");
    if (value.isEmpty()) {
      throw new SettingsException("cfpipe.input.delimited.delimiter must not be empty");
    }
    return value.replace("\\t", "\t");
  }
}
