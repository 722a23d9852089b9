package org.cfpipe.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.io.File;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Resolves the configuration of a run: {@code --set} overrides, then the environment file given
 * with {@code --conf}, then {@code reference.conf}. A key that {@code reference.conf} does not
 * declare is rejected, so a misspelt setting fails instead of being ignored.
 */
public final class ConfigLoader {
  static final String ROOT = "cfpipe";
  /** Spark properties passed through to spark-submit: any key is allowed under it. */
  static final String OPEN_MAP = "cfpipe.submit.spark-conf";
  private static final Pattern SECRET_KEY =
      Pattern.compile("(?i)(password|secret|token|credential|access-key)");

  private ConfigLoader() {}

  /**
   * @param confFile optional HOCON file (local path)
   * @param overrides "key=value" pairs; values are strings, converted by the typed getters,
   *     but for a key that reference.conf declares a list, whose value is read as HOCON
   *     ("[10, 20]")
   */
  public static Config load(Optional<File> confFile, List<String> overrides) {
    Config reference = ConfigFactory.defaultReference();
    Config user = ConfigFactory.empty();
    for (String override : overrides) {
      int eq = override.indexOf('=');
      if (eq <= 0) {
        throw new SettingsException("--set expects key=value, got '" + override + "'");
      }
      String key = override.substring(0, eq).trim();
      String value = override.substring(eq + 1).trim();
      try {
        user = user.withValue(key, isList(reference, key) ? list(key, value)
            : ConfigValueFactory.fromAnyRef(value, "--set " + key));
      } catch (ConfigException.BadPath e) {
        throw new SettingsException("--set has a malformed key '" + key + "'", e);
      }
    }
    if (confFile.isPresent()) {
      File file = confFile.get();
      if (!file.isFile()) {
        throw new SettingsException("--conf file not found: " + file);
      }
      try {
        user = user.withFallback(
            ConfigFactory.parseFile(file, ConfigParseOptions.defaults().setAllowMissing(false)));
      } catch (ConfigException e) {
        throw new SettingsException("cannot read --conf " + file + ": " + e.getMessage(), e);
      }
    }
    rejectUnknownKeys(user, reference);
    try {
      return user.withFallback(reference).resolve();
    } catch (ConfigException e) {
      throw new SettingsException(e.getMessage(), e);
    }
  }

  private static boolean isList(Config reference, String key) {
    return reference.hasPath(key)
        && reference.getValue(key).valueType() == ConfigValueType.LIST;
  }

  /** A --set value for a list key, as HOCON: a list, or a single value the getter reads. */
  private static ConfigValue list(String key, String value) {
    try {
      return ConfigFactory.parseString("value = " + value,
          ConfigParseOptions.defaults().setOriginDescription("--set " + key)).getValue("value");
    } catch (ConfigException e) {
      throw new SettingsException("--set " + key + " must be a value or a list of values, got "
          + value, e);
    }
  }

  /**
   * The resolved {@code cfpipe} tree as formatted JSON, for logs and run metadata, with the value
   * of any key that looks like a credential replaced by "***".
   */
  public static String redactedRender(Config config) {
    Config tree = config.getConfig(ROOT);
    for (Map.Entry<String, ?> entry : tree.entrySet()) {
      if (SECRET_KEY.matcher(entry.getKey()).find()) {
        tree = tree.withValue(entry.getKey(), ConfigValueFactory.fromAnyRef("***"));
      }
    }
    return tree.root().render(ConfigRenderOptions.concise().setFormatted(true));
  }

  private static void rejectUnknownKeys(Config user, Config reference) {
    for (Map.Entry<String, ?> entry : user.entrySet()) {
      String key = entry.getKey();
      if (key.startsWith(OPEN_MAP + ".")) {
        continue;
      }
      if (!key.startsWith(ROOT + ".") || !reference.hasPathOrNull(key)) {
        throw new SettingsException(
            "unknown setting '" + key + "' (every setting is declared in reference.conf)");
      }
    }
  }
}
