package org.cfpipe.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.cfpipe.config.RatingScale;

/**
 * Bins of a chart axis in rating units, from the training ratings' scale: the ratings on their
 * own grid (a twentieth of the span when they fall on none), predictions on half that grid
 * across the y-range the scale implies.
 *
 * @param lo the first bin's centre
 * @param width the distance between bin centres
 * @param count the number of bins
 */
record RatingAxis(double lo, double width, int count) {

  /** An axis for ratings on {@code scale}. */
  static RatingAxis ratings(RatingScale scale) {
    double width = grid(scale);
    return new RatingAxis(scale.min(), width,
        (int) Math.round((scale.max() - scale.min()) / width) + 1);
  }

  /** An axis for predictions of ratings on {@code scale}, which may overshoot it a little. */
  static RatingAxis predictions(RatingScale scale) {
    double width = grid(scale) / 2;
    double lo = scale.yRange().min();
    return new RatingAxis(lo, width, (int) Math.round((scale.yRange().max() - lo) / width) + 1);
  }

  /** Spark SQL of the bin index of {@code column}, the ends clamped into the first and last. */
  String index(String column) {
    return String.format(Locale.ROOT, "CAST(LEAST(GREATEST(ROUND((%s - %s) / %s), 0), %d) AS INT)",
        column, lo, width, count - 1);
  }

  /** The bins' centres, as labels. */
  List<String> labels() {
    List<String> labels = new ArrayList<>(count);
    for (int b = 0; b < count; b++) {
      double v = Math.round((lo + b * width) * 1e6) / 1e6;
      labels.add(String.valueOf(v));
    }
    return labels;
  }

  private static double grid(RatingScale scale) {
    if (scale.step() > 0) {
      return scale.step();
    }
    double span = scale.max() - scale.min();
    return span > 0 ? span / 20 : 0.5;
  }
}
