package org.cfpipe.config;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.Optional;

/**
 * Where the encode stage finds the id maps to extend ({@code cfpipe.ids.previous}).
 *
 * @param auto take the newest earlier run date under the output directory that has id maps
 * @param previousRun a run directory ({@code OUTPUT/run_date=DATE}) whose {@code ids/} to extend;
 *     empty with {@code auto} or {@code none}
 */
public record IdsSettings(boolean auto, Optional<String> previousRun) implements Serializable {

  /** Fresh maps, fitted on this run's ratings alone. */
  public static final IdsSettings NONE = new IdsSettings(false, Optional.empty());

  public static IdsSettings from(Config config) {
    String value = Checks.nonEmpty(config, "cfpipe.ids.previous");
    return switch (value) {
      case "auto" -> new IdsSettings(true, Optional.empty());
      case "none" -> NONE;
      default -> new IdsSettings(false, Optional.of(value));
    };
  }
}
