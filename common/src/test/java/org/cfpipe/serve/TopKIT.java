package org.cfpipe.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.cfpipe.spark.SparkFixture;
import org.junit.jupiter.api.Test;

class TopKIT extends SparkFixture {

  @Test
  void blockedTopKEqualsBruteForceAcrossBlocksWithExclusionsAndTies() {
    Random random = new Random(7);
    List<TopK.Query> queries = new ArrayList<>();
    List<TopK.Candidate> candidates = new ArrayList<>();
    for (int c = 0; c < 37; c++) {
      // Rounded coordinates make equal scores common: ties must go to the smaller key.
      candidates.add(new TopK.Candidate(c * 3, vector(random), random.nextInt(3)));
    }
    for (int q = 0; q < 50; q++) {
      int[] exclude = IntStream.range(0, 37).filter(c -> random.nextInt(4) == 0)
          .map(c -> c * 3).toArray();
      queries.add(new TopK.Query(q, vector(random), 0f, exclude));
    }
    TopK.Scorer scorer = (u, ub, v, vb) -> u[0] * v[0] + u[1] * v[1] + vb;
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());

    Map<Integer, TopK.Ranked> blocked = TopK.of(jsc.parallelize(queries, 3),
        jsc.parallelize(candidates, 4), scorer, 5, 4).collectAsMap();

    assertEquals(50, blocked.size());
    for (TopK.Query q : queries) {
      int[] expected = candidates.stream()
          .filter(c -> Arrays.binarySearch(q.exclude(), c.key()) < 0)
          .sorted(Comparator.comparingDouble((TopK.Candidate c) ->
              -scorer.score(q.vector(), 0f, c.vector(), c.bias()))
              .thenComparingInt(TopK.Candidate::key))
          .limit(5).mapToInt(TopK.Candidate::key).toArray();
      assertArrayEquals(expected, blocked.get(q.key()).keys(), "query " + q.key());
    }
  }

  private static float[] vector(Random random) {
    return new float[] {Math.round(random.nextGaussian() * 10) / 10f,
        Math.round(random.nextGaussian() * 10) / 10f};
  }
}
