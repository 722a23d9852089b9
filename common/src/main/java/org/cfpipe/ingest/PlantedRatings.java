package org.cfpipe.ingest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Synthetic ratings with a known truth: planted user and item factors and biases, and ratings
 * r = u . v + b_u + b_i + noise with Gaussian noise of standard deviation {@code noise}. A model
 * that recovers the truth scores an RMSE equal to the noise (the noise floor), which makes
 * trainers testable against a number known in advance. Pairs are drawn uniformly; a pair may
 * repeat.
 */
public final class PlantedRatings {
  private final int rank;
  private final float[] userFactors;
  private final float[] itemFactors;
  private final float[] userBias;
  private final float[] itemBias;
  private final int[] users;
  private final int[] items;
  private final float[] ratings;

  private PlantedRatings(int rank, float[] userFactors, float[] itemFactors, float[] userBias,
      float[] itemBias, int[] users, int[] items, float[] ratings) {
    this.rank = rank;
    this.userFactors = userFactors;
    this.itemFactors = itemFactors;
    this.userBias = userBias;
    this.itemBias = itemBias;
    this.users = users;
    this.items = items;
    this.ratings = ratings;
  }

  /**
   * Factors are N(0, 1/sqrt(rank)) so that u . v has unit variance whatever the rank; biases are
   * N(0, 0.5).
   */
  public static PlantedRatings generate(int userCount, int itemCount, int ratingCount, int rank,
      double noise, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    double scale = 1.0 / Math.sqrt(Math.sqrt(rank));
    float[] uf = gaussian(random, userCount * rank, scale);
    float[] vf = gaussian(random, itemCount * rank, scale);
    float[] ub = gaussian(random, userCount, 0.5);
    float[] vb = gaussian(random, itemCount, 0.5);
    int[] users = new int[ratingCount];
    int[] items = new int[ratingCount];
    float[] ratings = new float[ratingCount];
    PlantedRatings planted = new PlantedRatings(rank, uf, vf, ub, vb, users, items, ratings);
    for (int n = 0; n < ratingCount; n++) {
      users[n] = random.nextInt(userCount);
      items[n] = random.nextInt(itemCount);
      ratings[n] = (float) (planted.truth(users[n], items[n]) + noise * gaussian(random));
    }
    return planted;
  }

  /** The noiseless rating of the planted model. */
  public double truth(int user, int item) {
    double dot = 0;
    for (int f = 0; f < rank; f++) {
      dot += userFactors[user * rank + f] * itemFactors[item * rank + f];
    }
    return dot + userBias[user] + itemBias[item];
  }

  /** RMSE of the planted truth on ratings [from, to): the best any model can do there. */
  public double oracleRmse(int from, int to) {
    double squared = 0;
    for (int n = from; n < to; n++) {
      double error = truth(users[n], items[n]) - ratings[n];
      squared += error * error;
    }
    return Math.sqrt(squared / (to - from));
  }

  /** Writes ratings [from, to) as MovieLens ratings.csv lines, header included. */
  public void writeMovieLensCsv(Writer out, int from, int to) {
    try {
      out.write("userId,movieId,rating,timestamp\n");
      for (int n = from; n < to; n++) {
        out.write(String.format(Locale.ROOT, "%d,%d,%.4f,%d%n", users[n] + 1, items[n] + 1,
            ratings[n], 1_000_000_000L + n));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int[] users() {
    return users;
  }

  public int[] items() {
    return items;
  }

  public float[] ratings() {
    return ratings;
  }

  private static float[] gaussian(SplittableRandom random, int count, double std) {
    float[] values = new float[count];
    for (int j = 0; j < count; j++) {
      values[j] = (float) (std * gaussian(random));
    }
    return values;
  }

  /** A standard normal draw (Box-Muller). */
  private static double gaussian(SplittableRandom random) {
    double u1 = 1.0 - random.nextDouble();
    double u2 = random.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}
