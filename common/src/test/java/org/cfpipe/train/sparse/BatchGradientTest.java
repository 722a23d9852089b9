package org.cfpipe.train.sparse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.cfpipe.config.ModelSettings.Range;
import org.cfpipe.model.FactorModel;
import org.cfpipe.train.ParameterTable;
import org.cfpipe.train.TouchedRows;
import org.cfpipe.train.TrainingSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The analytic mini-batch gradient against central finite differences of the batch loss. */
class BatchGradientTest {
  private static final double EPS = 1e-2;

  @ParameterizedTest(name = "biases {0}, y-range {1}, offset {2}, l2 {3}, bias-l2 {4}")
  @CsvSource({
      "true, false, 0.0, 0.0, 0.0",
      "true, true, 0.0, 0.0, 0.0",
      "true, true, 0.4, 0.3, 0.1",
      "false, false, 0.0, 0.0, 0.0",
      "false, true, -0.2, 0.05, 0.0",
      "true, false, 3.5, 0.0, 0.7"})
  void gradientMatchesFiniteDifferences(boolean biases, boolean withRange, double offset,
      double l2, double biasL2) {
    Optional<Range> range = withRange ? Optional.of(new Range(0, 5.5)) : Optional.empty();
    FactorModel model = new FactorModel(3, biases, 4, 5, offset, range);
    model.initUniform(0.5, 7);
    // User 1 and item 2 appear twice: their gradients must accumulate.
    TrainingSet batch = new TrainingSet(
        new int[] {1, 0, 1, 3, 2},
        new int[] {2, 4, 2, 0, 1},
        new float[] {4f, 1.5f, 3f, 5f, 2.5f});
    int width = model.rowWidth();
    // Tables with Adam's two state slots after each row, as the trainer lays them out.
    ParameterTable users = new ParameterTable(4, width, 2);
    ParameterTable items = new ParameterTable(5, width, 2);
    users.load(model.userRows());
    items.load(model.itemRows());
    TouchedRows userGrads = new TouchedRows(4, width, 2);
    TouchedRows itemGrads = new TouchedRows(5, width, 2);
    double sse = new BatchGradient(model, l2, biasL2)
        .accumulate(users, items, batch, 0, 5, userGrads, itemGrads);
    assertEquals(loss(model, batch, 0, 0) * 5, sse, 1e-5);

    check(model, batch, model.userRows(), userGrads, l2, biasL2);
    check(model, batch, model.itemRows(), itemGrads, l2, biasL2);
  }

  private static void check(FactorModel model, TrainingSet batch, float[] rows,
      TouchedRows grads, double l2, double biasL2) {
    int width = model.rowWidth();
    float[] analytic = new float[rows.length];
    for (int s = 0; s < grads.count(); s++) {
      System.arraycopy(grads.gradients(), s * width, analytic, grads.row(s) * width, width);
    }
    for (int p = 0; p < rows.length; p++) {
      float saved = rows[p];
      rows[p] = (float) (saved + EPS);
      double up = loss(model, batch, l2, biasL2);
      rows[p] = (float) (saved - EPS);
      double down = loss(model, batch, l2, biasL2);
      rows[p] = saved;
      double numeric = (up - down) / (2 * EPS);
      assertEquals(numeric, analytic[p], 2e-3 + 1e-2 * Math.abs(numeric), "parameter " + p);
    }
  }

  /** The regularised mean squared error of the batch, in double, straight from its definition. */
  private static double loss(FactorModel model, TrainingSet batch, double l2, double biasL2) {
    int k = model.factors();
    int width = model.rowWidth();
    double sum = 0;
    for (int n = 0; n < batch.size(); n++) {
      int u = batch.users()[n];
      int i = batch.items()[n];
      double e = model.predict(u, i) - batch.ratings()[n];
      sum += e * e;
      for (int f = 0; f < width; f++) {
        double weight = f < k ? l2 : biasL2;
        double a = model.userRows()[u * width + f];
        double b = model.itemRows()[i * width + f];
        sum += weight * (a * a + b * b);
      }
    }
    return sum / batch.size();
  }
}
