package org.cfpipe.serve;

import java.io.Serializable;
import org.cfpipe.config.ModelSettings.Range;
import org.cfpipe.model.ModelInfo;
import org.cfpipe.model.NeuralModel;

/**
 * A stored model's prediction for one user row and one item row, as the evaluate stage's SQL
 * column computes it: for a factor model z = u.v + offset [+ b_u + b_i], then the y-range
 * sigmoid; for the neural model, its head on the two embeddings.
 */
public final class PairScorer implements Serializable {
  private static final long serialVersionUID = 1L;

  private final ModelInfo info;
  private final NeuralModel head;

  public PairScorer(ModelInfo info) {
    this.info = info;
    this.head = info.neural() == null ? null
        : new NeuralModel(0, 0, new float[0], new float[0], info.neural(), info.yRange());
  }

  public double score(float[] u, float userBias, float[] v, float itemBias) {
    if (head != null) {
      return head.predict(u, 0, v, 0);
    }
    double z = info.offset();
    for (int f = 0; f < u.length; f++) {
      z += u[f] * v[f];
    }
    if (info.biases()) {
      z += userBias + itemBias;
    }
    return link(z);
  }

  /**
   * The prediction when the user or the item (or both) has no row: the training mean, moved by
   * the known side's bias in the model's own scale (the logit scale under a y-range), so an item
   * liked by all still scores above the mean for a new user.
   *
   * @param knownBias the bias of the side that is known; 0 when neither is or without biases
   */
  public double fallback(double trainMean, double knownBias) {
    if (head != null || !info.biases()) {
      return trainMean;
    }
    return link(inverseLink(trainMean) + knownBias);
  }

  private double link(double z) {
    if (info.yRange().isEmpty()) {
      return z;
    }
    Range r = info.yRange().get();
    return r.min() + (r.max() - r.min()) / (1.0 + Math.exp(-z));
  }

  private double inverseLink(double rating) {
    if (info.yRange().isEmpty()) {
      return rating;
    }
    Range r = info.yRange().get();
    double p = (rating - r.min()) / (r.max() - r.min());
    return Math.log(p / (1.0 - p));
  }
}
