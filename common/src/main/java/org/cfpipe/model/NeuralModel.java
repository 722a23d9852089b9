package org.cfpipe.model;

import java.util.Optional;
import org.cfpipe.config.ModelSettings.Range;

/**
 * The neural model of fastai's EmbeddingNet (Howard, fast.ai 2018, lesson 5): a user embedding u
 * and an item embedding v, concatenated and passed through one hidden layer,
 *
 * <pre>
 *   h = relu(W1^T [u; v] + b1)
 *   z = w2 . h + b2
 *   prediction = z, or sigmoid(z) * (max - min) + min with a y-range
 * </pre>
 *
 * <p>Dropout acts only while training, so scoring needs nothing but these arrays: the evaluate
 * stage scores in Spark without Deeplearning4j. W1 is stored row-major, one row of
 * {@code hidden} weights per input value.
 */
public final class NeuralModel implements RatingModel {
  private static final long serialVersionUID = 1L;

  private final int users;
  private final int items;
  private final float[] userRows;
  private final float[] itemRows;
  private final Head head;
  private final Range range;

  /**
   * The layers after the embeddings.
   *
   * @param w1 (userFactors + itemFactors) x hidden, row-major
   */
  public record Head(int userFactors, int itemFactors, int hidden, float[] w1, float[] b1,
      float[] w2, float b2) implements java.io.Serializable {
    public Head {
      if (w1.length != (userFactors + itemFactors) * hidden || b1.length != hidden
          || w2.length != hidden) {
        throw new IllegalArgumentException("head weights do not match " + userFactors + " + "
            + itemFactors + " inputs and " + hidden + " hidden units");
      }
    }

    /** z for the user embedding at u[uo...] and the item embedding at v[vo...]. */
    public double score(float[] u, int uo, float[] v, int vo) {
      // Input by input, each adding its row of W1 to every hidden unit: W1's rows are read in
      // order and the inner loop vectorises, where unit by unit read W1 a column at a time (ten
      // times slower at 100 hidden units). Each unit's sum takes its terms in the same order.
      double[] a = new double[hidden];
      for (int j = 0; j < hidden; j++) {
        a[j] = b1[j];
      }
      for (int f = 0; f < userFactors; f++) {
        float x = u[uo + f];
        int row = f * hidden;
        for (int j = 0; j < hidden; j++) {
          a[j] += x * w1[row + j];
        }
      }
      for (int f = 0; f < itemFactors; f++) {
        float x = v[vo + f];
        int row = (userFactors + f) * hidden;
        for (int j = 0; j < hidden; j++) {
          a[j] += x * w1[row + j];
        }
      }
      double z = b2;
      for (int j = 0; j < hidden; j++) {
        if (a[j] > 0) {
          z += a[j] * w2[j];
        }
      }
      return z;
    }
  }

  public NeuralModel(int users, int items, float[] userRows, float[] itemRows, Head head,
      Optional<Range> yRange) {
    if (userRows.length != (long) users * head.userFactors()
        || itemRows.length != (long) items * head.itemFactors()) {
      throw new IllegalArgumentException("embedding arrays do not match " + users + " users and "
          + items + " items");
    }
    this.users = users;
    this.items = items;
    this.userRows = userRows;
    this.itemRows = itemRows;
    this.head = head;
    this.range = yRange.orElse(null);
  }

  @Override
  public double predict(int user, int item) {
    return predict(userRows, user * head.userFactors(), itemRows, item * head.itemFactors());
  }

  /** The prediction for embeddings held elsewhere (joined rows of the stored tables). */
  public double predict(float[] u, int uo, float[] v, int vo) {
    return output(head.score(u, uo, v, vo), yRange());
  }

  static double output(double z, Optional<Range> range) {
    if (range.isEmpty()) {
      return z;
    }
    Range r = range.get();
    return r.min() + (r.max() - r.min()) / (1.0 + Math.exp(-z));
  }

  public Head head() {
    return head;
  }

  /** User embeddings, {@code head().userFactors()} floats per user. */
  public float[] userRows() {
    return userRows;
  }

  /** Item embeddings, {@code head().itemFactors()} floats per item. */
  public float[] itemRows() {
    return itemRows;
  }

  @Override
  public int users() {
    return users;
  }

  @Override
  public int items() {
    return items;
  }

  @Override
  public Optional<Range> yRange() {
    return Optional.ofNullable(range);
  }
}
