package org.cfpipe.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.cfpipe.config.InputSettings.InputFormat;
import org.junit.jupiter.api.Test;

class RatingLineParserTest {
  private final RatingLineParser csv = new RatingLineParser(InputFormat.MOVIELENS_CSV, 0.5, 5.0);
  private final RatingLineParser tsv = new RatingLineParser(InputFormat.MOVIELENS_TSV, 1, 5);

  @Test
  void parsesMovieLensCsvAndTsv() {
    assertEquals(new ParsedLine(1, 31, 2.5, 1260759144L, null, null),
        csv.parse("1,31,2.5,1260759144"));
    assertEquals(new ParsedLine(196, 242, 3.0, 881250949L, null, null),
        tsv.parse("196\t242\t3\t881250949"));
  }

  @Test
  void recognisesOnlyTheCsvHeader() {
    assertTrue(csv.isHeader("userId,movieId,rating,timestamp"));
    assertFalse(csv.isHeader("1,31,2.5,1260759144"));
    assertFalse(tsv.isHeader("userId,movieId,rating,timestamp"));
  }

  @Test
  void rejectsEveryKindOfBadLineWithItsReason() {
    assertEquals(RejectReason.EMPTY_LINE, csv.parse("  ").reason());
    assertEquals(RejectReason.WRONG_COLUMN_COUNT, csv.parse("1,31,2.5").reason());
    assertEquals(RejectReason.WRONG_COLUMN_COUNT, csv.parse("1,31,2.5,1,extra").reason());
    assertEquals(RejectReason.WRONG_COLUMN_COUNT, tsv.parse("1,31,2.5,1").reason());
    assertEquals(RejectReason.BAD_USER_ID, csv.parse("u1,31,2.5,1").reason());
    assertEquals(RejectReason.BAD_USER_ID, csv.parse(",31,2.5,1").reason());
    assertEquals(RejectReason.BAD_ITEM_ID, csv.parse("1,3.1,2.5,1").reason());
    assertEquals(RejectReason.BAD_RATING, csv.parse("1,31,good,1").reason());
    assertEquals(RejectReason.BAD_RATING, csv.parse("1,31,NaN,1").reason());
    assertEquals(RejectReason.BAD_RATING, csv.parse("1,31,Infinity,1").reason());
    assertEquals(RejectReason.RATING_OUT_OF_RANGE, csv.parse("1,31,5.5,1").reason());
    assertEquals(RejectReason.RATING_OUT_OF_RANGE, csv.parse("1,31,0,1").reason());
    assertEquals(RejectReason.BAD_TIMESTAMP, csv.parse("1,31,2.5,yesterday").reason());
    assertEquals(RejectReason.BAD_TIMESTAMP, csv.parse("1,31,2.5,").reason());
  }

  @Test
  void detailsSayWhatWasWrong() {
    assertEquals("rating 7 outside [0.5, 5.0] (cfpipe.ingest.rating-min/max)",
        csv.parse("1,2,7,3").detail());
    assertEquals("expected 4 columns (user, item, rating, timestamp), found 3",
        csv.parse("1,2,3").detail());
  }
}
