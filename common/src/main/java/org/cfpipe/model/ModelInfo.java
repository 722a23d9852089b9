package org.cfpipe.model;

import java.util.Optional;
import org.cfpipe.config.ModelSettings.Range;

/**
 * The shape of a stored model, written as {@code model.json} beside its parameter tables.
 *
 * @param offset the fixed global offset g added to every score
 *
 * @param yRangeMin null without a y-range
 * @param yRangeMax null without a y-range
 */
public record ModelInfo(
    String type, int factors, boolean biases, double offset, int users, int items,
    Double yRangeMin, Double yRangeMax) {

  public static ModelInfo of(String type, FactorModel model) {
    Optional<Range> range = model.yRange();
    return new ModelInfo(type, model.factors(), model.hasBiases(), model.offset(), model.users(),
        model.items(), range.map(Range::min).orElse(null), range.map(Range::max).orElse(null));
  }

  public Optional<Range> yRange() {
    return yRangeMin == null ? Optional.empty() : Optional.of(new Range(yRangeMin, yRangeMax));
  }
}
