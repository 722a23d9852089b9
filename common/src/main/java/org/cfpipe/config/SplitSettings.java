package org.cfpipe.config;

import com.typesafe.config.Config;
import java.io.Serializable;

/** The seeded random train/validation split ({@code cfpipe.split}). */
public record SplitSettings(double validationFraction, long seed) implements Serializable {

  public static SplitSettings from(Config config) {
    return new SplitSettings(
        Checks.doubleBetween(config, "cfpipe.split.validation-fraction", 0.0, 1.0),
        Checks.anyLong(config, "cfpipe.split.seed"));
  }
}
