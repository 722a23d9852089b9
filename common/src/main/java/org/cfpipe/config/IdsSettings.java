package org.cfpipe.config;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.Optional;

/**
 * Where the encode stage finds the id maps to extend ({@code cfpipe.ids.previous}).
 *
 * @param auto take the newest earlier committed run of the same model under the output directory
 * @param previousRun a run folder ({@code OUTPUT/run_date=DATE/model=NAME}) whose {@code ids/} to
 *     extend; empty with {@code auto} or {@code none}
 * @param minUserRatings users with fewer ratings in this run are left out, with their ratings
 * @param minItemRatings items with fewer ratings in this run are left out, with their ratings
 */
public record IdsSettings(boolean auto, Optional<String> previousRun, int minUserRatings,
    int minItemRatings) implements Serializable {

  /** Fresh maps, fitted on this run's ratings alone, without minimum counts. */
  public static final IdsSettings NONE = new IdsSettings(false, Optional.empty(), 1, 1);

  public static IdsSettings from(Config config) {
    String value = Checks.nonEmpty(config, "cfpipe.ids.previous");
    int minUser = Checks.intIn(config, "cfpipe.ids.min-user-ratings", 1, 1_000_000);
    int minItem = Checks.intIn(config, "cfpipe.ids.min-item-ratings", 1, 1_000_000);
    return switch (value) {
      case "auto" -> new IdsSettings(true, Optional.empty(), minUser, minItem);
      case "none" -> new IdsSettings(false, Optional.empty(), minUser, minItem);
      default -> new IdsSettings(false, Optional.of(value), minUser, minItem);
    };
  }
}
