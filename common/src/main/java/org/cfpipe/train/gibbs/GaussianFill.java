package org.cfpipe.train.gibbs;

import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import org.cfpipe.train.Workers;

/**
 * Standard Gaussians from one random stream into a stretch of an array, in order: the same
 * numbers whichever thread draws them, and however often the drawing stops and goes on.
 */
final class GaussianFill implements Workers.Resumable {
  /** How many draws between two looks at whether to stop. */
  private static final int STRETCH = 512;

  private final SplittableRandom random;
  private final double[] out;
  private final int end;
  private int next;

  /** Fills {@code out[from]} to {@code out[to - 1]} from {@code random}. */
  GaussianFill(SplittableRandom random, double[] out, int from, int to) {
    this.random = random;
    this.out = out;
    this.next = from;
    this.end = to;
  }

  @Override
  public boolean run(BooleanSupplier pause) {
    int at = next;
    while (at < end) {
      int stop = Math.min(end, at + STRETCH);
      for (; at < stop; at++) {
        out[at] = random.nextGaussian();
      }
      if (at < end && pause.getAsBoolean()) {
        next = at;
        return false;
      }
    }
    next = at;
    return true;
  }
}
