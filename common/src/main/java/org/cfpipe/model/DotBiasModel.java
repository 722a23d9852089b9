package org.cfpipe.model;

import java.io.Serializable;
import java.util.Optional;
import java.util.SplittableRandom;
import org.cfpipe.config.ModelSettings.Range;

/**
 * Biased matrix factorisation (Koren, Bell and Volinsky 2009, "Matrix factorization techniques for
 * recommender systems") with fastai's optional sigmoid output range:
 *
 * <pre>
 *   z = u . v + b_u + b_i
 *   prediction = z                                     without a y-range
 *   prediction = sigmoid(z) * (max - min) + min         with y-range [min, max]
 * </pre>
 *
 * <p>Parameters live in two flat float arrays, one row per user or item, each row its
 * {@code factors} values followed by its bias: a rating touches two contiguous rows.
 */
public final class DotBiasModel implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int factors;
  private final int users;
  private final int items;
  private final float[] userRows;
  private final float[] itemRows;
  private final boolean hasRange;
  private final double rangeMin;
  private final double rangeSpan;

  public DotBiasModel(int factors, int users, int items, Optional<Range> yRange) {
    this(factors, users, items, yRange, new float[Math.multiplyExact(users, factors + 1)],
        new float[Math.multiplyExact(items, factors + 1)]);
  }

  public DotBiasModel(int factors, int users, int items, Optional<Range> yRange,
      float[] userRows, float[] itemRows) {
    if (userRows.length != (long) users * (factors + 1)
        || itemRows.length != (long) items * (factors + 1)) {
      throw new IllegalArgumentException("parameter arrays do not match " + users + " users, "
          + items + " items and " + factors + " factors");
    }
    this.factors = factors;
    this.users = users;
    this.items = items;
    this.userRows = userRows;
    this.itemRows = itemRows;
    this.hasRange = yRange.isPresent();
    this.rangeMin = yRange.map(Range::min).orElse(0.0);
    this.rangeSpan = yRange.map(r -> r.max() - r.min()).orElse(1.0);
  }

  /** Every factor and bias drawn uniformly from [-range, range]. */
  public void initUniform(double range, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    for (int j = 0; j < userRows.length; j++) {
      userRows[j] = (float) ((random.nextDouble() * 2 - 1) * range);
    }
    for (int j = 0; j < itemRows.length; j++) {
      itemRows[j] = (float) ((random.nextDouble() * 2 - 1) * range);
    }
  }

  /** z = u . v + b_u + b_i: the score before the output range. */
  public double score(int user, int item) {
    int u = user * (factors + 1);
    int v = item * (factors + 1);
    float dot = 0f;
    for (int f = 0; f < factors; f++) {
      dot += userRows[u + f] * itemRows[v + f];
    }
    return dot + userRows[u + factors] + itemRows[v + factors];
  }

  public double predict(int user, int item) {
    return output(score(user, item));
  }

  /** The prediction for score z: z itself, or z through the sigmoid y-range. */
  public double output(double z) {
    return hasRange ? rangeMin + rangeSpan * sigmoid(z) : z;
  }

  /** d prediction / d z at score z. */
  public double outputSlope(double z) {
    if (!hasRange) {
      return 1.0;
    }
    double s = sigmoid(z);
    return rangeSpan * s * (1 - s);
  }

  static double sigmoid(double z) {
    return 1.0 / (1.0 + Math.exp(-z));
  }

  public int factors() {
    return factors;
  }

  /** Floats per row: the factors, then the bias. */
  public int rowWidth() {
    return factors + 1;
  }

  public int users() {
    return users;
  }

  public int items() {
    return items;
  }

  /** The user rows, shared, not copied: trainers update them in place. */
  public float[] userRows() {
    return userRows;
  }

  /** The item rows, shared, not copied: trainers update them in place. */
  public float[] itemRows() {
    return itemRows;
  }

  public Optional<Range> yRange() {
    return hasRange ? Optional.of(new Range(rangeMin, rangeMin + rangeSpan)) : Optional.empty();
  }
}
