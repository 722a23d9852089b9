package org.cfpipe.config;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.Optional;

/** Where the ratings come from and how they are laid out ({@code cfpipe.input}). */
public record InputSettings(String ratings, InputFormat format, Optional<String> validationRatings,
    Columns columns, Optional<String> items, ItemsFormat itemsFormat) implements Serializable {

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
        ItemsFormat.MOVIELENS_CSV);
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
    PARQUET;

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
        Checks.oneOf(config, "cfpipe.input.items-format", ItemsFormat.class));
  }
}
