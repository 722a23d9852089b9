package org.cfpipe.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
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

  /**
   * The radix sort orders by user, item and rating as a comparison sort does, over ties on
   * every column, indices above 2^16 (both digits) and ratings of both signs.
   */
  @Test
  void orderSortsByUserItemAndRating() {
    SplittableRandom random = new SplittableRandom(3);
    int size = 20_000;
    int[] users = new int[size];
    int[] items = new int[size];
    float[] ratings = new float[size];
    float[] values = {-2.5f, -0f, 0f, 0.5f, 3f, 5f, 1e9f};
    for (int n = 0; n < size; n++) {
      users[n] = random.nextBoolean() ? random.nextInt(40) : 65_000 + random.nextInt(200_000);
      items[n] = random.nextInt(3) == 0 ? random.nextInt(5) : random.nextInt(1 << 20);
      ratings[n] = values[random.nextInt(values.length)];
    }
    int[] expected = IntStream.range(0, size).boxed()
        .sorted(Comparator.<Integer>comparingInt(n -> users[n])
            .thenComparingInt(n -> items[n])
            .thenComparing((a, b) -> Float.compare(ratings[a], ratings[b])))
        .mapToInt(Integer::intValue).toArray();
    int[] order = TrainingSet.order(users, items, ratings, size);
    for (int n = 0; n < size; n++) {
      assertEquals(users[expected[n]], users[order[n]], "user at " + n);
      assertEquals(items[expected[n]], items[order[n]], "item at " + n);
      assertEquals(Float.floatToIntBits(ratings[expected[n]]),
          Float.floatToIntBits(ratings[order[n]]), "rating at " + n);
    }
  }

  @Test
  void byUserReturnsAGroupedSetItself() {
    TrainingSet data = new TrainingSet(new int[] {0, 0, 3}, new int[] {2, 1, 0},
        new float[] {1f, 2f, 3f});

    assertSame(data, data.byUser(4));
  }
}
