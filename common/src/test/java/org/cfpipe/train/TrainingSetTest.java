package org.cfpipe.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class TrainingSetTest {

  @Test
  void byUserGroupsTheRatingsAndKeepsEachUsersOrder() {
    TrainingSet data = new TrainingSet(new int[] {2, 0, 2, 1, 0, 2}, new int[] {5, 3, 1, 4, 9, 7},
        new float[] {1f, 2f, 3f, 4f, 5f, 0.5f});

    TrainingSet grouped = data.byUser(4);

    assertArrayEquals(new int[] {0, 0, 1, 2, 2, 2}, grouped.users());
    assertArrayEquals(new int[] {3, 9, 4, 5, 1, 7}, grouped.items());
    assertArrayEquals(new float[] {2f, 5f, 4f, 1f, 3f, 0.5f}, grouped.ratings());
    assertArrayEquals(new int[] {2, 0, 2, 1, 0, 2}, data.users(), "the set itself is unchanged");
  }

  @Test
  void byUserReturnsAGroupedSetItself() {
    TrainingSet data = new TrainingSet(new int[] {0, 0, 3}, new int[] {2, 1, 0},
        new float[] {1f, 2f, 3f});

    assertSame(data, data.byUser(4));
  }
}
