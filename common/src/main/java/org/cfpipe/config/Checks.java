package org.cfpipe.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Typed, range-checked reads of settings. Every failure names the full key and the allowed range,
 * so a bad value reads as "cfpipe.train.epochs must be in [1, 100000], got 0".
 */
final class Checks {
  private Checks() {}

  static int intIn(Config config, String key, int min, int max) {
    int value = read(key, () -> config.getInt(key));
    if (value < min || value > max) {
      throw outOfRange(key, "[" + min + ", " + max + "]", value);
    }
    return value;
  }

  static long anyLong(Config config, String key) {
    return read(key, () -> config.getLong(key));
  }

  /** A double in the closed range [min, max]. */
  static double doubleIn(Config config, String key, double min, double max) {
    double value = read(key, () -> config.getDouble(key));
    if (!(value >= min && value <= max)) {
      throw outOfRange(key, "[" + min + ", " + max + "]", value);
    }
    return value;
  }

  /** An optional double in [min, max]: empty when the key is null in the configuration. */
  static java.util.OptionalDouble optionalDoubleIn(Config config, String key, double min,
      double max) {
    return config.getIsNull(key) ? java.util.OptionalDouble.empty()
        : java.util.OptionalDouble.of(doubleIn(config, key, min, max));
  }

  /** A double in the open range (min, max). */
  static double doubleBetween(Config config, String key, double min, double max) {
    double value = read(key, () -> config.getDouble(key));
    if (!(value > min && value < max)) {
      throw outOfRange(key, "(" + min + ", " + max + ")", value);
    }
    return value;
  }

  static boolean bool(Config config, String key) {
    return read(key, () -> config.getBoolean(key));
  }

  static String nonEmpty(Config config, String key) {
    String value = read(key, () -> config.getString(key)).trim();
    if (value.isEmpty()) {
      throw new SettingsException(key + " must not be empty");
    }
    return value;
  }

  /** An optional string: absent when the key is null in the configuration. */
  static Optional<String> optional(Config config, String key) {
    if (config.getIsNull(key)) {
      return Optional.empty();
    }
    String value = read(key, () -> config.getString(key)).trim();
    return value.isEmpty() ? Optional.empty() : Optional.of(value);
  }

  /** One of an enum's values, spelt in lower case with dashes (movielens-csv, one-cycle). */
  static <E extends Enum<E>> E oneOf(Config config, String key, Class<E> type) {
    String value = nonEmpty(config, key);
    for (E candidate : type.getEnumConstants()) {
      if (spelling(candidate).equals(value)) {
        return candidate;
      }
    }
    String allowed = Arrays.stream(type.getEnumConstants())
        .map(Checks::spelling)
        .reduce((a, b) -> a + ", " + b)
        .orElse("");
    throw new SettingsException(key + " must be one of " + allowed + ", got '" + value + "'");
  }

  static String spelling(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  private static <T> T read(String key, Supplier<T> getter) {
    try {
      return getter.get();
    } catch (ConfigException.Missing e) {
      throw new SettingsException(key + " is required", e);
    } catch (ConfigException e) {
      throw new SettingsException(key + ": " + e.getMessage(), e);
    }
  }

  private static SettingsException outOfRange(String key, String range, Object value) {
    return new SettingsException(key + " must be in " + range + ", got " + value);
  }
}
