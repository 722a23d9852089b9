package org.cfpipe.train.gibbs;

import java.util.SplittableRandom;
import org.cfpipe.train.Workers;

/**
 * Standard Gaussians from one random stream into a stretch of an array, in order: the same
 * numbers whichever thread draws them, and however often the drawing stops and goes on.
 */
final class GaussianFill extends Workers.Stretches {
  /** How many draws between two looks at whether to stop. */
  private static final int STRETCH = 512;

  private final SplittableRandom random;
  private final double[] out;

  /** Fills {@code out[from]} to {@code out[to - 1]} from {@code random}. */
  GaussianFill(SplittableRandom random, double[] out, int from, int to) {
    super(from, to, STRETCH);
    this.random = random;
    this.out = out;
  }

  @Override
  protected void stretch(int from, int to) {
    for (int at = from; at < to; at++) {
      out[at] = random.nextGaussian();
    }
  }
}
