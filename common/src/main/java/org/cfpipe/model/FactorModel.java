package org.cfpipe.model;

import java.util.Optional;
import java.util.SplittableRandom;
import org.cfpipe.config.ModelSettings.Range;

/**
 * Matrix factorisation with optional biases (Koren, Bell and Volinsky 2009, "Matrix factorization
 * techniques for recommender systems"), a fixed global offset and fastai's optional sigmoid output
 * range:
 *
 * <pre>
 *   z = u . v [+ b_u + b_i] + g
 *   prediction = z                                     without a y-range
 *   prediction = sigmoid(z) * (max - min) + min         with y-range [min, max]
 * </pre>
 *
 * <p>{@code dot} is this model without biases and with g = 0; {@code dot-bias} has biases and,
 * optionally, g set from the mean training rating ({@link #offsetFor}). Parameters live in two
 * flat float arrays, one row per user or item, each row its {@code factors} values followed by its
 * bias when there is one: a rating touches two contiguous rows.
 */
public final class FactorModel implements RatingModel {
  private static final long serialVersionUID = 1L;

  private final int factors;
  private final boolean biases;
  private final int width;
  private final int users;
  private final int items;
  private final double offset;
  private final float[] userRows;
  private final float[] itemRows;
  private final boolean hasRange;
  private final double rangeMin;
  private final double rangeSpan;

  public FactorModel(int factors, boolean biases, int users, int items, double offset,
      Optional<Range> yRange) {
    this(factors, biases, users, items, offset, yRange,
        new float[Math.multiplyExact(users, factors + (biases ? 1 : 0))],
        new float[Math.multiplyExact(items, factors + (biases ? 1 : 0))]);
  }

  public FactorModel(int factors, boolean biases, int users, int items, double offset,
      Optional<Range> yRange, float[] userRows, float[] itemRows) {
    this.factors = factors;
    this.biases = biases;
    this.width = factors + (biases ? 1 : 0);
    if (userRows.length != (long) users * width || itemRows.length != (long) items * width) {
      throw new IllegalArgumentException("parameter arrays do not match " + users + " users, "
          + items + " items and rows of " + width);
    }
    this.users = users;
    this.items = items;
    this.offset = offset;
    this.userRows = userRows;
    this.itemRows = itemRows;
    this.hasRange = yRange.isPresent();
    this.rangeMin = yRange.map(Range::min).orElse(0.0);
    this.rangeSpan = yRange.map(r -> r.max() - r.min()).orElse(1.0);
  }

  /**
   * The global offset g that makes a model with zero factors and biases predict {@code mean}:
   * the mean itself without a y-range, its logit within the range with one.
   */
  public static double offsetFor(double mean, Optional<Range> yRange) {
    if (yRange.isEmpty()) {
      return mean;
    }
    Range r = yRange.get();
    double p = (mean - r.min()) / (r.max() - r.min());
    p = Math.min(1 - 1e-6, Math.max(1e-6, p));
    return Math.log(p / (1 - p));
  }

  /**
   * Every factor and bias drawn uniformly from [-range, range], each row from its own seed
   * ({@link #rowSeed}), so that a worker holding some of the rows draws them exactly as here.
   */
  public void initUniform(double range, long seed) {
    for (int r = 0; r < users; r++) {
      initRow(userRows, r * width, width, range, rowSeed(seed, USERS, r));
    }
    for (int r = 0; r < items; r++) {
      initRow(itemRows, r * width, width, range, rowSeed(seed, ITEMS, r));
    }
  }

  /** Side markers for {@link #rowSeed}. */
  public static final int USERS = 0;
  public static final int ITEMS = 1;

  /** Draws {@code width} floats uniformly from [-range, range] into target[offset...]. */
  public static void initRow(float[] target, int offset, int width, double range, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    for (int j = 0; j < width; j++) {
      target[offset + j] = (float) ((random.nextDouble() * 2 - 1) * range);
    }
  }

  /** The seed of one row's initial values: mixed so that neighbouring rows are unrelated. */
  public static long rowSeed(long seed, int side, int row) {
    long h = seed * 0x9E3779B97F4A7C15L + side;
    h = (h ^ (h >>> 31)) * 0xBF58476D1CE4E5B9L + row;
    h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
    return h ^ (h >>> 31);
  }

  /** z, the score before the output range. */
  public double score(int user, int item) {
    return score(userRows, user * width, itemRows, item * width);
  }

  /** z for the user row at {@code u} of {@code userData} and the item row at {@code v}. */
  public double score(float[] userData, int u, float[] itemData, int v) {
    float dot = 0f;
    for (int f = 0; f < factors; f++) {
      dot += userData[u + f] * itemData[v + f];
    }
    double z = dot + offset;
    return biases ? z + userData[u + factors] + itemData[v + factors] : z;
  }

  @Override
  public double predict(int user, int item) {
    return output(score(user, item));
  }

  /** The prediction for score z: z itself, or z through the sigmoid y-range. */
  public double output(double z) {
    return hasRange ? rangeMin + rangeSpan * sigmoid(z) : z;
  }

  /**
   * d prediction / d z, from the prediction p = output(z) itself: 1 without a y-range, and
   * (p - min)(max - p) / (max - min) with one, the sigmoid's derivative without a second exp.
   */
  public double slopeAt(double prediction) {
    if (!hasRange) {
      return 1.0;
    }
    double above = prediction - rangeMin;
    return above * (rangeSpan - above) / rangeSpan;
  }

  static double sigmoid(double z) {
    return 1.0 / (1.0 + Math.exp(-z));
  }

  public int factors() {
    return factors;
  }

  public boolean hasBiases() {
    return biases;
  }

  /** Floats per row: the factors, then the bias when the model has biases. */
  public int rowWidth() {
    return width;
  }

  @Override
  public int users() {
    return users;
  }

  @Override
  public int items() {
    return items;
  }

  public double offset() {
    return offset;
  }

  /** The user rows, shared, not copied: trainers update them in place. */
  public float[] userRows() {
    return userRows;
  }

  /** The item rows, shared, not copied: trainers update them in place. */
  public float[] itemRows() {
    return itemRows;
  }

  @Override
  public Optional<Range> yRange() {
    return hasRange ? Optional.of(new Range(rangeMin, rangeMin + rangeSpan)) : Optional.empty();
  }
}
