package org.cfpipe.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class ErrorStatsTest {
  // k = 1 with biases, no range: prediction = u v + b_u + b_i.
  private final FactorModel model = new FactorModel(1, true, 2, 2, 0.0, Optional.empty(),
      new float[] {1f, 0.5f, 2f, 0f}, new float[] {3f, 0f, -1f, 1f});

  @Test
  void rmseAndMaeByHand() {
    // Predictions: (0,0) 3.5, (1,1) -1, (0,1) 0.5; errors against 4, 1, 0.5: -0.5, -2, 0.
    ErrorStats stats = ErrorStats.of(model, new int[] {0, 1, 0}, new int[] {0, 1, 1},
        new float[] {4f, 1f, 0.5f});
    assertEquals(3, stats.count());
    assertEquals(Math.sqrt((0.25 + 4) / 3), stats.rmse(), 1e-9);
    assertEquals(2.5 / 3, stats.mae(), 1e-9);
  }

  @Test
  void mergedPartsEqualTheWhole() {
    ErrorStats whole = ErrorStats.of(model, new int[] {0, 1, 0}, new int[] {0, 1, 1},
        new float[] {4f, 1f, 0.5f});
    ErrorStats first = ErrorStats.of(model, new int[] {0}, new int[] {0}, new float[] {4f});
    ErrorStats rest = ErrorStats.of(model, new int[] {1, 0}, new int[] {1, 1},
        new float[] {1f, 0.5f});
    ErrorStats merged = first.plus(rest);
    assertEquals(whole.count(), merged.count());
    assertEquals(whole.rmse(), merged.rmse(), 1e-12);
    assertEquals(whole.mae(), merged.mae(), 1e-12);
    ErrorStats none = ErrorStats.of(model, new int[0], new int[0], new float[0]);
    assertTrue(Double.isNaN(none.rmse()));
    assertEquals(whole, none.plus(whole));
  }
}
