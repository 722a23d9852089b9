package org.cfpipe.config;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;

/**
 * How validation ratings are held out ({@code cfpipe.split}), when no explicit validation file
 * is given.
 *
 * @param cutoffSeconds with {@link Mode#TIME_CUTOFF}: ratings at or after this Unix time
 * @param lastN with {@link Mode#LAST_N}: each user's latest ratings held out
 */
public record SplitSettings(Mode mode, double validationFraction, long seed, long cutoffSeconds,
    int lastN) implements Serializable {

  /** Split modes. */
  public enum Mode {
    /** A seeded random fraction of the ratings. */
    RANDOM,
    /** Every rating at or after a date. */
    TIME_CUTOFF,
    /** Each user's N latest ratings, for users with more than N. */
    LAST_N;

    public String spelling() {
      return Checks.spelling(this);
    }
  }

  /** The seeded random split. */
  public SplitSettings(double validationFraction, long seed) {
    this(Mode.RANDOM, validationFraction, seed, 0, 1);
  }

  public static SplitSettings from(Config config) {
    Mode mode = Checks.oneOf(config, "cfpipe.split.mode", Mode.class);
    long cutoff = 0;
    if (mode == Mode.TIME_CUTOFF) {
      String date = Checks.optional(config, "cfpipe.split.cutoff").orElseThrow(() ->
          new SettingsException("cfpipe.split.cutoff (YYYY-MM-DD) is required with "
              + "cfpipe.split.mode = time-cutoff"));
      try {
        cutoff = LocalDate.parse(date).atStartOfDay(ZoneOffset.UTC).toEpochSecond();
      } catch (DateTimeParseException e) {
        throw new SettingsException("cfpipe.split.cutoff must be YYYY-MM-DD, got '" + date + "'",
            e);
      }
    }
    return new SplitSettings(
        mode,
        Checks.doubleBetween(config, "cfpipe.split.validation-fraction", 0.0, 1.0),
        Checks.anyLong(config, "cfpipe.split.seed"),
        cutoff,
        Checks.intIn(config, "cfpipe.split.last-n", 1, 1_000_000));
  }
}
