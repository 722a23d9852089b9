package org.cfpipe.train.gibbs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.cfpipe.config.ConfigLoader;
import org.cfpipe.config.PipelineSettings;
import org.cfpipe.config.SettingsException;
import org.cfpipe.ingest.PlantedRatings;
import org.cfpipe.model.ErrorStats;
import org.cfpipe.model.FactorModel;
import org.cfpipe.train.MemoryCheckpoints;
import org.cfpipe.train.TrainResult;
import org.cfpipe.train.TrainingSet;
import org.cfpipe.train.TrainingSets;
import org.junit.jupiter.api.Test;

/** The Gibbs sampler on planted-factor ratings, where the best reachable RMSE is known. */
class GibbsSamplerTest {
  private static final int USERS = 200;
  private static final int ITEMS = 150;
  private static final int TRAIN = 60_000;
  private static final int VALID = 10_000;
  private static final PlantedRatings.Sample PLANTED =
      PlantedRatings.generate(USERS, ITEMS, TRAIN + VALID, 4, 0.5, 11);

  static PipelineSettings settings(String... sets) {
    List<String> all = new ArrayList<>(List.of("cfpipe.input.ratings=planted",
        "cfpipe.train.engine=gibbs", "cfpipe.model.y-range.enabled=false",
        "cfpipe.model.factors=4"));
    all.addAll(List.of(sets));
    return PipelineSettings.from(ConfigLoader.load(Optional.empty(), all), "2024-01-01");
  }

  private static TrainResult<FactorModel> sample(PipelineSettings s, int train, int valid) {
    return new GibbsSampler(s.model(), s.train()).train(
        TrainingSets.slice(PLANTED, 0, train),
        TrainingSets.slice(PLANTED, TRAIN, TRAIN + valid), USERS, ITEMS);
  }

  @Test
  void thePosteriorMeanReachesTheNoiseFloorOnPlantedFactors() {
    double floor = PLANTED.oracleRmse(TRAIN, TRAIN + VALID);
    TrainResult<FactorModel> result = sample(settings("cfpipe.train.gibbs.sweeps=150",
        "cfpipe.train.gibbs.burn-in=50", "cfpipe.model.global-mean=true"), TRAIN, VALID);

    double rmse = result.last().validRmse();
    assertTrue(rmse <= 1.03 * floor, "validation RMSE " + rmse + " not within 3% of the noise "
        + "floor " + floor);
    // The model returned is the one whose RMSE the last sweep reports: the posterior mean.
    ErrorStats kept = ErrorStats.of(result.model(), slice(PLANTED.users()),
        slice(PLANTED.items()), slice(PLANTED.ratings()));
    assertEquals(rmse, kept.rmse(), 1e-6);
    assertEquals(150, result.history().size());
  }

  @Test
  void theDotModelHasNoBiasesAndNoOffset() {
    TrainResult<FactorModel> result = sample(settings("cfpipe.model.type=dot",
        "cfpipe.train.gibbs.sweeps=20", "cfpipe.train.gibbs.burn-in=10"), 5_000, 1_000);
    assertEquals(4, result.model().rowWidth());
    assertEquals(0.0, result.model().offset());
    assertTrue(result.last().trainLoss() < result.history().get(0).trainLoss());
  }

  @Test
  void theChainDoesNotDependOnTheNumberOfThreads() {
    TrainResult<FactorModel> one = sample(settings("cfpipe.train.gibbs.sweeps=8",
        "cfpipe.train.gibbs.burn-in=4", "cfpipe.train.threads=1"), 20_000, 1_000);
    TrainResult<FactorModel> two = sample(settings("cfpipe.train.gibbs.sweeps=8",
        "cfpipe.train.gibbs.burn-in=4", "cfpipe.train.threads=2"), 20_000, 1_000);
    assertArrayEquals(one.model().userRows(), two.model().userRows());
    assertArrayEquals(one.model().itemRows(), two.model().itemRows());
  }

  @Test
  void resumingAfterACrashContinuesTheSameChain() {
    // 20 sweeps: a checkpoint after each one (every sweeps / 20).
    assertResumesExactly(settings("cfpipe.train.gibbs.sweeps=20", "cfpipe.train.gibbs.burn-in=5",
        "cfpipe.model.global-mean=true"), 7);
  }

  @Test
  void chainsAreRotatedOntoEachOtherAndAveraged() {
    String[] common = {"cfpipe.train.gibbs.sweeps=40", "cfpipe.train.gibbs.burn-in=20"};
    TrainResult<FactorModel> one = sample(settings(common), 20_000, VALID);
    TrainResult<FactorModel> three = sample(settings(append(common,
        "cfpipe.train.gibbs.chains=3")), 20_000, VALID);
    TrainResult<FactorModel> unaligned = sample(settings(append(common,
        "cfpipe.train.gibbs.chains=3", "cfpipe.train.gibbs.align-samples=false")), 20_000, VALID);

    // The first chain is the single chain (in its balanced form, which predicts the same); the
    // last sweep scores the mean of all three.
    assertEquals(120, three.history().size());
    assertEquals(one.last().validRmse(), three.history().get(39).validRmse(), 1e-6);
    ErrorStats kept = ErrorStats.of(three.model(), slice(PLANTED.users()),
        slice(PLANTED.items()), slice(PLANTED.ratings()));
    assertEquals(three.last().validRmse(), kept.rmse(), 1e-6);
    double aligned = three.last().validRmse();
    assertTrue(aligned < one.last().validRmse(), "three chains " + aligned + ", one "
        + one.last().validRmse());
    // Each chain settles in its own rotation of the factor space: averaged without rotating
    // them onto each other, they blur each other.
    assertTrue(unaligned.last().validRmse() > aligned + 0.05, "three chains averaged without "
        + "rotating them: " + unaligned.last().validRmse() + ", rotated: " + aligned);
  }

  @Test
  void resumingContinuesTheChainsWhereTheyStopped() {
    // Two threads: chains 1 and 2 side by side, one thread each, then chain 3 (a checkpoint's
    // number counts the sweeps of every chain). In the middle of the first two, and of the third.
    assertResumesExactly(settings("cfpipe.train.gibbs.sweeps=20", "cfpipe.train.gibbs.burn-in=5",
        "cfpipe.train.gibbs.chains=3", "cfpipe.train.threads=2"), 20, 47);
  }

  @Test
  void chainsSideBySideAreTheChainsOneAfterAnother() {
    String[] common = {"cfpipe.train.gibbs.sweeps=12", "cfpipe.train.gibbs.burn-in=4",
        "cfpipe.train.gibbs.chains=3"};
    TrainResult<FactorModel> apart = sample(settings(append(common, "cfpipe.train.threads=1")),
        20_000, VALID);
    TrainResult<FactorModel> together = sample(settings(append(common,
        "cfpipe.train.threads=2")), 20_000, VALID);
    assertArrayEquals(apart.model().userRows(), together.model().userRows());
    assertArrayEquals(apart.model().itemRows(), together.model().itemRows());
    assertEquals(apart.history().size(), together.history().size());
    for (int sweep = 0; sweep < apart.history().size(); sweep++) {
      assertEquals(apart.history().get(sweep).epoch(), together.history().get(sweep).epoch());
      assertEquals(apart.history().get(sweep).validRmse(),
          together.history().get(sweep).validRmse());
    }
  }

  @Test
  void aChainStopsOnceItsMeanHasSettled() {
    String[] common = {"cfpipe.train.gibbs.sweeps=400", "cfpipe.train.gibbs.burn-in=50"};
    TrainResult<FactorModel> settled = sample(settings(common), 20_000, VALID);
    TrainResult<FactorModel> all = sample(settings(append(common,
        "cfpipe.train.gibbs.stop-at-mc-error=0")), 20_000, VALID);

    int sweeps = settled.history().size();
    int samples = sweeps - 50;
    assertTrue(samples >= 100 && samples % 20 == 0 && sweeps < 400, "stopped after " + sweeps);
    assertEquals(400, all.history().size());
    // The setting bounds the cost at half its fraction of the RMSE (0.25%); the planted noise
    // is small against this chain's error, so allow twice that.
    double stopped = settled.last().validRmse();
    double full = all.last().validRmse();
    assertTrue(stopped <= 1.005 * full, "stopped after " + sweeps + " sweeps: " + stopped
        + ", all 400: " + full);
  }

  @Test
  void raoBlackwellisedMeansComeFromTheSameChainWithLessNoise() {
    // Few samples of a small slice, where the rarely rated rows' draws are mostly noise.
    String[] common = {"cfpipe.train.gibbs.sweeps=30", "cfpipe.train.gibbs.burn-in=20",
        "cfpipe.train.gibbs.stop-at-mc-error=0"};
    TrainResult<FactorModel> means = sample(settings(common), 3_000, VALID);
    TrainResult<FactorModel> draws = sample(settings(append(common,
        "cfpipe.train.gibbs.rao-blackwell=false")), 3_000, VALID);

    for (int sweep = 0; sweep < 30; sweep++) {
      assertEquals(draws.history().get(sweep).trainLoss(), means.history().get(sweep).trainLoss(),
          "the chain's own sample after sweep " + (sweep + 1));
    }
    assertTrue(means.last().validRmse() < draws.last().validRmse(), "conditional means "
        + means.last().validRmse() + ", draws " + draws.last().validRmse());
  }

  @Test
  void resumingBeforeTheStopStopsWhereTheChainWould() {
    // A checkpoint every 10 sweeps; the crash before the first check (sweep 105).
    PipelineSettings s = settings("cfpipe.train.gibbs.sweeps=200",
        "cfpipe.train.gibbs.burn-in=5");
    assertResumesExactly(s, 60);
  }

  /** A run that crashed after each of {@code crashes}, resumed, ends as an uninterrupted one. */
  private static void assertResumesExactly(PipelineSettings s, int... crashes) {
    TrainingSet data = TrainingSets.slice(PLANTED, 0, 20_000);
    TrainingSet valid = TrainingSets.slice(PLANTED, TRAIN, TRAIN + 1_000);
    TrainResult<FactorModel> whole = new GibbsSampler(s.model(), s.train())
        .train(data, valid, USERS, ITEMS);

    for (int crash : crashes) {
      MemoryCheckpoints store = new MemoryCheckpoints(crash);
      assertThrows(IllegalStateException.class, () -> new GibbsSampler(s.model(), s.train())
          .train(data, valid, USERS, ITEMS, store, false));
      assertEquals(crash, store.epoch());
      TrainResult<FactorModel> resumed = new GibbsSampler(s.model(), s.train())
          .train(data, valid, USERS, ITEMS, store, true);

      assertArrayEquals(whole.model().userRows(), resumed.model().userRows(), "crash " + crash);
      assertArrayEquals(whole.model().itemRows(), resumed.model().itemRows(), "crash " + crash);
      assertEquals(whole.model().offset(), resumed.model().offset());
      assertEquals(whole.history().size(), resumed.history().size());
      assertEquals(whole.last().validRmse(), resumed.last().validRmse());
    }
  }

  private static String[] append(String[] sets, String... more) {
    List<String> all = new ArrayList<>(List.of(sets));
    all.addAll(List.of(more));
    return all.toArray(new String[0]);
  }

  @Test
  void noiseScalesPerRowDiscountTheErraticUsers() {
    // Every third user rates with five times the noise of the others. With a noise precision per
    // row, the sampler learns whom to trust, and the items' factors are learnt mostly from the
    // steady users; with one noise level for all, every rating pulls alike.
    float[] ratings = PLANTED.ratings().clone();
    SplittableRandom random = new SplittableRandom(3);
    for (int n = 0; n < ratings.length; n++) {
      if (PLANTED.users()[n] % 3 == 0) {
        ratings[n] += (float) (2.0 * PlantedRatings.gaussian(random));
      }
    }
    TrainingSet train = new TrainingSet(java.util.Arrays.copyOfRange(PLANTED.users(), 0, 20_000),
        java.util.Arrays.copyOfRange(PLANTED.items(), 0, 20_000),
        java.util.Arrays.copyOfRange(ratings, 0, 20_000));
    TrainingSet steady = steadyUsersOf(TrainingSets.slice(PLANTED, TRAIN, TRAIN + VALID));

    PipelineSettings oneLevel = settings("cfpipe.train.gibbs.row-noise-shape=0",
        "cfpipe.train.gibbs.sweeps=100", "cfpipe.train.gibbs.burn-in=30");
    PipelineSettings levelPerRow = settings("cfpipe.train.gibbs.row-noise-shape=2",
        "cfpipe.train.gibbs.sweeps=100", "cfpipe.train.gibbs.burn-in=30");
    double one = new GibbsSampler(oneLevel.model(), oneLevel.train())
        .train(train, steady, USERS, ITEMS).last().validRmse();
    double perRow = new GibbsSampler(levelPerRow.model(), levelPerRow.train())
        .train(train, steady, USERS, ITEMS).last().validRmse();

    assertTrue(perRow < one - 0.01, "steady users' validation RMSE " + perRow + " with a noise "
        + "precision per row, " + one + " with one for all");
  }

  private static TrainingSet steadyUsersOf(TrainingSet set) {
    int count = 0;
    for (int user : set.users()) {
      count += user % 3 == 0 ? 0 : 1;
    }
    int[] users = new int[count];
    int[] items = new int[count];
    float[] ratings = new float[count];
    for (int n = 0, j = 0; n < set.size(); n++) {
      if (set.users()[n] % 3 != 0) {
        users[j] = set.users()[n];
        items[j] = set.items()[n];
        ratings[j++] = set.ratings()[n];
      }
    }
    return new TrainingSet(users, items, ratings);
  }

  @Test
  void theImplicitPriorLearnsFromWhichItemsAUserPicked() {
    // Users rate few items, picked by taste: a user's items say where his factors lie, beyond
    // what his few ratings say. The implicit prior reads that; without it, only ratings count.
    PlantedRatings truth = PlantedRatings.plant(400, 300, 4, 21);
    SplittableRandom random = new SplittableRandom(22);
    List<int[]> train = new ArrayList<>();
    List<int[]> valid = new ArrayList<>();
    for (int u = 0; u < truth.users(); u++) {
      double[] weight = new double[truth.items()];
      for (int i = 0; i < weight.length; i++) {
        // The user's bias is the same for all his items: the weights follow u.v and b_i.
        weight[i] = Math.exp(3 * truth.truth(u, i));
      }
      for (int pick = 0; pick < 12; pick++) {
        int item = draw(weight, random);
        weight[item] = 0;
        (pick < 8 ? train : valid).add(new int[] {u, item});
      }
    }
    TrainingSet trainSet = ratingsOf(train, truth, random);
    TrainingSet validSet = ratingsOf(valid, truth, random);

    double[] rmse = new double[2];
    for (int on = 0; on < 2; on++) {
      PipelineSettings s = settings("cfpipe.train.gibbs.implicit=" + (on == 1),
          "cfpipe.train.gibbs.sweeps=150", "cfpipe.train.gibbs.burn-in=50");
      rmse[on] = new GibbsSampler(s.model(), s.train())
          .train(trainSet, validSet, truth.users(), truth.items()).last().validRmse();
    }
    assertTrue(rmse[1] < rmse[0] - 0.015, "validation RMSE " + rmse[1] + " with the implicit "
        + "prior, " + rmse[0] + " without");
  }

  private static int draw(double[] weight, SplittableRandom random) {
    double total = 0;
    for (double w : weight) {
      total += w;
    }
    double target = random.nextDouble() * total;
    int i = 0;
    while (i < weight.length - 1 && (target -= weight[i]) > 0) {
      i++;
    }
    return i;
  }

  private static TrainingSet ratingsOf(List<int[]> pairs, PlantedRatings truth,
      SplittableRandom random) {
    int[] users = new int[pairs.size()];
    int[] items = new int[pairs.size()];
    float[] ratings = new float[pairs.size()];
    for (int n = 0; n < pairs.size(); n++) {
      users[n] = pairs.get(n)[0];
      items[n] = pairs.get(n)[1];
      ratings[n] = (float) (truth.truth(users[n], items[n])
          + 0.5 * PlantedRatings.gaussian(random));
    }
    return new TrainingSet(users, items, ratings);
  }

  @Test
  void theNearestRotationUndoesARotation() {
    // G = F Q for a random F and a random rotation Q: the rotation taking F closest to G is Q.
    int k = 5;
    SplittableRandom random = new SplittableRandom(9);
    double[][] f = new double[40][k];
    for (double[] row : f) {
      for (int j = 0; j < k; j++) {
        row[j] = random.nextGaussian();
      }
    }
    double[][] q = new org.apache.commons.math3.linear.QRDecomposition(
        new org.apache.commons.math3.linear.Array2DRowRealMatrix(f).getSubMatrix(0, k - 1, 0,
            k - 1)).getQ().getData();
    double[][] cross = new double[k][k];
    for (double[] row : f) {
      double[] g = new double[k];
      for (int b = 0; b < k; b++) {
        for (int a = 0; a < k; a++) {
          g[b] += row[a] * q[a][b];
        }
      }
      for (int a = 0; a < k; a++) {
        for (int b = 0; b < k; b++) {
          cross[a][b] += row[a] * g[b];
        }
      }
    }
    double[] r = GibbsSampler.nearestRotation(cross);
    for (int a = 0; a < k; a++) {
      for (int b = 0; b < k; b++) {
        assertEquals(q[a][b], r[a * k + b], 1e-9, "R[" + a + "][" + b + "]");
      }
    }
  }

  @Test
  void gammaDrawsHaveTheirMeanAndVariance() {
    SplittableRandom random = new SplittableRandom(5);
    int n = 200_000;
    double sum = 0;
    double squares = 0;
    for (int j = 0; j < n; j++) {
      double x = GibbsSampler.gamma(3.0, 2.0, random);
      sum += x;
      squares += x * x;
    }
    double mean = sum / n;
    // Gamma(shape 3, rate 2): mean 1.5, variance 0.75; the bounds are about 6 standard errors.
    assertEquals(1.5, mean, 0.012);
    assertEquals(0.75, squares / n - mean * mean, 0.02);
  }

  @Test
  void settingsNameWhatTheSamplerCannotDo() {
    SettingsException range = assertThrows(SettingsException.class,
        () -> settings("cfpipe.model.y-range.enabled=true"));
    assertTrue(range.getMessage().contains("cfpipe.model.y-range.enabled to auto or false"),
        range.getMessage());
    SettingsException neural = assertThrows(SettingsException.class,
        () -> settings("cfpipe.model.type=neural"));
    assertTrue(neural.getMessage().contains("cfpipe.train.engine = gibbs"), neural.getMessage());
    SettingsException burn = assertThrows(SettingsException.class,
        () -> settings("cfpipe.train.gibbs.sweeps=10", "cfpipe.train.gibbs.burn-in=10"));
    assertTrue(burn.getMessage().contains("cfpipe.train.gibbs.burn-in"), burn.getMessage());
    SettingsException shape = assertThrows(SettingsException.class,
        () -> settings("cfpipe.train.gibbs.row-noise-shape=0.5"));
    assertTrue(shape.getMessage().contains("cfpipe.train.gibbs.row-noise-shape"),
        shape.getMessage());
  }

  private static int[] slice(int[] values) {
    return java.util.Arrays.copyOfRange(values, TRAIN, TRAIN + VALID);
  }

  private static float[] slice(float[] values) {
    return java.util.Arrays.copyOfRange(values, TRAIN, TRAIN + VALID);
  }
}
