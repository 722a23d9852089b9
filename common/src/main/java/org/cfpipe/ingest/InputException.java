package org.cfpipe.ingest;

/** The input cannot be used: a missing or empty path, or too many bad rows. Names the path. */
public final class InputException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public InputException(String message) {
    super(message);
  }
}
