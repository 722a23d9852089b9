package org.cfpipe.config;

import com.typesafe.config.Config;
import java.io.Serializable;

/** Validation of input rows ({@code cfpipe.ingest}). */
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
    if (!(ratingMin < ratingMax)) {
      throw new SettingsException("cfpipe.ingest.rating-min (" + ratingMin
          + ") must be below cfpipe.ingest.rating-max (" + ratingMax + ")");
    }
  }

  public static IngestSettings from(Config config) {
    return new IngestSettings(
        Checks.doubleIn(config, "cfpipe.ingest.rating-min", -1e9, 1e9),
        Checks.doubleIn(config, "cfpipe.ingest.rating-max", -1e9, 1e9),
        Checks.doubleIn(config, "cfpipe.ingest.max-rejected-fraction", 0.0, 1.0),
        Checks.oneOf(config, "cfpipe.ingest.duplicates", Duplicates.class));
  }
}
