package org.cfpipe.train.gibbs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.cfpipe.config.PipelineSettings;
import org.cfpipe.config.SettingsException;
import org.cfpipe.ingest.PlantedRatings;
import org.cfpipe.model.ErrorStats;
import org.cfpipe.model.FactorModel;
import org.cfpipe.spark.SparkFixture;
import org.cfpipe.train.TrainResult;
import org.cfpipe.train.TrainingSet;
import org.cfpipe.train.WarmStart;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One gibbs chain's sweeps over blocks of users and items on the executors, against the same
 * model sampled in one JVM on planted data, and continued from its checkpoint.
 */
class PartitionedChainIT extends SparkFixture {
  @TempDir
  static Path dir;

  private static final int USERS = 500;
  private static final int ITEMS = 300;
  private static final int TRAIN = 30_000;
  private static final int ALL = 36_000;
  private static final PlantedRatings.Sample PLANTED = PlantedRatings.generate(USERS, ITEMS,
      ALL, 4, 0.5, 11);
  private static final String[] CHAIN = {"cfpipe.train.gibbs.sweeps=80",
      "cfpipe.train.gibbs.burn-in=20", "cfpipe.train.gibbs.implicit=false",
      "cfpipe.train.gibbs.stop-at-mc-error=0", "cfpipe.model.factors=4"};

  @Test
  void sweepsOnTheExecutorsReachTheOneJvmChainsAccuracy() {
    Dataset<Row> train = DistributedChainsIT.table(PLANTED, 0, TRAIN);
    Dataset<Row> valid = DistributedChainsIT.table(PLANTED, TRAIN, ALL);
    TrainingSet validSet = TrainingSet.collect(valid);
    PipelineSettings one = GibbsSamplerTest.settings(CHAIN);
    TrainResult<FactorModel> local = new GibbsSampler(one.model(), one.train())
        .train(TrainingSet.collect(train), validSet, USERS, ITEMS);
    double oracle = PLANTED.oracleRmse(TRAIN, ALL);

    for (int workers : new int[] {3}) {
      PipelineSettings spread = settings(workers);
      TrainResult<FactorModel> partitioned = new PartitionedChain(spread.model(), spread.train())
          .train(spark, train, valid, USERS, ITEMS, dir.resolve("w" + workers).toString(),
              false, WarmStart.cold("test"));
      double rmse = ErrorStats.of(partitioned.model(), validSet.users(), validSet.items(),
          validSet.ratings()).rmse();
      // Different draws of the same posterior: within a percent of each other, and near the
      // noise the ratings were planted with.
      assertEquals(local.last().validRmse(), rmse, 0.01 * oracle, workers + " blocks, "
          + rmse + " against one JVM's " + local.last().validRmse());
      assertTrue(rmse < 1.12 * oracle, rmse + " against the oracle's " + oracle);
      assertEquals(rmse, partitioned.last().validRmse(), 1e-6,
          "the history's last RMSE is the model's");
      assertEquals(80, partitioned.history().size());
    }
  }

  @Test
  void aResumedChainContinuesFromItsCheckpointExactly() throws Exception {
    Dataset<Row> train = DistributedChainsIT.table(PLANTED, 0, TRAIN);
    Dataset<Row> valid = DistributedChainsIT.table(PLANTED, TRAIN, ALL);
    PipelineSettings s = settings(2);
    String folder = dir.resolve("resume").toString();
    TrainResult<FactorModel> whole = new PartitionedChain(s.model(), s.train())
        .train(spark, train, valid, USERS, ITEMS, folder, false, WarmStart.cold("test"));
    // The newest checkpoint is after sweep 72 (every twelfth: every fourth is logged, and
    // checkpoints are at least ten apart).
    assertTrue(Files.exists(Path.of(folder, "sweeps", "sweep-72", "driver")));
    assertTrue(Files.notExists(Path.of(folder, "sweeps", "sweep-60")), "older ones are removed");
    TrainResult<FactorModel> resumed = new PartitionedChain(s.model(), s.train())
        .train(spark, train, valid, USERS, ITEMS, folder, true, WarmStart.cold("test"));
    assertArrayEquals(whole.model().userRows(), resumed.model().userRows());
    assertArrayEquals(whole.model().itemRows(), resumed.model().itemRows());
    assertEquals(whole.model().offset(), resumed.model().offset());
    assertEquals(80, resumed.history().size());
    assertEquals(whole.last().validRmse(), resumed.last().validRmse());
  }

  @Test
  void severalChainsAreRefused() {
    List<String> sets = new ArrayList<>(List.of(CHAIN));
    sets.add("cfpipe.train.distributed.workers=2");
    sets.add("cfpipe.train.distributed.gibbs=sweeps");
    sets.add("cfpipe.train.gibbs.chains=2");
    SettingsException e = assertThrows(SettingsException.class,
        () -> GibbsSamplerTest.settings(sets.toArray(new String[0])));
    assertTrue(e.getMessage().contains("cfpipe.train.gibbs.chains"), e.getMessage());
  }

  private static PipelineSettings settings(int workers) {
    List<String> sets = new ArrayList<>(List.of(CHAIN));
    sets.add("cfpipe.train.distributed.workers=" + workers);
    sets.add("cfpipe.train.distributed.gibbs=sweeps");
    return GibbsSamplerTest.settings(sets.toArray(new String[0]));
  }
}
