package org.cfpipe.train.gibbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Batch means on chains whose Monte Carlo variance is known. */
class McErrorTest {
  private static final int SAMPLES = 400;

  /** Each traced rating's predictions an AR(1) chain of unit variance, correlation rho. */
  private static McError chain(double rho, double trend, long seed) {
    McError error = new McError(1_000_000, 10);
    SplittableRandom random = new SplittableRandom(seed);
    double[] state = new double[error.traced.length];
    double[] predictions = new double[state.length];
    for (int s = 0; s < SAMPLES; s++) {
      for (int j = 0; j < state.length; j++) {
        state[j] = rho * state[j] + Math.sqrt(1 - rho * rho) * random.nextGaussian();
        predictions[j] = state[j] + trend * s / SAMPLES;
      }
      error.add(predictions);
    }
    return error;
  }

  @Test
  void independentSamplesGiveTheVarianceOverN() {
    assertEquals(1.0 / SAMPLES, chain(0, 0, 1).variance(), 0.1 / SAMPLES);
  }

  @Test
  void correlatedSamplesCountForFewer() {
    // AR(1): the variance of the mean is (1 + rho) / (1 - rho) / n, 19 / n at rho = 0.9. Ten
    // batches of 40 samples underestimate it somewhat; the samples' own variance would give 1 / n.
    double variance = chain(0.9, 0, 2).variance() * SAMPLES;
    assertTrue(variance > 13 && variance < 21, "n times the variance: " + variance);
  }

  @Test
  void aDriftingChainIsFarFromSettled() {
    // A drift of one noise standard deviation over the samples: their mean is no estimate of
    // where the chain is going, and batch means say so.
    double drifting = chain(0, 1.0, 3).variance();
    double stationary = chain(0, 0, 3).variance();
    assertTrue(drifting > 3 * stationary, "drifting " + drifting + ", stationary " + stationary);
  }

  @Test
  void checksAfterTheFirstHundredSamplesAndEveryTwentyAfter() {
    McError error = new McError(50, 1);
    int checks = 0;
    for (int s = 1; s <= 160; s++) {
      error.add(new double[error.traced.length]);
      if (error.due()) {
        checks++;
        assertTrue(s == 100 || s == 120 || s == 140 || s == 160, "check at " + s);
      }
    }
    assertEquals(4, checks);
    assertEquals(50, error.traced.length);
  }

  @Test
  void aRestoredTraceGivesTheSameVariance() throws IOException {
    McError error = chain(0.5, 0, 4);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      error.save(out);
    }
    McError restored = new McError(1_000_000, 10);
    restored.restore(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
    assertEquals(SAMPLES, restored.samples());
    assertEquals(error.variance(), restored.variance());
  }
}
