package org.cfpipe.config;

import com.typesafe.config.Config;
import java.io.Serializable;

/** Validation of input rows ({@code cfpipe.ingest}). */
public record IngestSettings(double ratingMin, double ratingMax, double maxRejectedFraction)
    implements Serializable {

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
        Checks.doubleIn(config, "cfpipe.ingest.max-rejected-fraction", 0.0, 1.0));
  }
}
