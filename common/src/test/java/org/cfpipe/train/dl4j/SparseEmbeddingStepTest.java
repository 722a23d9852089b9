package org.cfpipe.train.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.cfpipe.config.ConfigLoader;
import org.cfpipe.config.PipelineSettings;
import org.cfpipe.ingest.PlantedRatings;
import org.cfpipe.train.ParameterTable;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The neural model's step with its embeddings outside the network. */
class SparseEmbeddingStepTest {

  private static PipelineSettings settings(String... sets) {
    List<String> all = new java.util.ArrayList<>(List.of("cfpipe.input.ratings=planted",
        "cfpipe.model.type=neural", "cfpipe.model.factors=3", "cfpipe.model.neural.hidden=4",
        "cfpipe.model.neural.embedding-dropout=0", "cfpipe.model.neural.hidden-dropout=0",
        "cfpipe.model.y-range.enabled=false"));
    all.addAll(List.of(sets));
    return PipelineSettings.from(ConfigLoader.load(Optional.empty(), all), "2024-01-01");
  }

  /** (1 / B) sum of (prediction - rating)^2 + l2 (|u|^2 + |v|^2), the network in test mode. */
  private static double loss(SparseEmbeddingStep step, int[] u, int[] i, float[] r, double l2) {
    ParameterTable users = step.users();
    ParameterTable items = step.items();
    int wu = users.width();
    int wi = items.width();
    float[] x = new float[u.length * (wu + wi)];
    double penalty = 0;
    for (int b = 0; b < u.length; b++) {
      for (int f = 0; f < wu; f++) {
        float v = users.data()[u[b] * users.stride() + f];
        x[b * (wu + wi) + f] = v;
        penalty += v * v;
      }
      for (int f = 0; f < wi; f++) {
        float v = items.data()[i[b] * items.stride() + f];
        x[b * (wu + wi) + wu + f] = v;
        penalty += v * v;
      }
    }
    INDArray out = step.head().output(Nd4j.create(x, new long[] {u.length, wu + wi},
        DataType.FLOAT), false);
    double squares = 0;
    for (int b = 0; b < u.length; b++) {
      double e = out.getDouble(b, 0) - r[b];
      squares += e * e;
    }
    return (squares + l2 * penalty) / u.length;
  }

  /**
   * With plain SGD at a constant rate a step moves each touched row by -rate x its gradient:
   * that move matches the loss's central difference, for a row used twice in the batch too.
   */
  @Test
  void theRowsMoveAlongTheLossGradient() {
    double l2 = 0.1;
    double rate = 1e-3;
    PipelineSettings s = settings("cfpipe.train.neural.l2=" + l2, "cfpipe.train.optimizer=sgd",
        "cfpipe.train.sgd.momentum=0", "cfpipe.train.schedule=constant",
        "cfpipe.train.neural.learning-rate=" + rate, "cfpipe.train.neural.weight-decay=0",
        "cfpipe.model.y-range.enabled=true", "cfpipe.model.y-range.min=0",
        "cfpipe.model.y-range.max=5.5", "cfpipe.model.init-range=0.5");
    int[] u = {0, 1, 0, 2};
    int[] i = {1, 0, 2, 2};
    float[] r = {4f, 2.5f, 1f, 5f};
    SparseEmbeddingStep step = new SparseEmbeddingStep(s.model(), s.train(), 3, 3, 1, 4);
    ParameterTable users = step.users();
    int[][] probes = {{0, 1}, {2, 0}};
    double[] expected = new double[probes.length];
    // Small beside the rows' values (init-range 0.5): a relu's kink is rarely in reach.
    double h = 1e-3;
    for (int p = 0; p < probes.length; p++) {
      int at = probes[p][0] * users.stride() + probes[p][1];
      float keep = users.data()[at];
      users.data()[at] = keep + (float) h;
      double up = loss(step, u, i, r, l2);
      users.data()[at] = keep - (float) h;
      double down = loss(step, u, i, r, l2);
      users.data()[at] = keep;
      expected[p] = -rate * (up - down) / (2 * h);
    }
    float[] before = users.data().clone();
    step.step(u, i, r, 0, 4, 0);
    for (int p = 0; p < probes.length; p++) {
      int at = probes[p][0] * users.stride() + probes[p][1];
      double moved = users.data()[at] - before[at];
      assertTrue(Math.abs(expected[p]) > 1e-7, "a probe the loss depends on");
      assertEquals(expected[p], moved, Math.abs(expected[p]) * 0.005,
          "user " + probes[p][0] + ", factor " + probes[p][1]);
    }
    // A row no rating of the batch names does not move.
    SparseEmbeddingStep other = new SparseEmbeddingStep(s.model(), s.train(), 4, 3, 1, 4);
    float[] untouched = other.users().data().clone();
    other.step(u, i, r, 0, 4, 0);
    for (int f = 0; f < other.users().stride(); f++) {
      assertEquals(untouched[3 * other.users().stride() + f],
          other.users().data()[3 * other.users().stride() + f], "user 3, float " + f);
    }
  }

  /** A few epochs of steps learn planted ratings far below the spread of the ratings. */
  @Test
  void learnsPlantedRatings() {
    int users = 300;
    int items = 200;
    PlantedRatings.Sample sample = PlantedRatings.plant(users, items, 3, 5)
        .sample(40_000, 0.5, 0.8, 0.3, 7);
    PipelineSettings s = settings("cfpipe.model.factors=8", "cfpipe.model.neural.hidden=16",
        "cfpipe.train.neural.l2=0", "cfpipe.train.neural.learning-rate=0.01",
        "cfpipe.train.neural.batch-size=128", "cfpipe.train.neural.epochs=6");
    int train = 32_000;
    int batch = 128;
    int epochs = 6;
    SparseEmbeddingStep step = new SparseEmbeddingStep(s.model(), s.train(), users, items,
        train / batch, batch);
    int[] u = java.util.Arrays.copyOfRange(sample.users(), train, sample.users().length);
    int[] i = java.util.Arrays.copyOfRange(sample.items(), train, sample.items().length);
    float[] r = java.util.Arrays.copyOfRange(sample.ratings(), train, sample.ratings().length);
    double mean = 0;
    for (float v : r) {
      mean += v;
    }
    mean /= r.length;
    double spread = 0;
    for (float v : r) {
      spread += (v - mean) * (v - mean);
    }
    spread = Math.sqrt(spread / r.length);
    for (int epoch = 0; epoch < epochs; epoch++) {
      for (int from = 0; from < train; from += batch) {
        step.step(sample.users(), sample.items(), sample.ratings(), from,
            Math.min(train, from + batch), epoch);
      }
    }
    double rmse = Math.sqrt(loss(step, u, i, r, 0));
    double floor = sample.oracleRmse(train, sample.ratings().length);
    assertTrue(rmse < 0.6 * spread, "validation RMSE " + rmse + " against the ratings' sd "
        + spread + " (noise floor " + floor + ")");
  }
}
