package org.cfpipe.ingest;

import com.univocity.parsers.csv.CsvParser;
import com.univocity.parsers.csv.CsvParserSettings;
import java.util.Locale;

/**
 * Parses one line of a rating file (user, item, rating, timestamp, laid out as its
 * {@link LineLayout} says) into a {@link ParsedLine}, using univocity's CSV parser for the field
 * splitting. Not thread-safe: make one per partition.
 */
public final class RatingLineParser {
  private final LineLayout layout;
  private final double ratingMin;
  private final double ratingMax;
  private final CsvParser csv;

  public RatingLineParser(LineLayout layout, double ratingMin, double ratingMax) {
    this.layout = layout;
    this.ratingMin = ratingMin;
    this.ratingMax = ratingMax;
    CsvParserSettings settings = new CsvParserSettings();
    settings.getFormat().setDelimiter(layout.delimiter());
    settings.getFormat().setLineSeparator("\n");
    settings.setIgnoreLeadingWhitespaces(true);
    settings.setIgnoreTrailingWhitespaces(true);
    settings.setNullValue("");
    settings.setEmptyValue("");
    settings.setMaxColumns(1024);
    this.csv = new CsvParser(settings);
  }

  /** Whether the line at the start of a file is the format's header rather than a rating. */
  public boolean isHeader(String line) {
    return layout.isHeader(line);
  }

  public ParsedLine parse(String line) {
    if (line.isBlank()) {
      return ParsedLine.rejected(RejectReason.EMPTY_LINE, "empty line");
    }
    // A line without its newline ends in univocity's end-of-input exception, thrown and caught
    // per line: with the newline the record ends without it, twice as fast (more than half of
    // ingest's time was this exception at 25M ratings). An open quote would take the newline
    // into its field, so a line with a quote is parsed as it is.
    String[] fields = csv.parseLine(line.indexOf('"') < 0 ? line + "\n" : line);
    int found = fields == null ? 0 : fields.length;
    if (layout.exactColumns() ? found != layout.columns() : found < layout.columns()) {
      return ParsedLine.rejected(RejectReason.WRONG_COLUMN_COUNT, "expected "
          + (layout.exactColumns() ? "" : "at least ") + layout.columns()
          + " columns (user, item, rating, timestamp), found " + found);
    }
    String userField = fields[layout.user()];
    String itemField = fields[layout.item()];
    String ratingField = fields[layout.rating()];
    String timeField = fields[layout.timestamp()];
    Object user = parseId(userField);
    if (user == null) {
      return ParsedLine.rejected(RejectReason.BAD_USER_ID, "user id '" + orEmpty(userField)
          + "' is not " + expectedId());
    }
    Object item = parseId(itemField);
    if (item == null) {
      return ParsedLine.rejected(RejectReason.BAD_ITEM_ID, "item id '" + orEmpty(itemField)
          + "' is not " + expectedId());
    }
    double rating;
    try {
      rating = Double.parseDouble(ratingField);
    } catch (NumberFormatException | NullPointerException e) {
      return ParsedLine.rejected(RejectReason.BAD_RATING, "rating '" + ratingField
          + "' is not a number");
    }
    if (!Double.isFinite(rating)) {
      return ParsedLine.rejected(RejectReason.BAD_RATING, "rating '" + ratingField
          + "' is not finite");
    }
    if (rating < ratingMin || rating > ratingMax) {
      return ParsedLine.rejected(RejectReason.RATING_OUT_OF_RANGE, String.format(Locale.ROOT,
          "rating %s outside [%s, %s] (cfpipe.ingest.rating-min/max)", ratingField, ratingMin,
          ratingMax));
    }
    long timestamp;
    try {
      timestamp = Long.parseLong(timeField);
    } catch (NumberFormatException e) {
      return ParsedLine.rejected(RejectReason.BAD_TIMESTAMP, "timestamp '" + timeField
          + "' is not an integer");
    }
    return ParsedLine.accepted(user, item, rating, timestamp);
  }

  /** The id as the layout's id type, or null when it is empty or does not parse. */
  private Object parseId(String field) {
    if (field == null || field.isEmpty()) {
      return null;
    }
    try {
      return switch (layout.idType()) {
        case INT -> Integer.valueOf(field);
        case LONG -> Long.valueOf(field);
        case STRING -> field;
      };
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private String expectedId() {
    return switch (layout.idType()) {
      case INT -> "an integer (cfpipe.input.id-type = int)";
      case LONG -> "a long integer (cfpipe.input.id-type = long)";
      case STRING -> "a non-empty string";
    };
  }

  private static String orEmpty(String field) {
    return field == null ? "" : field;
  }
}
