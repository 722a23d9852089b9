package org.cfpipe.ingest;

import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * Synthetic ratings with a known truth: planted user and item factors and biases, and ratings
 * r = u . v + b_u + b_i + noise with Gaussian noise of standard deviation {@code noise}. A model
 * that recovers the truth scores an RMSE equal to the noise (the noise floor), which makes
 * trainers testable against a number known in advance.
 *
 * <p>Users and items are drawn from power laws over their indices, P(index k) roughly
 * proportional to (k + 1)^-exponent: exponent 0 is uniform, about 1 is as skewed as MovieLens item
 * popularity. Index 0 is the most active user and the most popular item, as after id encoding.
 * A (user, item) pair may repeat.
 */
public final class PlantedRatings implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int users;
  private final int items;
  private final int rank;
  private final float[] userFactors;
  private final float[] itemFactors;
  private final float[] userBias;
  private final float[] itemBias;

  private PlantedRatings(int users, int items, int rank, float[] userFactors,
      float[] itemFactors, float[] userBias, float[] itemBias) {
    this.users = users;
    this.items = items;
    this.rank = rank;
    this.userFactors = userFactors;
    this.itemFactors = itemFactors;
    this.userBias = userBias;
    this.itemBias = itemBias;
  }

  /**
   * Plants the truth. Factors are N(0, 1/sqrt(rank)) so that u . v has unit variance whatever
   * the rank; biases are N(0, 0.5).
   */
  public static PlantedRatings plant(int users, int items, int rank, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    double scale = 1.0 / Math.sqrt(Math.sqrt(rank));
    return new PlantedRatings(users, items, rank,
        gaussian(random, Math.multiplyExact(users, rank), scale),
        gaussian(random, Math.multiplyExact(items, rank), scale),
        gaussian(random, users, 0.5), gaussian(random, items, 0.5));
  }

  /** Uniformly drawn pairs: {@link #plant} then {@link #sample} with exponents 0. */
  public static Sample generate(int users, int items, int ratingCount, int rank, double noise,
      long seed) {
    return plant(users, items, rank, seed).sample(ratingCount, 0, 0, noise, seed + 1);
  }

  /** {@code count} ratings, the same for the same arguments. */
  public Sample sample(int count, double userExponent, double itemExponent, double noise,
      long seed) {
    Sample sample = new Sample(this, new int[count], new int[count], new float[count]);
    SplittableRandom random = new SplittableRandom(seed);
    for (int n = 0; n < count; n++) {
      int u = powerLaw(random, users, userExponent);
      int i = powerLaw(random, items, itemExponent);
      sample.users[n] = u;
      sample.items[n] = i;
      sample.ratings[n] = (float) (truth(u, i) + noise * gaussian(random));
    }
    return sample;
  }

  /** The noiseless rating of the planted model. */
  public double truth(int user, int item) {
    double dot = 0;
    for (int f = 0; f < rank; f++) {
      dot += userFactors[user * rank + f] * itemFactors[item * rank + f];
    }
    return dot + userBias[user] + itemBias[item];
  }

  public int users() {
    return users;
  }

  public int items() {
    return items;
  }

  /**
   * An index in [0, n) with P(k) roughly proportional to (k + 1)^-exponent, by inverting the
   * continuous power law's distribution function.
   */
  static int powerLaw(SplittableRandom random, int n, double exponent) {
    double u = random.nextDouble();
    double x;
    if (exponent == 0) {
      x = u * n;
    } else if (Math.abs(exponent - 1) < 1e-9) {
      x = Math.pow(n + 1.0, u) - 1;
    } else {
      double a = 1 - exponent;
      x = Math.pow((Math.pow(n + 1.0, a) - 1) * u + 1, 1 / a) - 1;
    }
    return Math.min(n - 1, (int) x);
  }

  /** A standard normal draw (Box-Muller). */
  public static double gaussian(SplittableRandom random) {
    double u1 = 1.0 - random.nextDouble();
    double u2 = random.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  private static float[] gaussian(SplittableRandom random, int count, double std) {
    float[] values = new float[count];
    for (int j = 0; j < count; j++) {
      values[j] = (float) (std * gaussian(random));
    }
    return values;
  }

  /** Drawn ratings as parallel arrays, with the truth they were drawn from. */
  public record Sample(PlantedRatings truth, int[] users, int[] items, float[] ratings) {

    /** RMSE of the planted truth on ratings [from, to): the best any model can do there. */
    public double oracleRmse(int from, int to) {
      double squared = 0;
      for (int n = from; n < to; n++) {
        double error = truth.truth(users[n], items[n]) - ratings[n];
        squared += error * error;
      }
      return Math.sqrt(squared / (to - from));
    }
  }
}
