package org.cfpipe.model;

import java.io.Serializable;
import java.util.Optional;
import org.cfpipe.config.ModelSettings.Range;

/**
 * The shape of a stored model, written as {@code model.json} beside its parameter tables.
 *
 * @param factors user factors (the user embedding's width for the neural model)
 * @param offset the fixed global offset g added to every score of a factor model
 * @param yRangeMin null without a y-range
 * @param yRangeMax null without a y-range
 * @param neural the layers after the embeddings; null for factor models
 */
public record ModelInfo(
    String type, int factors, boolean biases, double offset, int users, int items,
    Double yRangeMin, Double yRangeMax, NeuralModel.Head neural) implements Serializable {

  public static ModelInfo of(String type, RatingModel model) {
    Optional<Range> range = model.yRange();
    Double min = range.map(Range::min).orElse(null);
    Double max = range.map(Range::max).orElse(null);
    if (model instanceof NeuralModel n) {
      return new ModelInfo(type, n.head().userFactors(), false, 0.0, n.users(), n.items(), min,
          max, n.head());
    }
    FactorModel f = (FactorModel) model;
    return new ModelInfo(type, f.factors(), f.hasBiases(), f.offset(), f.users(), f.items(), min,
        max, null);
  }

  public Optional<Range> yRange() {
    return yRangeMin == null ? Optional.empty() : Optional.of(new Range(yRangeMin, yRangeMax));
  }
}
