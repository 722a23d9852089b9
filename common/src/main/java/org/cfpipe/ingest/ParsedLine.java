package org.cfpipe.ingest;

/**
 * One input line after parsing: a rating, or the reason it was rejected with a detail a person can
 * act on ("rating 7.0 outside [0.5, 5.0]"). Ids are Integer, Long or String as the input's id
 * type says.
 */
public record ParsedLine(
    Object userId, Object itemId, double rating, long timestamp, RejectReason reason,
    String detail) {

  static ParsedLine accepted(Object userId, Object itemId, double rating, long timestamp) {
    return new ParsedLine(userId, itemId, rating, timestamp, null, null);
  }

  static ParsedLine rejected(RejectReason reason, String detail) {
    return new ParsedLine(null, null, Double.NaN, 0L, reason, detail);
  }

  public boolean isAccepted() {
    return reason == null;
  }
}
