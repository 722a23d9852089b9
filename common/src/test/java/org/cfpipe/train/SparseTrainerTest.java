package org.cfpipe.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.cfpipe.config.ConfigLoader;
import org.cfpipe.config.PipelineSettings;
import org.cfpipe.ingest.PlantedRatings;
import org.junit.jupiter.api.Test;

/** The sparse trainer on planted-factor ratings, where the best reachable RMSE is known. */
class SparseTrainerTest {
  private static final int USERS = 400;
  private static final int ITEMS = 300;
  private static final int TRAIN = 48_000;
  private static final int VALID = 12_000;
  private static final double NOISE = 0.5;

  private static PipelineSettings settings(String... sets) {
    List<String> all = new ArrayList<>(List.of("cfpipe.input.ratings=planted",
        "cfpipe.model.y-range.enabled=false", "cfpipe.model.factors=4"));
    all.addAll(List.of(sets));
    return PipelineSettings.from(ConfigLoader.load(Optional.empty(), all), "2024-01-01");
  }

  private static TrainingSet slice(PlantedRatings planted, int from, int to) {
    return new TrainingSet(Arrays.copyOfRange(planted.users(), from, to),
        Arrays.copyOfRange(planted.items(), from, to),
        Arrays.copyOfRange(planted.ratings(), from, to));
  }

  @Test
  void reachesTheNoiseFloorOnPlantedFactors() {
    PlantedRatings planted = PlantedRatings.generate(USERS, ITEMS, TRAIN + VALID, 4, NOISE, 11);
    double floor = planted.oracleRmse(TRAIN, TRAIN + VALID);
    PipelineSettings s = settings("cfpipe.train.epochs=20", "cfpipe.train.weight-decay=0.05",
        "cfpipe.train.learning-rate=0.02", "cfpipe.train.batch-size=256");

    TrainResult result = new SparseTrainer(s.model(), s.train())
        .train(slice(planted, 0, TRAIN), slice(planted, TRAIN, TRAIN + VALID), USERS, ITEMS);

    double rmse = result.last().validRmse();
    assertTrue(rmse <= 1.05 * floor,
        "validation RMSE " + rmse + " not within 5% of the noise floor " + floor);
    assertEquals(20, result.history().size());
    assertTrue(result.history().get(0).trainLoss() > result.last().trainLoss());
  }

  @Test
  void sameSeedSameModel() {
    PlantedRatings planted = PlantedRatings.generate(50, 40, 2_000, 2, 0.3, 3);
    PipelineSettings s = settings("cfpipe.train.epochs=2");
    TrainingSet data = slice(planted, 0, 2_000);
    TrainingSet none = slice(planted, 0, 0);
    TrainResult a = new SparseTrainer(s.model(), s.train()).train(data, none, 50, 40);
    TrainResult b = new SparseTrainer(s.model(), s.train()).train(data, none, 50, 40);
    assertArrayEquals(a.model().userRows(), b.model().userRows());
    assertArrayEquals(a.model().itemRows(), b.model().itemRows());
    // Training works on a copy: the caller's ratings keep their order.
    assertArrayEquals(Arrays.copyOfRange(planted.users(), 0, 2_000), data.users());
  }
}
