package org.cfpipe.ingest;

/**
 * The input cannot be used: a missing, empty or unreadable path, a file not in the configured
 * format, or too many bad rows. The message names the path or file.
 */
public final class InputException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public InputException(String message) {
    super(message);
  }

  public InputException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * The error for a failure while reading {@code path}: an InputException raised where a file
   * was read (it names the file) passes through; anything else is named by its deepest cause.
   */
  static InputException unreadable(String path, String key, String format, Throwable failure) {
    Throwable deepest = failure;
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof InputException input) {
        return input;
      }
      deepest = t;
    }
    return new InputException("cannot read " + path + " (" + key + ") as " + format + ": "
        + deepest, failure);
  }
}
