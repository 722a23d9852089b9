package org.cfpipe.train.gibbs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cfpipe.config.PipelineSettings;
import org.cfpipe.ingest.PlantedRatings;
import org.cfpipe.model.FactorModel;
import org.cfpipe.spark.SparkFixture;
import org.cfpipe.train.TrainResult;
import org.cfpipe.train.TrainingSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;


/**
 * The gibbs engine's chains as Spark tasks against the same chains in one JVM, and resumed with
 * a chain's file gone.
 */
class DistributedChainsIT extends SparkFixture {
  @TempDir
  static Path dir;

  private static final StructType RATINGS = new StructType()
      .add("user_index", DataTypes.IntegerType)
      .add("item_index", DataTypes.IntegerType)
      .add("rating", DataTypes.FloatType);

  @Test
  void chainsOnExecutorsGiveTheSameModelAsOneJvm() throws Exception {
    PlantedRatings.Sample planted = PlantedRatings.generate(200, 150, 30_000, 4, 0.5, 5);
    Dataset<Row> train = table(planted, 0, 25_000);
    Dataset<Row> valid = table(planted, 25_000, 30_000);
    String[] chains = {"cfpipe.train.gibbs.sweeps=30", "cfpipe.train.gibbs.burn-in=10",
        "cfpipe.train.gibbs.chains=3"};
    PipelineSettings one = GibbsSamplerTest.settings(chains);
    TrainResult<FactorModel> local = new GibbsSampler(one.model(), one.train())
        .train(TrainingSet.collect(train), TrainingSet.collect(valid), 200, 150);

    // Two tasks: chains 0 and 1 in one, 2 in the other, each a JVM's worth of threads.
    List<String> spread = new ArrayList<>(List.of(chains));
    spread.add("cfpipe.train.distributed.workers=2");
    PipelineSettings two = GibbsSamplerTest.settings(spread.toArray(new String[0]));
    TrainResult<FactorModel> distributed = new DistributedChains(two.model(), two.train())
        .train(spark, train, valid, 200, 150, dir.resolve("chains").toString(), false);

    assertArrayEquals(local.model().userRows(), distributed.model().userRows());
    assertArrayEquals(local.model().itemRows(), distributed.model().itemRows());
    assertEquals(local.model().offset(), distributed.model().offset());
    assertEquals(90, distributed.history().size());
    for (int sweep : new int[] {1, 30, 45, 60, 90}) {
      assertEquals(local.history().get(sweep - 1).validRmse(),
          distributed.history().get(sweep - 1).validRmse(), "sweep " + sweep);
      assertEquals(sweep, distributed.history().get(sweep - 1).epoch());
    }

    // A resumed run samples only the chain whose file is gone, and ends with the same model.
    Path chain0 = dir.resolve("chains/chain-0");
    FileTime written = Files.getLastModifiedTime(chain0);
    Files.delete(dir.resolve("chains/chain-1"));
    TrainResult<FactorModel> resumed = new DistributedChains(two.model(), two.train())
        .train(spark, train, valid, 200, 150, dir.resolve("chains").toString(), true);
    assertTrue(Files.exists(dir.resolve("chains/chain-1")));
    assertEquals(written, Files.getLastModifiedTime(chain0), "chain 0 was sampled again");
    assertArrayEquals(local.model().userRows(), resumed.model().userRows());
    assertArrayEquals(local.model().itemRows(), resumed.model().itemRows());
    assertEquals(local.last().validRmse(), resumed.last().validRmse());

    // Files of other settings are not mixed in.
    List<String> longer = new ArrayList<>(spread);
    longer.add("cfpipe.train.gibbs.sweeps=31");
    PipelineSettings other = GibbsSamplerTest.settings(longer.toArray(new String[0]));
    UncheckedIOException stale = assertThrows(UncheckedIOException.class,
        () -> new DistributedChains(other.model(), other.train())
            .train(spark, train, valid, 200, 150, dir.resolve("chains").toString(), true));
    assertTrue(stale.getMessage().contains("chain-0") && stale.getMessage().contains(
        "other settings"), stale.getMessage());
  }

  /** Ratings [from, to) of the planted sample as the train stage reads them. */
  static Dataset<Row> table(PlantedRatings.Sample planted, int from, int to) {
    List<Row> rows = new ArrayList<>();
    for (int n = from; n < to; n++) {
      rows.add(RowFactory.create(planted.users()[n], planted.items()[n], planted.ratings()[n]));
    }
    return spark.createDataFrame(rows, RATINGS);
  }
}
