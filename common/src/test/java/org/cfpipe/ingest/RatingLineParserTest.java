package org.cfpipe.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.cfpipe.config.InputSettings;
import org.cfpipe.config.InputSettings.InputFormat;
import org.junit.jupiter.api.Test;

class RatingLineParserTest {
  private final RatingLineParser csv = parser(InputFormat.MOVIELENS_CSV, 0.5, 5.0);
  private final RatingLineParser tsv = parser(InputFormat.MOVIELENS_TSV, 1, 5);

  private static RatingLineParser parser(InputFormat format, double min, double max) {
    return new RatingLineParser(LineLayout.of(new InputSettings("x", format, Optional.empty())),
        min, max);
  }

  @Test
  void delimitedLinesFollowTheConfiguredDelimiterAndPositions() {
    // item;extra;user;timestamp;rating with a header line.
    LineLayout layout = LineLayout.of(new InputSettings("x", InputFormat.DELIMITED,
        Optional.empty(), InputSettings.Columns.MOVIELENS, Optional.empty(),
        InputSettings.ItemsFormat.MOVIELENS_CSV,
        new InputSettings.Delimited(";", true, 2, 0, 4, 3), InputSettings.IdType.INT));
    RatingLineParser delimited = new RatingLineParser(layout, 0.5, 5.0);

    assertTrue(delimited.isHeader("anything at all"));
    assertEquals(new ParsedLine(7, 42, 4.5, 1000L, null, null),
        delimited.parse("42;note;7;1000;4.5"));
    assertEquals(new ParsedLine(7, 42, 4.5, 1000L, null, null),
        delimited.parse("42;note;7;1000;4.5;more"));
    assertEquals(RejectReason.WRONG_COLUMN_COUNT, delimited.parse("42;note;7;1000").reason());
    assertTrue(delimited.parse("42;note;7").detail().contains("at least 5 columns"));
  }

  @Test
  void idsParseAsTheConfiguredType() {
    InputSettings base = new InputSettings("x", InputFormat.MOVIELENS_TSV, Optional.empty());
    RatingLineParser longs = new RatingLineParser(
        LineLayout.of(base.withIdType(InputSettings.IdType.LONG)), 1, 5);
    RatingLineParser strings = new RatingLineParser(
        LineLayout.of(base.withIdType(InputSettings.IdType.STRING)), 1, 5);

    assertEquals(new ParsedLine(8_000_000_000L, 42L, 3.0, 7L, null, null),
        longs.parse("8000000000\t42\t3\t7"));
    assertEquals(RejectReason.BAD_USER_ID, tsv.parse("8000000000\t42\t3\t7").reason());
    assertEquals(new ParsedLine("alice", "tt0114709", 3.0, 7L, null, null),
        strings.parse(" alice \ttt0114709\t3\t7"));
    assertEquals(RejectReason.BAD_ITEM_ID, strings.parse("alice\t \t3\t7").reason());
    assertEquals("item id '' is not a non-empty string",
        strings.parse("alice\t\t3\t7").detail());
    assertEquals("user id 'u1' is not an integer (cfpipe.input.id-type = int)",
        tsv.parse("u1\t2\t3\t4").detail());
  }

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
