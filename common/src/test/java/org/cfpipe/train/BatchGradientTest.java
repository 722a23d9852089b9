package org.cfpipe.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.cfpipe.config.ModelSettings.Range;
import org.cfpipe.model.DotBiasModel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The analytic mini-batch gradient against central finite differences of the batch loss. */
class BatchGradientTest {
  private static final double EPS = 1e-2;

  @ParameterizedTest(name = "y-range {0}")
  @ValueSource(booleans = {false, true})
  void gradientMatchesFiniteDifferences(boolean withRange) {
    Optional<Range> range = withRange ? Optional.of(new Range(0, 5.5)) : Optional.empty();
    DotBiasModel model = new DotBiasModel(3, 4, 5, range);
    model.initUniform(0.5, 7);
    // User 1 and item 2 appear twice: their gradients must accumulate.
    TrainingSet batch = new TrainingSet(
        new int[] {1, 0, 1, 3, 2},
        new int[] {2, 4, 2, 0, 1},
        new float[] {4f, 1.5f, 3f, 5f, 2.5f});
    TouchedRows userGrads = new TouchedRows(4, 4, 2);
    TouchedRows itemGrads = new TouchedRows(5, 4, 2);
    double sse = BatchGradient.accumulate(model, batch, 0, 5, userGrads, itemGrads);
    assertEquals(loss(model, batch) * 5, sse, 1e-6);

    check(model, batch, model.userRows(), userGrads);
    check(model, batch, model.itemRows(), itemGrads);
  }

  private static void check(DotBiasModel model, TrainingSet batch, float[] rows,
      TouchedRows grads) {
    int width = model.rowWidth();
    float[] analytic = new float[rows.length];
    for (int s = 0; s < grads.count(); s++) {
      System.arraycopy(grads.gradients(), s * width, analytic, grads.row(s) * width, width);
    }
    for (int p = 0; p < rows.length; p++) {
      float saved = rows[p];
      rows[p] = (float) (saved + EPS);
      double up = loss(model, batch);
      rows[p] = (float) (saved - EPS);
      double down = loss(model, batch);
      rows[p] = saved;
      double numeric = (up - down) / (2 * EPS);
      assertEquals(numeric, analytic[p], 2e-3 + 1e-2 * Math.abs(numeric), "parameter " + p);
    }
  }

  /** Mean squared error of the batch, in double. */
  private static double loss(DotBiasModel model, TrainingSet batch) {
    double sum = 0;
    for (int n = 0; n < batch.size(); n++) {
      double e = model.predict(batch.users()[n], batch.items()[n]) - batch.ratings()[n];
      sum += e * e;
    }
    return sum / batch.size();
  }
}
