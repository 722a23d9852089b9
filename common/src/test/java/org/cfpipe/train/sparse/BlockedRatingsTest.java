package org.cfpipe.train.sparse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.cfpipe.ingest.PlantedRatings;
import org.cfpipe.train.Seeds;
import org.cfpipe.train.TrainingSet;
import org.junit.jupiter.api.Test;

class BlockedRatingsTest {

  @Test
  void everyRatingLandsInItsBlockAndStrataShareNoRows() {
    PlantedRatings.Sample sample = PlantedRatings.plant(37, 23, 2, 1).sample(5_000, 0.5, 0.8,
        0.1, 2);
    TrainingSet data = new TrainingSet(sample.users(), sample.items(), sample.ratings());
    int p = 5;
    BlockedRatings blocked = new BlockedRatings(data, p);

    assertEquals(5_000, blocked.to(p * p - 1));
    double sum = 0;
    for (float r : blocked.view().ratings()) {
      sum += r;
    }
    assertEquals(data.mean() * 5_000, sum, 1e-2);
    for (int b = 0; b < p * p; b++) {
      for (int n = blocked.from(b); n < blocked.to(b); n++) {
        assertEquals(b / p, blocked.view().users()[n] % p);
        assertEquals(b % p, blocked.view().items()[n] % p);
      }
    }
    int[] perm = Seeds.permutation(p, new SplittableRandom(3));
    Set<Integer> allBlocks = new HashSet<>();
    for (int s = 0; s < p; s++) {
      Set<Integer> userBlocks = new HashSet<>();
      Set<Integer> itemBlocks = new HashSet<>();
      for (int a = 0; a < p; a++) {
        int block = blocked.blockOf(perm, s, a);
        assertTrue(userBlocks.add(block / p), "user block twice in stratum " + s);
        assertTrue(itemBlocks.add(block % p), "item block twice in stratum " + s);
        allBlocks.add(block);
      }
    }
    assertEquals(p * p, allBlocks.size(), "the strata cover every block once");
  }

  @Test
  void blockCountFollowsTheStateSize() {
    assertEquals(7, SparseTrainer.blockCount(7, 100, 1L << 40));
    assertEquals(1, SparseTrainer.blockCount(0, 20_000_000, 8L << 20));
    assertEquals(63, SparseTrainer.blockCount(0, 20_000_000, 9L << 20));
    assertEquals(4, SparseTrainer.blockCount(0, 10_000, 1L << 30));
  }
}
