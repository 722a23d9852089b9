package org.cfpipe.train;

import java.util.SplittableRandom;

/** Seeded shuffles shared by the engines, so that a seed means the same order everywhere. */
public final class Seeds {
  private Seeds() {}

  /** A random permutation of 0..n-1 (Fisher-Yates). */
  public static int[] permutation(int n, SplittableRandom random) {
    int[] perm = new int[n];
    for (int j = 0; j < n; j++) {
      perm[j] = j;
    }
    for (int j = n - 1; j > 0; j--) {
      int k = random.nextInt(j + 1);
      int x = perm[j];
      perm[j] = perm[k];
      perm[k] = x;
    }
    return perm;
  }

  /** A seed for (seed, epoch, block), mixed so that neighbouring inputs give unrelated streams. */
  public static long mix(long seed, int epoch, int block) {
    long h = seed * 0x9E3779B97F4A7C15L + epoch;
    h = (h ^ (h >>> 31)) * 0xBF58476D1CE4E5B9L + block;
    return h ^ (h >>> 29);
  }
}
