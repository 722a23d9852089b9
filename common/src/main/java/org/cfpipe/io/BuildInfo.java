package org.cfpipe.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * What built the running code: the Maven version and the git commit, from
 * {@code cfpipe-build.properties}, which Maven fills in. "unknown" where the build could not
 * tell (a source tree without .git).
 *
 * @param dirty whether the working tree had uncommitted changes when it was built
 */
public record BuildInfo(String version, String commit, boolean dirty) {

  public static BuildInfo current() {
    Properties properties = new Properties();
    try (InputStream in = BuildInfo.class.getResourceAsStream("/cfpipe-build.properties")) {
      if (in != null) {
        properties.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read cfpipe-build.properties", e);
    }
    return new BuildInfo(value(properties, "version"), value(properties, "commit"),
        Boolean.parseBoolean(value(properties, "dirty")));
  }

  /** The property, or "unknown" when absent or left unfilled. */
  private static String value(Properties properties, String key) {
    String value = properties.getProperty(key, "").trim();
    return value.isEmpty() || value.startsWith("${") ? "unknown" : value;
  }
}
