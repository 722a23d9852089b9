package org.cfpipe.ingest;

import com.univocity.parsers.csv.CsvParser;
import com.univocity.parsers.csv.CsvParserSettings;
import java.util.Locale;
import org.cfpipe.config.InputSettings.InputFormat;

/**
 * Parses one line of a MovieLens rating file (user, item, rating, timestamp) into a
 * {@link ParsedLine}, using univocity's CSV parser for the field splitting. Not thread-safe: make
 * one per partition.
 */
public final class RatingLineParser {
  static final String MOVIELENS_CSV_HEADER = "userId,movieId,rating,timestamp";
  private static final int COLUMNS = 4;

  private final InputFormat format;
  private final double ratingMin;
  private final double ratingMax;
  private final CsvParser csv;

  public RatingLineParser(InputFormat format, double ratingMin, double ratingMax) {
    this.format = format;
    this.ratingMin = ratingMin;
    this.ratingMax = ratingMax;
    CsvParserSettings settings = new CsvParserSettings();
    settings.getFormat().setDelimiter(switch (format) {
      case MOVIELENS_CSV -> ",";
      case MOVIELENS_TSV -> "\t";
      case MOVIELENS_DAT -> "::";
      case PARQUET -> throw new IllegalArgumentException("Parquet is not read line by line");
    });
    settings.setIgnoreLeadingWhitespaces(true);
    settings.setIgnoreTrailingWhitespaces(true);
    settings.setNullValue("");
    settings.setEmptyValue("");
    settings.setMaxColumns(1024);
    this.csv = new CsvParser(settings);
  }

  /** Whether the line at the start of a file is the format's header rather than a rating. */
  public boolean isHeader(String line) {
    return format == InputFormat.MOVIELENS_CSV
        && line.trim().equalsIgnoreCase(MOVIELENS_CSV_HEADER);
  }

  public ParsedLine parse(String line) {
    if (line.isBlank()) {
      return ParsedLine.rejected(RejectReason.EMPTY_LINE, "empty line");
    }
    String[] fields = csv.parseLine(line);
    if (fields == null || fields.length != COLUMNS) {
      int found = fields == null ? 0 : fields.length;
      return ParsedLine.rejected(RejectReason.WRONG_COLUMN_COUNT,
          "expected " + COLUMNS + " columns (user, item, rating, timestamp), found " + found);
    }
    Integer user = parseId(fields[0]);
    if (user == null) {
      return ParsedLine.rejected(RejectReason.BAD_USER_ID, "user id '" + fields[0]
          + "' is not an integer");
    }
    Integer item = parseId(fields[1]);
    if (item == null) {
      return ParsedLine.rejected(RejectReason.BAD_ITEM_ID, "item id '" + fields[1]
          + "' is not an integer");
    }
    double rating;
    try {
      rating = Double.parseDouble(fields[2]);
    } catch (NumberFormatException | NullPointerException e) {
      return ParsedLine.rejected(RejectReason.BAD_RATING, "rating '" + fields[2]
          + "' is not a number");
    }
    if (!Double.isFinite(rating)) {
      return ParsedLine.rejected(RejectReason.BAD_RATING, "rating '" + fields[2]
          + "' is not finite");
    }
    if (rating < ratingMin || rating > ratingMax) {
      return ParsedLine.rejected(RejectReason.RATING_OUT_OF_RANGE, String.format(Locale.ROOT,
          "rating %s outside [%s, %s] (cfpipe.ingest.rating-min/max)", fields[2], ratingMin,
          ratingMax));
    }
    long timestamp;
    try {
      timestamp = Long.parseLong(fields[3]);
    } catch (NumberFormatException e) {
      return ParsedLine.rejected(RejectReason.BAD_TIMESTAMP, "timestamp '" + fields[3]
          + "' is not an integer");
    }
    return ParsedLine.accepted(user, item, rating, timestamp);
  }

  private static Integer parseId(String field) {
    if (field == null) {
      return null;
    }
    try {
      return Integer.valueOf(field);
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
