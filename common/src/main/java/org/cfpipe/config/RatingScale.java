package org.cfpipe.config;

import java.io.Serializable;
import java.util.Locale;

/**
 * A rating scale: its bounds and its step (0.5 for half stars, 1 for integers, 0 when the
 * ratings fall on no grid). The split stage takes it from the training ratings unless the user
 * set it; it drives the y-range, the relevance threshold of the ranking metrics, the generator
 * and the report's axes.
 *
 * @param step the grid the ratings fall on, counted from 0; 0 for none
 */
public record RatingScale(double min, double max, double step) implements Serializable {
  /** Candidate steps, coarsest first: the first that every rating falls on wins. */
  public static final double[] STEPS = {1.0, 0.5, 0.25, 0.1, 0.05, 0.01};

  public RatingScale {
    if (!(min <= max) || !Double.isFinite(min) || !Double.isFinite(max)) {
      throw new IllegalArgumentException("a rating scale needs finite min <= max, got [" + min
          + ", " + max + "]");
    }
    if (!(step >= 0)) {
      throw new IllegalArgumentException("a rating scale's step must be >= 0, got " + step);
    }
  }

  /** The sigmoid y-range for this scale: one step beyond each end (a tenth of the span when
   *  there is no step), because a sigmoid reaches its bounds only at infinity. For 0.5 to 5
   *  half stars this is fastai's (0, 5.5). */
  public ModelSettings.Range yRange() {
    double span = max - min;
    double margin = step > 0 ? step : (span > 0 ? span / 10 : 0.5);
    return new ModelSettings.Range(min - margin, max + margin);
  }

  /** The lowest rating counted as relevant by the ranking metrics: the first rating on the
   *  scale's grid at or above 70% of the way from min to max (4 of 0.5-5 and of 1-5, 7 of 0-10,
   *  8 of 1-10). */
  public double relevantRating() {
    double threshold = min + 0.7 * (max - min);
    if (step <= 0) {
      return threshold;
    }
    return Math.ceil(threshold / step - 1e-9) * step;
  }

  /** Whether every rating of {@code other} lies inside this scale's bounds. */
  public boolean covers(RatingScale other) {
    return min <= other.min && other.max <= max;
  }

  /** Rounds to the grid and clamps to the bounds: what a rater on this scale would enter. */
  public double snap(double rating) {
    double snapped = step > 0 ? Math.round(rating / step) * step : rating;
    return Math.min(max, Math.max(min, snapped));
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "[%s, %s]%s", plain(min), plain(max),
        step > 0 ? " in steps of " + plain(step) : "");
  }

  /** A number as a person writes it: 5, not 5.0; 0.5 as 0.5. */
  public static String plain(double v) {
    return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
  }
}
