package org.cfpipe.train.gibbs;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import org.cfpipe.train.Checkpoints;

/**
 * How far the posterior mean of a chain still is from the mean of infinitely many samples: the
 * Monte Carlo variance of its predictions, estimated by batch means (Flegal and Jones 2010,
 * "Batch means and spectral variance estimators in Markov chain Monte Carlo"), on a fixed,
 * evenly spaced sample of the training ratings. The chain stops once that variance is a small
 * fraction of the noise variance: a test rating's expected squared error is the noise, the
 * model's bias and this variance, so a fraction t of the noise costs at most t / 2 of the RMSE.
 *
 * <p>Each sample's prediction of every traced rating is kept. With n samples, {@link #BATCHES}
 * batches of b = floor(n / B) consecutive samples (the last B b of them) give the variance of the
 * mean of n correlated samples as b / (B - 1) sum (batch mean - mean)^2 / n, averaged over the
 * traced ratings. Few batches make each rating's estimate rough, but the average over thousands
 * of ratings is steady, and long batches underestimate a slowly mixing chain less than the usual
 * sqrt(n) batches (an AR(1) chain of correlation 0.9 over 400 samples, simulated: 14.3 / n of
 * the true 19 / n, against 10.6 / n). Predictions do not change when the factor space turns, so
 * the samples need no alignment here.
 */
final class McError {
  /** Ratings traced: enough for a stable average, few enough to cost nothing. */
  static final int TRACED = 4096;
  /** Samples before the first check, and between two checks. */
  static final int FIRST_CHECK = 100;
  static final int CHECK_EVERY = 20;
  static final int BATCHES = 10;

  /** Indexes (into the chain's ratings) of the traced ratings. */
  final int[] traced;
  private float[] trace;
  private int samples;

  /** Traces {@link #TRACED} of {@code ratings} ratings, evenly spaced; room for capacity. */
  McError(int ratings, int capacity) {
    int count = Math.min(TRACED, ratings);
    traced = new int[count];
    for (int j = 0; j < count; j++) {
      traced[j] = (int) ((long) j * ratings / count);
    }
    trace = new float[Math.max(1, capacity) * count];
  }

  /** Adds one sample's predictions of the traced ratings, in the order of {@link #traced}. */
  void add(double[] predictions) {
    int count = traced.length;
    if ((long) (samples + 1) * count > trace.length) {
      trace = Arrays.copyOf(trace, Math.max(trace.length * 2, (samples + 1) * count));
    }
    for (int j = 0; j < count; j++) {
      trace[samples * count + j] = (float) predictions[j];
    }
    samples++;
  }

  int samples() {
    return samples;
  }

  /** Whether this many samples is a point to check at. */
  boolean due() {
    return samples >= FIRST_CHECK && (samples - FIRST_CHECK) % CHECK_EVERY == 0;
  }

  /** The Monte Carlo variance of the mean of the samples so far, averaged over the ratings. */
  double variance() {
    int batches = BATCHES;
    int b = samples / batches;
    if (b < 1) {
      return Double.POSITIVE_INFINITY;
    }
    int count = traced.length;
    int skip = samples - batches * b;
    double total = 0;
    double[] batchMeans = new double[batches];
    for (int j = 0; j < count; j++) {
      double mean = 0;
      for (int batch = 0; batch < batches; batch++) {
        double sum = 0;
        for (int s = skip + batch * b; s < skip + (batch + 1) * b; s++) {
          sum += trace[s * count + j];
        }
        batchMeans[batch] = sum / b;
        mean += batchMeans[batch];
      }
      mean /= batches;
      double squares = 0;
      for (double m : batchMeans) {
        squares += (m - mean) * (m - mean);
      }
      total += b * squares / (batches - 1) / (batches * b);
    }
    return total / count;
  }

  void save(DataOutputStream out) throws IOException {
    Checkpoints.writeFloats(out, Arrays.copyOf(trace, samples * traced.length));
  }

  void restore(DataInputStream in) throws IOException {
    float[] saved = Checkpoints.readFloats(in);
    if (saved.length % traced.length != 0) {
      throw new IOException("the checkpoint traces " + saved.length + " predictions, not a "
          + "multiple of " + traced.length);
    }
    trace = Arrays.copyOf(saved, Math.max(saved.length, trace.length));
    samples = saved.length / traced.length;
  }
}
