package org.cfpipe.train.sparse;

import static org.cfpipe.train.TrainingSets.slice;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.cfpipe.config.ConfigLoader;
import org.cfpipe.config.PipelineSettings;
import org.cfpipe.ingest.PlantedRatings;
import org.cfpipe.model.FactorModel;
import org.cfpipe.train.EpochStats;
import org.cfpipe.train.MemoryCheckpoints;
import org.cfpipe.train.TrainResult;
import org.cfpipe.train.TrainingSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The sparse trainer on planted-factor ratings, where the best reachable RMSE is known. */
class SparseTrainerTest {
  // 300 ratings a user and 400 an item: dense enough that estimation error of the 5 parameters
  // per row adds under 2% to the noise floor, so a 3% bound tests the trainer, not the data.
  private static final int USERS = 200;
  private static final int ITEMS = 150;
  private static final int TRAIN = 60_000;
  private static final int VALID = 10_000;
  private static final double NOISE = 0.5;
  private static final PlantedRatings.Sample PLANTED =
      PlantedRatings.generate(USERS, ITEMS, TRAIN + VALID, 4, NOISE, 11);

  static PipelineSettings settings(String... sets) {
    List<String> all = new ArrayList<>(List.of("cfpipe.input.ratings=planted",
        "cfpipe.model.y-range.enabled=false", "cfpipe.model.factors=4"));
    all.addAll(List.of(sets));
    return PipelineSettings.from(ConfigLoader.load(Optional.empty(), all), "2024-01-01");
  }

  private static TrainResult<FactorModel> train(PipelineSettings s) {
    return new SparseTrainer(s.model(), s.train()).train(slice(PLANTED, 0, TRAIN),
        slice(PLANTED, TRAIN, TRAIN + VALID), USERS, ITEMS);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "adam | one-cycle | 0.01 | 128 | 0.02 | 0    | 0.01",
      "sgd  | constant  | 0.01 | 32  | 0    | 0.01 | 0.3"})
  void reachesTheNoiseFloorOnPlantedFactors(String optimizer, String schedule, double rate,
      int batch, double weightDecay, double l2, double initRange) {
    double floor = PLANTED.oracleRmse(TRAIN, TRAIN + VALID);
    TrainResult<FactorModel> result = train(settings("cfpipe.train.optimizer=" + optimizer,
        "cfpipe.train.schedule=" + schedule, "cfpipe.train.epochs=30",
        "cfpipe.train.weight-decay=" + weightDecay, "cfpipe.train.l2=" + l2,
        "cfpipe.train.learning-rate=" + rate, "cfpipe.train.batch-size=" + batch,
        "cfpipe.model.init-range=" + initRange, "cfpipe.train.early-stopping.patience=5"));

    double rmse = result.best().validRmse();
    assertTrue(rmse <= 1.03 * floor,
        optimizer + ": validation RMSE " + rmse + " not within 3% of the noise floor " + floor);
    assertTrue(result.history().get(0).trainLoss() > result.last().trainLoss());
  }

  @Test
  void earlyStoppingKeepsTheBestEpoch() {
    // Far too little regularisation for k=30: validation RMSE turns up after a few epochs.
    TrainResult<FactorModel> result = train(settings("cfpipe.model.factors=30", "cfpipe.train.epochs=40",
        "cfpipe.train.weight-decay=0", "cfpipe.train.schedule=constant",
        "cfpipe.train.learning-rate=0.01", "cfpipe.train.early-stopping.patience=2"));

    double best = result.history().stream().mapToDouble(EpochStats::validRmse).min()
        .orElseThrow();
    assertTrue(result.history().size() < 40, "did not stop early");
    assertEquals(result.history().size() - 2, result.bestEpoch());
    assertEquals(best, result.best().validRmse());
    // The model holds the best epoch's parameters, not the last epoch's.
    double kept = org.cfpipe.model.ErrorStats.of(result.model(),
        Arrays.copyOfRange(PLANTED.users(), TRAIN, TRAIN + VALID),
        Arrays.copyOfRange(PLANTED.items(), TRAIN, TRAIN + VALID),
        Arrays.copyOfRange(PLANTED.ratings(), TRAIN, TRAIN + VALID)).rmse();
    assertEquals(best, kept, 1e-9);
  }

  @Test
  void resumingAfterACrashGivesTheSameModelAsAnUninterruptedRun() {
    PipelineSettings s = settings("cfpipe.train.epochs=4", "cfpipe.model.factors=8",
        "cfpipe.train.blocks=3");
    TrainingSet data = slice(PLANTED, 0, 20_000);
    TrainingSet valid = slice(PLANTED, TRAIN, TRAIN + 2_000);
    TrainResult<FactorModel> whole = new SparseTrainer(s.model(), s.train())
        .train(data, valid, USERS, ITEMS);

    MemoryCheckpoints store = new MemoryCheckpoints(2);
    assertThrows(IllegalStateException.class, () -> new SparseTrainer(s.model(), s.train())
        .train(data, valid, USERS, ITEMS, store, false));
    assertEquals(2, store.epoch());
    TrainResult<FactorModel> resumed = new SparseTrainer(s.model(), s.train())
        .train(data, valid, USERS, ITEMS, store, true);

    assertArrayEquals(whole.model().userRows(), resumed.model().userRows());
    assertArrayEquals(whole.model().itemRows(), resumed.model().itemRows());
    assertEquals(4, resumed.history().size());
    assertEquals(whole.last().validRmse(), resumed.last().validRmse());
  }

  @Test
  void theModelDoesNotDependOnTheNumberOfThreads() {
    PipelineSettings one = settings("cfpipe.train.epochs=2", "cfpipe.train.blocks=4",
        "cfpipe.train.threads=1");
    PipelineSettings two = settings("cfpipe.train.epochs=2", "cfpipe.train.blocks=4",
        "cfpipe.train.threads=2");
    TrainingSet data = slice(PLANTED, 0, 20_000);
    TrainingSet valid = slice(PLANTED, TRAIN, TRAIN + 2_000);
    TrainResult<FactorModel> a = new SparseTrainer(one.model(), one.train()).train(data, valid, USERS, ITEMS);
    TrainResult<FactorModel> b = new SparseTrainer(two.model(), two.train()).train(data, valid, USERS, ITEMS);
    assertArrayEquals(a.model().userRows(), b.model().userRows());
    assertArrayEquals(a.model().itemRows(), b.model().itemRows());
  }

  @Test
  void sameSeedSameModelAndTheCallersRatingsKeepTheirOrder() {
    PlantedRatings.Sample planted = PlantedRatings.generate(50, 40, 2_000, 2, 0.3, 3);
    PipelineSettings s = settings("cfpipe.train.epochs=2");
    TrainingSet data = slice(planted, 0, 2_000);
    TrainingSet none = slice(planted, 0, 0);
    TrainResult<FactorModel> a = new SparseTrainer(s.model(), s.train()).train(data, none, 50, 40);
    TrainResult<FactorModel> b = new SparseTrainer(s.model(), s.train()).train(data, none, 50, 40);
    assertArrayEquals(a.model().userRows(), b.model().userRows());
    assertArrayEquals(a.model().itemRows(), b.model().itemRows());
    assertArrayEquals(Arrays.copyOfRange(planted.users(), 0, 2_000), data.users());
  }
}
