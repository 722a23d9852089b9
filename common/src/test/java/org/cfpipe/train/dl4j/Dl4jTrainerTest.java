package org.cfpipe.train.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.cfpipe.config.ConfigLoader;
import org.cfpipe.config.PipelineSettings;
import org.cfpipe.ingest.PlantedRatings;
import org.cfpipe.model.ErrorStats;
import org.cfpipe.model.FactorModel;
import org.cfpipe.model.RatingModel;
import org.cfpipe.train.MemoryCheckpoints;
import org.cfpipe.train.TrainResult;
import org.cfpipe.train.TrainingSet;
import org.cfpipe.train.sparse.SparseTrainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The dl4j engine on planted-factor ratings, where the best reachable RMSE is known. */
class Dl4jTrainerTest {
  private static final int USERS = 200;
  private static final int ITEMS = 150;
  private static final int TRAIN = 60_000;
  private static final int VALID = 10_000;
  private static final PlantedRatings.Sample PLANTED =
      PlantedRatings.generate(USERS, ITEMS, TRAIN + VALID, 4, 0.5, 11);
  private static final TrainingSet TRAIN_SET = slice(0, TRAIN);
  private static final TrainingSet VALID_SET = slice(TRAIN, TRAIN + VALID);

  static PipelineSettings settings(String... sets) {
    List<String> all = new ArrayList<>(List.of("cfpipe.input.ratings=planted",
        "cfpipe.model.y-range.enabled=false", "cfpipe.model.factors=4",
        "cfpipe.train.engine=dl4j", "cfpipe.train.l2=0", "cfpipe.train.batch-size=128",
        "cfpipe.train.learning-rate=0.01"));
    all.addAll(List.of(sets));
    return PipelineSettings.from(ConfigLoader.load(Optional.empty(), all), "2024-01-01");
  }

  static TrainingSet slice(int from, int to) {
    return new TrainingSet(Arrays.copyOfRange(PLANTED.users(), from, to),
        Arrays.copyOfRange(PLANTED.items(), from, to),
        Arrays.copyOfRange(PLANTED.ratings(), from, to));
  }

  private static TrainResult<RatingModel> train(PipelineSettings s) {
    return new Dl4jTrainer(s.model(), s.train()).train(TRAIN_SET, VALID_SET, USERS, ITEMS);
  }

  @Test
  void dotBiasAgreesWithTheSparseEngineAtTheNoiseFloor() {
    double floor = PLANTED.oracleRmse(TRAIN, TRAIN + VALID);
    PipelineSettings s = settings("cfpipe.model.type=dot-bias", "cfpipe.train.epochs=12");
    double dl4j = train(s).best().validRmse();
    PipelineSettings sparse = settings("cfpipe.model.type=dot-bias", "cfpipe.train.epochs=12",
        "cfpipe.train.engine=sparse");
    double reference = new SparseTrainer(sparse.model(), sparse.train())
        .train(TRAIN_SET, VALID_SET, USERS, ITEMS).best().validRmse();

    assertTrue(dl4j <= 1.03 * floor, "dl4j RMSE " + dl4j + ", noise floor " + floor);
    assertEquals(reference, dl4j, 0.01 * reference, "dl4j and sparse engines disagree");
  }

  /**
   * Both forms of the embeddings: on 2026-12-06 dense 0.6977, sparse 0.6801 (lazy Adam without
   * the catch-up of idle steps: 0.7235, which fails the bounds). Two sparse workers of 64
   * ratings a step, averaged every 8 steps: 0.7015 on 2026-12-07. This small problem's spread
   * over seeds is wider than the workers' difference (seeds 1, 2, 3: one worker 0.692, 0.715,
   * 0.812; two 0.720, 0.742, 0.809), and the bound of two workers is looser by that much.
   */
  @ParameterizedTest(name = "embeddings {0}, {1} worker(s)")
  @CsvSource({"dense, 1, 1.40, 0.25", "sparse, 1, 1.40, 0.25", "sparse, 2, 1.45, 0.30"})
  void neuralLearnsMostOfThePlantedInteractions(String embeddings, int workers, double bound,
      double unexplained) {
    // The planted ratings are mean + u.v + noise: predicting the mean leaves all of u.v
    // unexplained. A relu layer approximates a dot product only roughly (Rendle et al. 2020,
    // "Neural collaborative filtering vs. matrix factorization revisited"), so the bound is
    // looser than the factor models' 3%.
    double floor = PLANTED.oracleRmse(TRAIN, TRAIN + VALID);
    double mean = TRAIN_SET.mean();
    double meanRmse = ErrorStats.of(new FactorModel(1, false, USERS, ITEMS, mean,
        Optional.empty()), VALID_SET.users(), VALID_SET.items(), VALID_SET.ratings()).rmse();
    TrainResult<RatingModel> result = train(settings("cfpipe.model.type=neural",
        "cfpipe.model.neural.hidden=32", "cfpipe.model.neural.embedding-dropout=0",
        "cfpipe.model.neural.hidden-dropout=0", "cfpipe.train.neural.epochs=12",
        "cfpipe.train.neural.learning-rate=0.01", "cfpipe.train.neural.batch-size=128",
        "cfpipe.train.dl4j.embeddings=" + embeddings, "cfpipe.train.dl4j.workers=" + workers));
    double rmse = result.best().validRmse();
    assertTrue(rmse <= bound * floor, "neural RMSE " + rmse + ", noise floor " + floor);
    assertTrue(rmse - floor <= unexplained * (meanRmse - floor), "neural RMSE " + rmse
        + " leaves more than " + unexplained + " of the planted signal unexplained (floor " + floor
        + ", the mean alone " + meanRmse + ")");
  }

  @Test
  void earlyStoppingKeepsTheBestEpoch() {
    // Far too many factors and no regularisation: validation RMSE turns up after a few epochs.
    TrainResult<RatingModel> result = train(settings("cfpipe.model.type=dot-bias",
        "cfpipe.model.factors=40", "cfpipe.train.epochs=40", "cfpipe.train.schedule=constant",
        "cfpipe.train.early-stopping.patience=2", "cfpipe.model.init-range=0.1"));
    assertTrue(result.history().size() < 40, "did not stop early");
    assertEquals(result.history().size() - 2, result.bestEpoch());
    double kept = ErrorStats.of(result.model(), VALID_SET.users(), VALID_SET.items(),
        VALID_SET.ratings()).rmse();
    assertEquals(result.best().validRmse(), kept, 1e-9);
  }

  @ParameterizedTest(name = "average-from-epoch {0}")
  @ValueSource(ints = {0, 2})
  void resumingAfterACrashContinuesFromTheCheckpoint(int averageFrom) {
    PipelineSettings s = settings("cfpipe.model.type=dot-bias", "cfpipe.train.epochs=4",
        "cfpipe.train.average-from-epoch=" + averageFrom);
    Resumed run = crashAfterEpoch2AndResume(s);
    FactorModel a = (FactorModel) run.whole().model();
    FactorModel b = (FactorModel) run.resumed().model();
    assertArrayEquals(a.userRows(), b.userRows(), 1e-5f);
    assertArrayEquals(a.itemRows(), b.itemRows(), 1e-5f);
  }

  /**
   * Sparse embeddings: a run stopped after epoch 2 and resumed from its checkpoint (the tables
   * with their rows' Adam moments, the head with its updater) ends as the run never stopped, with
   * one worker and with several (whose state is one after each epoch's average).
   */
  @ParameterizedTest(name = "{0} worker(s)")
  @ValueSource(ints = {1, 3})
  void sparseEmbeddingsResumeFromTheCheckpoint(int workers) {
    PipelineSettings s = settings("cfpipe.model.type=neural", "cfpipe.model.neural.hidden=16",
        "cfpipe.model.neural.embedding-dropout=0", "cfpipe.model.neural.hidden-dropout=0",
        "cfpipe.train.neural.epochs=4", "cfpipe.train.neural.average-from-epoch=2",
        "cfpipe.train.dl4j.embeddings=sparse", "cfpipe.train.dl4j.workers=" + workers);
    Resumed run = crashAfterEpoch2AndResume(s);
    double scored = ErrorStats.of(run.resumed().model(), RESUME_VALID.users(),
        RESUME_VALID.items(), RESUME_VALID.ratings()).rmse();
    assertEquals(run.whole().last().validRmse(), scored, 1e-5);
  }

  /**
   * Sparse workers draw the same model on every run whatever the threads' timing: each reads
   * only its shard and state between averages and draws its dropout from its own seed.
   */
  @Test
  void sparseWorkersAreDeterministic() {
    PipelineSettings s = settings("cfpipe.model.type=neural", "cfpipe.model.neural.hidden=16",
        "cfpipe.train.neural.epochs=2", "cfpipe.train.dl4j.embeddings=sparse",
        "cfpipe.train.dl4j.workers=2", "cfpipe.train.dl4j.average-every=3");
    double first = new Dl4jTrainer(s.model(), s.train())
        .train(RESUME_DATA, RESUME_VALID, USERS, ITEMS).last().validRmse();
    double second = new Dl4jTrainer(s.model(), s.train())
        .train(RESUME_DATA, RESUME_VALID, USERS, ITEMS).last().validRmse();
    assertEquals(first, second, 0.0);
  }

  /**
   * embeddings = auto trains the tables dense while one dense update is estimated within
   * dense-warning-millis (these small tables), and sparse above it: the same runs, to the bit,
   * as the two forms named.
   */
  @Test
  void autoEmbeddingsAreSparseOnlyWhereDenseUpdatesWouldBeSlow() {
    String[] base = {"cfpipe.model.type=neural", "cfpipe.model.neural.hidden=16",
        "cfpipe.model.neural.embedding-dropout=0", "cfpipe.model.neural.hidden-dropout=0",
        "cfpipe.train.neural.epochs=1"};
    double dense = rmse(base, "cfpipe.train.dl4j.embeddings=dense");
    double sparse = rmse(base, "cfpipe.train.dl4j.embeddings=sparse");
    assertNotEquals(dense, sparse, 0.0);
    assertEquals(dense, rmse(base, "cfpipe.train.dl4j.embeddings=auto"), 0.0);
    assertEquals(sparse, rmse(base, "cfpipe.train.dl4j.embeddings=auto",
        "cfpipe.train.dl4j.dense-warning-millis=0"), 0.0);
  }

  private static double rmse(String[] base, String... more) {
    List<String> sets = new ArrayList<>(List.of(base));
    sets.addAll(List.of(more));
    PipelineSettings s = settings(sets.toArray(new String[0]));
    return new Dl4jTrainer(s.model(), s.train()).train(RESUME_DATA, RESUME_VALID, USERS, ITEMS)
        .last().validRmse();
  }

  private static final TrainingSet RESUME_DATA = slice(0, 20_000);
  private static final TrainingSet RESUME_VALID = slice(TRAIN, TRAIN + 2_000);

  /** A run of 4 epochs uninterrupted, and one that crashed after epoch 2 and resumed. */
  private record Resumed(TrainResult<RatingModel> whole, TrainResult<RatingModel> resumed) {}

  /** Both runs; their validation RMSE must agree epoch by epoch. */
  private static Resumed crashAfterEpoch2AndResume(PipelineSettings s) {
    TrainResult<RatingModel> whole = new Dl4jTrainer(s.model(), s.train())
        .train(RESUME_DATA, RESUME_VALID, USERS, ITEMS);
    MemoryCheckpoints store = new MemoryCheckpoints(2);
    assertThrows(IllegalStateException.class, () -> new Dl4jTrainer(s.model(), s.train())
        .train(RESUME_DATA, RESUME_VALID, USERS, ITEMS, store, false));
    assertEquals(2, store.epoch());
    TrainResult<RatingModel> resumed = new Dl4jTrainer(s.model(), s.train())
        .train(RESUME_DATA, RESUME_VALID, USERS, ITEMS, store, true);
    assertEquals(4, resumed.history().size());
    for (int e = 0; e < 4; e++) {
      assertEquals(whole.history().get(e).validRmse(), resumed.history().get(e).validRmse(),
          1e-6, "epoch " + (e + 1));
    }
    return new Resumed(whole, resumed);
  }

  @Test
  void averagingReturnsTheMeanItValidated() {
    TrainingSet data = slice(0, 20_000);
    TrainingSet valid = slice(TRAIN, TRAIN + 2_000);
    PipelineSettings plain = settings("cfpipe.model.type=dot-bias", "cfpipe.train.epochs=4",
        "cfpipe.train.early-stopping.enabled=false");
    PipelineSettings averaged = settings("cfpipe.model.type=dot-bias", "cfpipe.train.epochs=4",
        "cfpipe.train.early-stopping.enabled=false", "cfpipe.train.average-from-epoch=2");
    TrainResult<RatingModel> a = new Dl4jTrainer(plain.model(), plain.train())
        .train(data, valid, USERS, ITEMS);
    TrainResult<RatingModel> b = new Dl4jTrainer(averaged.model(), averaged.train())
        .train(data, valid, USERS, ITEMS);

    // The same trajectory: equal until averaging starts, different after.
    assertEquals(a.history().get(0).validRmse(), b.history().get(0).validRmse(), 1e-9);
    assertTrue(Math.abs(a.last().validRmse() - b.last().validRmse()) > 1e-5);
    // The model returned is the mean whose RMSE the last epoch logged.
    double scored = ErrorStats.of(b.model(), valid.users(), valid.items(), valid.ratings()).rmse();
    assertEquals(b.last().validRmse(), scored, 1e-6);
  }
}
