package org.cfpipe.config;

import com.typesafe.config.Config;
import java.io.Serializable;

/**
 * Validation of input rows ({@code cfpipe.ingest}).
 *
 * @param ratingMin ratings below are rejected; -infinity when unset (any finite rating passes,
 *     and the scale is taken from the data)
 * @param ratingMax ratings above are rejected; +infinity when unset
 */
public record IngestSettings(double ratingMin, double ratingMax, double maxRejectedFraction,
    Duplicates duplicates) implements Serializable {

  /** Which of several ratings of one (user, item) pair in one input is kept. */
  public enum Duplicates {
    /** The one with the latest timestamp (then the latest file and byte offset). */
    LATEST,
    /** The one with the earliest timestamp (then the earliest file and byte offset). */
    EARLIEST,
    /** All of them. */
    KEEP_ALL
  }

  /** Validation of rows with the default duplicate rule, for callers that only set the range. */
  public IngestSettings(double ratingMin, double ratingMax, double maxRejectedFraction) {
    this(ratingMin, ratingMax, maxRejectedFraction, Duplicates.LATEST);
  }

  public IngestSettings {
    if (!(ratingMin <= ratingMax)) {
      throw new SettingsException("cfpipe.ingest.rating-min (" + ratingMin
          + ") must not exceed cfpipe.ingest.rating-max (" + ratingMax + ")");
    }
  }

  /** Whether the user bounded the ratings (cfpipe.ingest.rating-min or rating-max set). */
  public boolean bounded() {
    return Double.isFinite(ratingMin) || Double.isFinite(ratingMax);
  }

  public static IngestSettings from(Config config) {
    return new IngestSettings(
        Checks.optionalDoubleIn(config, "cfpipe.ingest.rating-min", -1e9, 1e9)
            .orElse(Double.NEGATIVE_INFINITY),
        Checks.optionalDoubleIn(config, "cfpipe.ingest.rating-max", -1e9, 1e9)
            .orElse(Double.POSITIVE_INFINITY),
        Checks.doubleIn(config, "cfpipe.ingest.max-rejected-fraction", 0.0, 1.0),
        Checks.oneOf(config, "cfpipe.ingest.duplicates", Duplicates.class));
  }
}
