package org.cfpipe.train.implicit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.cfpipe.config.RankingSettings;
import org.cfpipe.config.RatingScale;
import org.cfpipe.model.FactorModel;
import org.cfpipe.train.TrainingSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ImplicitAlsTest {
  static final RatingScale STARS = new RatingScale(1, 5, 1);

  /** 8 factors, regularization 0.1 (count-scaled), alpha 1.5, 3 conjugate gradient steps. */
  static RankingSettings settings(int iterations, boolean graded, int threads) {
    return settings(iterations, graded, threads, 3);
  }

  static RankingSettings settings(int iterations, boolean graded, int threads, int cgSteps) {
    return new RankingSettings(true, false, 8, 0.1, true, 1.5, iterations, cgSteps, graded, 42,
        threads, false, 0, 0, 0, 0);
  }

  /** Random ratings of 30 users over 20 items, each pair rated with probability 0.3. */
  static TrainingSet random(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<int[]> pairs = new ArrayList<>();
    for (int u = 0; u < 30; u++) {
      for (int i = 0; i < 20; i++) {
        if (random.nextDouble() < 0.3) {
          pairs.add(new int[] {u, i, 1 + random.nextInt(5)});
        }
      }
    }
    return set(pairs);
  }

  /** (user, item, rating) rows as a training set. */
  static TrainingSet set(List<int[]> rows) {
    int[] users = new int[rows.size()];
    int[] items = new int[rows.size()];
    float[] ratings = new float[rows.size()];
    for (int n = 0; n < rows.size(); n++) {
      users[n] = rows.get(n)[0];
      items[n] = rows.get(n)[1];
      ratings[n] = rows.get(n)[2];
    }
    return new TrainingSet(users, items, ratings);
  }

  /**
   * The item rows of a run are the exact minimum given its user rows (they are solved last):
   * the gradient of each item's objective, written out pair by pair over every user (rated or
   * not), is 0, with the penalty scaled by the item's count of ratings or not; solved exactly,
   * or by as many conjugate gradient steps as factors (exact in exact arithmetic).
   */
  @ParameterizedTest
  @CsvSource({"true, 0", "false, 0", "true, 8", "false, 8"})
  void eachItemRowMinimisesItsObjectiveGivenTheUsers(boolean countScaled, int cgSteps) {
    TrainingSet ratings = random(3);
    RankingSettings base = settings(2, true, 1, cgSteps);
    RankingSettings s = base.with(base.factors(), countScaled ? 0.1 : 2.0, countScaled,
        base.alpha());
    FactorModel model = new ImplicitAls(s, STARS).train(ratings, 30, 20);
    int k = s.factors();
    float[] x = model.userRows();
    float[] y = model.itemRows();
    double[][] preference = new double[30][20];
    int[] count = new int[20];
    for (int n = 0; n < ratings.size(); n++) {
      preference[ratings.users()[n]][ratings.items()[n]] =
          s.preference(ratings.ratings()[n], STARS);
      count[ratings.items()[n]]++;
    }
    double largest = 0;
    for (int i = 0; i < 20; i++) {
      double[] gradient = new double[k];
      for (int u = 0; u < 30; u++) {
        double p = preference[u][i];
        double c = p > 0 ? 1 + s.alpha() * p : 1;
        double dot = 0;
        for (int f = 0; f < k; f++) {
          dot += x[u * k + f] * y[i * k + f];
        }
        for (int f = 0; f < k; f++) {
          gradient[f] += c * (dot - p) * x[u * k + f];
        }
      }
      for (int f = 0; f < k; f++) {
        gradient[f] += s.regularization() * (countScaled ? count[i] : 1) * y[i * k + f];
        largest = Math.max(largest, Math.abs(gradient[f]));
      }
    }
    assertTrue(largest < 1e-5, "largest gradient entry " + largest);
  }

  /**
   * Three conjugate gradient steps a row, started from the row's last value, reach the exact
   * solves' objective (written out pair by pair over every user and item) within 1% after 10
   * iterations.
   */
  @Test
  void threeConjugateGradientStepsReachTheExactSolvesObjective() {
    TrainingSet ratings = random(7);
    RankingSettings exact = settings(10, true, 1, 0);
    RankingSettings cg = settings(10, true, 1, 3);
    double exactLoss = objective(new ImplicitAls(exact, STARS).train(ratings, 30, 20), ratings,
        exact);
    double cgLoss = objective(new ImplicitAls(cg, STARS).train(ratings, 30, 20), ratings, cg);
    assertTrue(cgLoss <= exactLoss * 1.01, "cg " + cgLoss + ", exact " + exactLoss);
  }

  /** Sum over every pair of c (p - x . y)^2, plus each row's count-scaled penalty. */
  private static double objective(FactorModel model, TrainingSet ratings, RankingSettings s) {
    int users = model.users();
    int items = model.items();
    double[][] preference = new double[users][items];
    int[] userCount = new int[users];
    int[] itemCount = new int[items];
    for (int n = 0; n < ratings.size(); n++) {
      preference[ratings.users()[n]][ratings.items()[n]] =
          s.preference(ratings.ratings()[n], STARS);
      userCount[ratings.users()[n]]++;
      itemCount[ratings.items()[n]]++;
    }
    double loss = 0;
    for (int u = 0; u < users; u++) {
      for (int i = 0; i < items; i++) {
        double p = preference[u][i];
        double c = p > 0 ? 1 + s.alpha() * p : 1;
        double error = p - model.predict(u, i);
        loss += c * error * error;
      }
    }
    int k = s.factors();
    for (int u = 0; u < users; u++) {
      for (int f = 0; f < k; f++) {
        loss += s.regularization() * userCount[u] * Math.pow(model.userRows()[u * k + f], 2);
      }
    }
    for (int i = 0; i < items; i++) {
      for (int f = 0; f < k; f++) {
        loss += s.regularization() * itemCount[i] * Math.pow(model.itemRows()[i * k + f], 2);
      }
    }
    return loss;
  }

  /** A rating's graded preference is its place on the scale, counted from a step below. */
  @Test
  void gradedPreferencesFollowTheScale() {
    RankingSettings graded = settings(1, true, 1);
    assertEquals(0.2, graded.preference(1, STARS), 1e-12);
    assertEquals(1.0, graded.preference(5, STARS), 1e-12);
    assertEquals(1.0 / 11, graded.preference(0, new RatingScale(0, 10, 1)), 1e-12);
    assertEquals(0.1, graded.preference(0.5, new RatingScale(0.5, 5, 0.5)), 1e-12);
    assertEquals(1.0, settings(1, false, 1).preference(1, STARS), 1e-12);
  }

  /** Rows are solved independently: the model is the same on one thread or three. */
  @ParameterizedTest
  @ValueSource(ints = {0, 3})
  void theModelDoesNotDependOnTheThreads(int cgSteps) {
    TrainingSet ratings = random(5);
    FactorModel one = new ImplicitAls(settings(3, true, 1, cgSteps), STARS)
        .train(ratings, 30, 20);
    FactorModel three = new ImplicitAls(settings(3, true, 3, cgSteps), STARS)
        .train(ratings, 30, 20);
    assertArrayEquals(one.userRows(), three.userRows());
    assertArrayEquals(one.itemRows(), three.itemRows());
  }

  /**
   * Planted tastes: 4 groups of 50 users and 25 items; a user likes 21 of his group's items,
   * one of them held out at random, the other 20 rated 4 or 5, and rates 4 items of other
   * groups 1 or 2. The held-out item must be in his top 10 of the 76 items he has not rated
   * for at least 90% of the users (his group's 5 unrated items fit in it; a random list holds
   * it for about 13%), and graded preferences must find it at least as often as binary ones,
   * which count his 1s and 2s as much as his 5s; solved exactly or by 3 conjugate gradient
   * steps.
   */
  @ParameterizedTest
  @ValueSource(ints = {0, 3})
  void theHeldOutItemOfAUsersTasteRanksInHisTopTen(int cgSteps) {
    SplittableRandom random = new SplittableRandom(11);
    int groups = 4;
    int users = 200;
    int items = 100;
    List<int[]> rows = new ArrayList<>();
    int[] heldOut = new int[users];
    List<Set<Integer>> rated = new ArrayList<>();
    for (int u = 0; u < users; u++) {
      int group = u % groups;
      Set<Integer> mine = new HashSet<>();
      while (mine.size() < 21) {
        mine.add(group * 25 + random.nextInt(25));
      }
      List<Integer> liked = new ArrayList<>(mine);
      heldOut[u] = liked.remove(random.nextInt(liked.size()));
      Set<Integer> seen = new HashSet<>();
      for (int item : liked) {
        rows.add(new int[] {u, item, 4 + random.nextInt(2)});
        seen.add(item);
      }
      while (seen.size() < 24) {
        int other = random.nextInt(items);
        if (other / 25 != group && seen.add(other)) {
          rows.add(new int[] {u, other, 1 + random.nextInt(2)});
        }
      }
      rated.add(seen);
    }
    TrainingSet ratings = set(rows);
    double graded = hitRate(new ImplicitAls(settings(10, true, 2, cgSteps), STARS)
        .train(ratings, users, items), heldOut, rated);
    double binary = hitRate(new ImplicitAls(settings(10, false, 2, cgSteps), STARS)
        .train(ratings, users, items), heldOut, rated);
    assertTrue(graded >= 0.9, "graded: held-out item in the top 10 for " + graded);
    assertTrue(graded >= binary, "graded " + graded + ", binary " + binary);
  }

  private static double hitRate(FactorModel model, int[] heldOut, List<Set<Integer>> rated) {
    int hits = 0;
    for (int u = 0; u < heldOut.length; u++) {
      double target = model.predict(u, heldOut[u]);
      int above = 0;
      for (int i = 0; i < model.items(); i++) {
        if (i != heldOut[u] && !rated.get(u).contains(i) && model.predict(u, i) > target) {
          above++;
        }
      }
      hits += above < 10 ? 1 : 0;
    }
    return hits / (double) heldOut.length;
  }
}
