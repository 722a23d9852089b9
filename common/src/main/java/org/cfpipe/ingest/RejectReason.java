package org.cfpipe.ingest;

/** Why an input line was not accepted as a rating. Stored by name in the rejects table. */
public enum RejectReason {
  EMPTY_LINE,
  WRONG_COLUMN_COUNT,
  BAD_ENCODING,
  BAD_USER_ID,
  BAD_ITEM_ID,
  BAD_RATING,
  RATING_OUT_OF_RANGE,
  BAD_TIMESTAMP,
  /** Another rating of the same (user, item) in the same input was kept instead. */
  DUPLICATE_RATING
}
