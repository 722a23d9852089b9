package org.cfpipe.ingest;

/**
 * One input line after parsing: a rating, or the reason it was rejected with a detail a person can
 * act on ("rating 7.0 outside [0.5, 5.0]").
 */
public record ParsedLine(
    int userId, int itemId, double rating, long timestamp, RejectReason reason, String detail) {

  static ParsedLine accepted(int userId, int itemId, double rating, long timestamp) {
    return new ParsedLine(userId, itemId, rating, timestamp, null, null);
  }

  static ParsedLine rejected(RejectReason reason, String detail) {
    return new ParsedLine(0, 0, Double.NaN, 0L, reason, detail);
  }

  public boolean isAccepted() {
    return reason == null;
  }
}
