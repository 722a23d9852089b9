package org.cfpipe.train.implicit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.mllib.evaluation.RankingMetrics;
import org.cfpipe.config.RankingSettings;
import org.cfpipe.config.RatingScale;
import org.cfpipe.model.FactorModel;
import org.cfpipe.spark.SparkFixture;
import org.cfpipe.train.TrainingSet;
import org.junit.jupiter.api.Test;
import scala.Tuple2;

class ImplicitTuningIT extends SparkFixture {
  static final RatingScale STARS = new RatingScale(1, 5, 1);
  /** The defaults of reference.conf, tuned. */
  static final RankingSettings START = new RankingSettings(true, false, 32, 0.1, true, 1.5, 10,
      3, true, 42, 2, true, 10_000_000, 0, 5, 0);

  /** The tuning's NDCG and precision are MLlib RankingMetrics', on lists with misses and ties. */
  @Test
  void theHeldOutMetricsAreRankingMetrics() {
    SplittableRandom random = new SplittableRandom(3);
    List<Tuple2<List<Integer>, List<Integer>>> lists = new ArrayList<>();
    double ndcg = 0;
    double precision = 0;
    for (int u = 0; u < 200; u++) {
      int listed = u % 7 == 0 ? random.nextInt(10) : 10;
      int[] top = IntStream.generate(() -> random.nextInt(40)).distinct().limit(10).toArray();
      int[] relevant = IntStream.generate(() -> random.nextInt(40)).distinct()
          .limit(1 + random.nextInt(15)).sorted().toArray();
      double[] m = ImplicitTuning.metrics(top, listed, relevant);
      ndcg += m[0];
      precision += m[1];
      lists.add(new Tuple2<>(Arrays.stream(top, 0, listed).boxed().toList(),
          Arrays.stream(relevant).boxed().toList()));
    }
    RankingMetrics<Integer> mllib = RankingMetrics.of(JavaSparkContext
        .fromSparkContext(spark.sparkContext()).parallelize(lists, 3));
    assertEquals(mllib.ndcgAt(10), ndcg / 200, 1e-12);
    assertEquals(mllib.precisionAt(10), precision / 200, 1e-12);
  }

  /** The walk's steps: the ladder 1, 3, 10, 30 and so on, from any value. */
  @Test
  void theLadderStepsOneThreeTen() {
    assertEquals(0.3, ImplicitTuning.ladder(0.1, true));
    assertEquals(0.03, ImplicitTuning.ladder(0.1, false));
    assertEquals(3.0, ImplicitTuning.ladder(1.5, true));
    assertEquals(1.0, ImplicitTuning.ladder(1.5, false));
    assertEquals(100.0, ImplicitTuning.ladder(30, true));
    assertEquals(3.0, ImplicitTuning.ladder(10, false));
    assertEquals(0.001, ImplicitTuning.ladder(0.003, false));
  }

  /** The top k skips rated (minus infinity) and unlistable items and breaks ties to the lower
   *  index. */
  @Test
  void theTopKSkipsRatedItemsAndBreaksTiesToTheLowerIndex() {
    double[] scores = {0.5, 2, Double.NEGATIVE_INFINITY, 2, 9, 1, 2, 3};
    boolean[] listable = {true, true, true, true, false, true, true, true};
    int[] top = new int[4];
    assertEquals(4, ImplicitTuning.topK(scores, listable, top));
    assertArrayEquals(new int[] {7, 1, 3, 6}, top);
    int[] wide = new int[10];
    assertEquals(6, ImplicitTuning.topK(scores, listable, wide));
    assertArrayEquals(new int[] {7, 1, 3, 6, 5, 0}, Arrays.copyOf(wide, 6));
  }

  /**
   * Where which items a user rates says nothing of taste (each user rates items drawn by a
   * Zipf popularity, rated 1-5 at random, as the accuracy benchmark's planted shapes), the
   * defaults as they are rank far below the most-rated items on ratings not seen in training;
   * the tuned model must reach at least 95% of their NDCG@10.
   */
  @Test
  void onPopularityAloneTheTunedListsKeepUpWithTheMostRated() {
    Planted data = Planted.popularity(41);
    ImplicitTuning.Result tuning = new ImplicitTuning(START, STARS, 4).choose(data.train,
        data.users, data.items);
    double popular = data.ndcg(ImplicitTuning.mostRatedModel(data.train, data.users,
        data.items));
    double tuned = data.ndcg(chosen(tuning, data));
    double untuned = data.ndcg(new ImplicitAls(START, STARS).train(data.train, data.users,
        data.items));
    assertTrue(untuned < 0.8 * popular, "the defaults untuned: " + untuned + ", most-rated "
        + popular + " (the case this guards)");
    assertTrue(tuned >= 0.95 * popular, "tuned " + tuned + " (" + tuning.chosen() + "), "
        + "most-rated " + popular);
  }

  /**
   * Where users rate what they like (4 groups of users and items), the tuned model must list
   * with at least twice the most-rated items' NDCG@10 on ratings not seen in training, and
   * the choice is the same on a second call.
   */
  @Test
  void onPlantedTastesTheTunedListsPersonalise() {
    Planted data = Planted.tastes(43);
    ImplicitTuning.Result tuning = new ImplicitTuning(START, STARS, 4).choose(data.train,
        data.users, data.items);
    double popular = data.ndcg(ImplicitTuning.mostRatedModel(data.train, data.users,
        data.items));
    double tuned = data.ndcg(chosen(tuning, data));
    assertEquals(ImplicitTuning.IMPLICIT, tuning.chosen().model());
    assertTrue(tuned >= 2 * popular, "tuned " + tuned + ", most-rated " + popular);
    ImplicitTuning.Result again = new ImplicitTuning(START, STARS, 4).choose(data.train,
        data.users, data.items);
    assertEquals(tuning.chosen(), withSeconds(again.chosen(), tuning.chosen().seconds()));
    assertEquals(tuning.tried().size(), again.tried().size());
    assertEquals(data.train.size(), tuning.fitRatings() + tuning.heldRatings());
    double share = tuning.heldRatings() / (double) data.train.size();
    assertTrue(share > 0.17 && share < 0.23, "held out " + share);
  }

  /**
   * Above tuning-max-ratings the tuning fits on a seeded sample of whole users of about that
   * many ratings; its choice, trained on all the ratings, must still keep up with the most-rated
   * items where they are hard to beat (the case above), and the sample is the same on a second
   * call.
   */
  @Test
  void onASampleOfTheUsersTheChoiceStillHolds() {
    Planted data = Planted.popularity(41);
    int cap = data.train.size() / 3;
    RankingSettings capped = START.withTuningMaxRatings(cap);
    ImplicitTuning.UserSample sample = ImplicitTuning.UserSample.of(data.train, data.users, cap,
        capped.seed());
    assertTrue(sample.sampled() && sample.ratedUsers() == data.users, sample.toString());
    assertTrue(sample.ratings().size() > 0.8 * cap && sample.ratings().size() < 1.2 * cap,
        sample.ratings().size() + " ratings sampled for a cap of " + cap);
    int[] all = new int[data.users];
    int[] kept = new int[data.users];
    for (int u : data.train.users()) {
      all[u]++;
    }
    for (int u : sample.ratings().users()) {
      kept[u]++;
    }
    for (int u = 0; u < data.users; u++) {
      assertTrue(kept[u] == 0 || kept[u] == all[u], "user " + u + " cut: " + kept[u] + " of "
          + all[u]);
    }
    assertEquals(sample.users(), (int) IntStream.of(kept).filter(c -> c > 0).count());
    assertSame(data.train, ImplicitTuning.UserSample.of(data.train, data.users,
        data.train.size(), capped.seed()).ratings());

    ImplicitTuning.Result tuning = new ImplicitTuning(capped, STARS, 4).choose(data.train,
        data.users, data.items);
    assertEquals(sample.ratings().size(), tuning.fitRatings() + tuning.heldRatings());
    assertEquals(sample.users(), tuning.sampleUsers());
    double popular = data.ndcg(ImplicitTuning.mostRatedModel(data.train, data.users,
        data.items));
    double tuned = data.ndcg(ImplicitTuning.train(capped, tuning, STARS, data.train,
        data.users, data.items));
    assertTrue(tuned >= 0.95 * popular, "tuned on the sample " + tuned + " ("
        + tuning.chosen() + "), most-rated " + popular);
  }

  private static ImplicitTuning.Candidate withSeconds(ImplicitTuning.Candidate c, double s) {
    return new ImplicitTuning.Candidate(c.model(), c.factors(), c.regularization(),
        c.weighting(), c.alpha(), c.ndcg(), c.precision(), s);
  }

  private static FactorModel chosen(ImplicitTuning.Result tuning, Planted data) {
    return ImplicitTuning.train(START, tuning, STARS, data.train, data.users, data.items);
  }

  /** Training ratings and each user's relevant test items (rated 4 or 5). */
  record Planted(TrainingSet train, List<Set<Integer>> rated, List<int[]> relevant, int users,
      int items) {

    static Planted popularity(long seed) {
      SplittableRandom random = new SplittableRandom(seed);
      int users = 800;
      int items = 400;
      double[] cumulative = new double[items];
      double total = 0;
      for (int i = 0; i < items; i++) {
        total += 1 / Math.pow(i + 1, 0.9);
        cumulative[i] = total;
      }
      List<int[]> train = new ArrayList<>();
      List<Set<Integer>> rated = new ArrayList<>();
      List<int[]> relevant = new ArrayList<>();
      for (int u = 0; u < users; u++) {
        Set<Integer> seen = new HashSet<>();
        List<Integer> test = new ArrayList<>();
        int count = 10 + random.nextInt(30);
        while (seen.size() + test.size() < count) {
          double draw = random.nextDouble() * total;
          int item = -Arrays.binarySearch(cumulative, draw) - 1;
          if (seen.contains(item) || test.contains(item)) {
            continue;
          }
          int rating = 1 + random.nextInt(5);
          if (random.nextInt(5) == 0) {
            if (rating >= 4) {
              test.add(item);
            }
            continue;
          }
          seen.add(item);
          train.add(new int[] {u, item, rating});
        }
        rated.add(seen);
        relevant.add(test.stream().mapToInt(Integer::intValue).sorted().toArray());
      }
      return new Planted(ImplicitAlsTest.set(train), rated, relevant, users, items);
    }

    static Planted tastes(long seed) {
      SplittableRandom random = new SplittableRandom(seed);
      int groups = 4;
      int users = 600;
      int items = 300;
      int perGroup = items / groups;
      List<int[]> train = new ArrayList<>();
      List<Set<Integer>> rated = new ArrayList<>();
      List<int[]> relevant = new ArrayList<>();
      for (int u = 0; u < users; u++) {
        int group = u % groups;
        Set<Integer> liked = new HashSet<>();
        while (liked.size() < 23) {
          liked.add(group * perGroup + random.nextInt(perGroup));
        }
        List<Integer> order = new ArrayList<>(liked);
        order.sort(null);
        int[] test = new int[3];
        for (int t = 0; t < 3; t++) {
          test[t] = order.remove(random.nextInt(order.size()));
        }
        Set<Integer> seen = new HashSet<>(order);
        for (int item : order) {
          train.add(new int[] {u, item, 4 + random.nextInt(2)});
        }
        while (seen.size() < 24) {
          int other = random.nextInt(items);
          if (other / perGroup != group && seen.add(other)) {
            train.add(new int[] {u, other, 1 + random.nextInt(2)});
          }
        }
        rated.add(seen);
        Arrays.sort(test);
        relevant.add(test);
      }
      return new Planted(ImplicitAlsTest.set(train), rated, relevant, users, items);
    }

    /** Mean NDCG@10 over the users with a relevant test item, rated items left out. */
    double ndcg(FactorModel model) {
      boolean[] listable = new boolean[items];
      for (int i : train.items()) {
        listable[i] = true;
      }
      double sum = 0;
      int counted = 0;
      for (int u = 0; u < users; u++) {
        int[] truth = Arrays.stream(relevant.get(u)).filter(i -> listable[i]).toArray();
        if (truth.length == 0) {
          continue;
        }
        double[] scores = new double[items];
        for (int i = 0; i < items; i++) {
          scores[i] = rated.get(u).contains(i) ? Double.NEGATIVE_INFINITY : model.predict(u, i);
        }
        int[] top = new int[10];
        int listed = ImplicitTuning.topK(scores, listable, top);
        sum += ImplicitTuning.metrics(top, listed, truth)[0];
        counted++;
      }
      return sum / counted;
    }
  }
}
