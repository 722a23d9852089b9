package org.cfpipe.train.gibbs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/** Chunks of rows with about as many ratings each. */
class GibbsSideTest {

  @Test
  void aChunkEndsAtItsRatingsOrItsRows() {
    // Rows of 5, 5, 1, 1, 1, 1, 1 and 0 ratings.
    int[] start = {0, 5, 10, 11, 12, 13, 14, 15, 15};
    assertArrayEquals(new int[] {0, 1, 2, 5, 8}, GibbsSide.ratingChunks(start, 3, 4));
    assertArrayEquals(new int[] {0, 2, 8}, GibbsSide.ratingChunks(start, 100, 10));
    assertArrayEquals(new int[] {0, 8}, GibbsSide.ratingChunks(start, 100, 1000));
  }

  @Test
  void noRowsOneEmptyChunk() {
    assertArrayEquals(new int[] {0, 0}, GibbsSide.ratingChunks(new int[] {0}, 3, 4));
  }
}
