package org.cfpipe.config;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.Optional;

/** Where the ratings come from and how they are laid out ({@code cfpipe.input}). */
public record InputSettings(String ratings, InputFormat format, Optional<String> validationRatings)
    implements Serializable {

  /** Layouts of rating files the ingest stage reads. */
  public enum InputFormat {
    /** MovieLens ratings.csv: header userId,movieId,rating,timestamp, comma separated. */
    MOVIELENS_CSV,
    /** MovieLens ml-100k u.data: user, item, rating, timestamp, tab separated, no header. */
    MOVIELENS_TSV,
    /** MovieLens ml-1m and ml-10m ratings.dat: user::item::rating::timestamp, no header. */
    MOVIELENS_DAT;

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
        Checks.optional(config, "cfpipe.input.validation-ratings"));
  }
}
