package org.cfpipe.ingest;

import java.io.Serializable;
import org.cfpipe.config.InputSettings;
import org.cfpipe.config.InputSettings.Delimited;
import org.cfpipe.config.InputSettings.IdType;

/**
 * How a text line holds a rating: the delimiter, the header line a file may start with, and the
 * position of each field.
 *
 * @param header the exact header to skip at the start of a file, or null
 * @param skipFirstLine skip the first line of every file whatever it says
 * @param exactColumns lines must have exactly the four fields (MovieLens formats); otherwise at
 *     least as many as the highest position needs
 * @param idType how the user and item fields parse
 */
public record LineLayout(String delimiter, String header, boolean skipFirstLine,
    boolean exactColumns, int user, int item, int rating, int timestamp, IdType idType)
    implements Serializable {

  static final String MOVIELENS_CSV_HEADER = "userId,movieId,rating,timestamp";

  public static LineLayout of(InputSettings input) {
    return switch (input.format()) {
      case MOVIELENS_CSV -> movielens(",", MOVIELENS_CSV_HEADER, input.idType());
      case MOVIELENS_TSV -> movielens("\t", null, input.idType());
      case MOVIELENS_DAT -> movielens("::", null, input.idType());
      case DELIMITED -> {
        Delimited d = input.delimited();
        yield new LineLayout(d.delimiter(), null, d.header(), false, d.user(), d.item(),
            d.rating(), d.timestamp(), input.idType());
      }
      case PARQUET -> throw new IllegalArgumentException("Parquet is not read line by line");
    };
  }

  private static LineLayout movielens(String delimiter, String header, IdType idType) {
    return new LineLayout(delimiter, header, false, true, 0, 1, 2, 3, idType);
  }

  /** Fields a line needs. */
  int columns() {
    return Math.max(Math.max(user, item), Math.max(rating, timestamp)) + 1;
  }

  /** Whether the first line of a file is a header rather than a rating. */
  boolean isHeader(String firstLine) {
    return skipFirstLine || (header != null && firstLine.trim().equalsIgnoreCase(header));
  }
}
