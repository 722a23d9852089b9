package org.cfpipe.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LazyAdamTest {

  /** A table of 3 rows of width 2, Adam's moments after each row's parameters. */
  private static ParameterTable table() {
    ParameterTable table = new ParameterTable(3, 2, 2);
    table.load(new float[] {1f, -2f, 0.5f, 3f, 4f, 5f});
    return table;
  }

  private static TouchedRows gradient(float... values) {
    TouchedRows touched = new TouchedRows(3, 2, 1);
    touched.clear();
    int offset = touched.gradientOffset(1);
    touched.gradients()[offset] = values[0];
    touched.gradients()[offset + 1] = values[1];
    return touched;
  }

  @Test
  void updatesOnlyTouchedRowsByTheAdamWFormula() {
    ParameterTable table = table();
    LazyAdam adam = new LazyAdam(0.99, 1e-5, 0.1);

    adam.update(table, gradient(0.2f, -0.4f), 0.01, 0.9, 1);

    // Step 1: m = 0.1 g, v = 0.01 g^2; corrected m = g, v = g^2; step = lr * g / (|g| + eps).
    float[] params = new float[6];
    table.store(params);
    double decay = 1 - 0.01 * 0.1;
    assertEquals(0.5 * decay - 0.01 * 0.2 / (0.2 + 1e-5), params[2], 1e-6);
    assertEquals(3 * decay + 0.01 * 0.4 / (0.4 + 1e-5), params[3], 1e-6);
    assertEquals(1f, params[0]);
    assertEquals(-2f, params[1]);
    assertEquals(4f, params[4]);
    assertEquals(5f, params[5]);

    // Step 2 with the same gradient: m and v are the bias-corrected running averages again.
    float before = params[2];
    adam.update(table, gradient(0.2f, 0f), 0.01, 0.9, 2);
    table.store(params);
    double m = 0.9 * 0.02 + 0.1 * 0.2;
    double v = 0.99 * 0.0004 + 0.01 * 0.04;
    double expected = before * decay
        - 0.01 * (m / (1 - 0.81)) / (Math.sqrt(v / (1 - 0.9801)) + 1e-5);
    assertEquals(expected, params[2], 1e-6);
  }

  @Test
  void sgdWithMomentumByHand() {
    ParameterTable table = new ParameterTable(3, 2, 1);
    table.load(new float[] {1f, -2f, 0.5f, 3f, 4f, 5f});
    LazySgd sgd = new LazySgd(0.0);
    sgd.update(table, gradient(0.2f, -0.4f), 0.1, 0.9, 1);
    sgd.update(table, gradient(0.2f, -0.4f), 0.1, 0.9, 2);
    float[] params = new float[6];
    table.store(params);
    // Velocity 0.2 then 0.9 * 0.2 + 0.2 = 0.38: w = 0.5 - 0.1 * (0.2 + 0.38).
    assertEquals(0.5 - 0.1 * 0.58, params[2], 1e-6);
    assertEquals(3 + 0.1 * 1.16, params[3], 1e-6);
    assertEquals(1f, params[0]);
  }

  @Test
  void touchedRowsGrowBeyondTheirFirstCapacityAndClear() {
    TouchedRows touched = new TouchedRows(10, 3, 1);
    touched.clear();
    for (int row : new int[] {7, 2, 7, 9, 2}) {
      // The offset first: opening a slot may grow the gradient array.
      int offset = touched.gradientOffset(row);
      touched.gradients()[offset] += 1f;
    }
    assertEquals(3, touched.count());
    assertEquals(7, touched.row(0));
    assertEquals(2f, touched.gradients()[touched.gradientOffset(7)]);
    assertEquals(1f, touched.gradients()[touched.gradientOffset(9)]);
    touched.clear();
    assertEquals(0, touched.count());
    assertEquals(0f, touched.gradients()[touched.gradientOffset(9)]);
  }
}
