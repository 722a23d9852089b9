package org.cfpipe.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.cfpipe.config.TrainSettings;
import org.junit.jupiter.api.Test;

class LearningRateScheduleTest {
  private final TrainSettings.OneCycle cycle =
      new TrainSettings.OneCycle(0.25, 25, 1e5, 0.95, 0.85);
  private final LearningRateSchedule oneCycle =
      new LearningRateSchedule.OneCycle(0.01, cycle, 1000);

  @Test
  void oneCycleWarmsUpToTheMaximumThenAnnealsToTheFinalRate() {
    assertEquals(0.01 / 25, oneCycle.learningRate(0), 1e-12);
    assertEquals(0.01, oneCycle.learningRate(250), 1e-12);
    assertEquals(0.01 / 1e5, oneCycle.learningRate(999), 1e-12);
    // Halfway up the warm-up the cosine is at the midpoint of its two ends.
    assertEquals((0.01 / 25 + 0.01) / 2, oneCycle.learningRate(125), 1e-12);
    for (long s = 1; s <= 250; s++) {
      assertTrue(oneCycle.learningRate(s) >= oneCycle.learningRate(s - 1));
    }
    for (long s = 251; s <= 999; s++) {
      assertTrue(oneCycle.learningRate(s) <= oneCycle.learningRate(s - 1));
    }
  }

  @Test
  void momentumMovesAgainstTheRate() {
    assertEquals(0.95, oneCycle.beta1(0), 1e-12);
    assertEquals(0.85, oneCycle.beta1(250), 1e-12);
    assertEquals(0.95, oneCycle.beta1(999), 1e-12);
  }

  @Test
  void constantIsConstant() {
    LearningRateSchedule constant = new LearningRateSchedule.Constant(0.003, 0.9);
    assertEquals(0.003, constant.learningRate(0));
    assertEquals(0.003, constant.learningRate(123_456));
    assertEquals(0.9, constant.beta1(77));
  }
}
