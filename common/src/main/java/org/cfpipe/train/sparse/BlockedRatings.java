package org.cfpipe.train.sparse;

import java.util.SplittableRandom;
import org.cfpipe.train.TrainingSet;

/**
 * Ratings grouped into the P x P blocks of DSGD (Gemulla, Nijkamp, Haas and Sismanis 2011,
 * "Large-scale matrix factorization with distributed stochastic gradient descent"): block (a, b)
 * holds the ratings whose user index is a modulo P and whose item index is b modulo P. Stratum s
 * of a permutation pairs user block a with item block perm[(a + s) mod P], so the P blocks of a
 * stratum share no user and no item and can be trained at the same time without conflict; each
 * block's rows are 1/P of each table, small enough to stay in cache.
 */
final class BlockedRatings {
  private final int blocks;
  private final int[] users;
  private final int[] items;
  private final float[] ratings;
  private final int[] start;

  /** Groups a copy of {@code data} by block (a counting sort; order inside a block is kept). */
  BlockedRatings(TrainingSet data, int blocks) {
    this.blocks = blocks;
    int size = data.size();
    int[] u = data.users();
    int[] i = data.items();
    float[] r = data.ratings();
    this.start = new int[blocks * blocks + 1];
    for (int n = 0; n < size; n++) {
      start[block(u[n], i[n]) + 1]++;
    }
    for (int b = 0; b < blocks * blocks; b++) {
      start[b + 1] += start[b];
    }
    int[] next = start.clone();
    this.users = new int[size];
    this.items = new int[size];
    this.ratings = new float[size];
    for (int n = 0; n < size; n++) {
      int at = next[block(u[n], i[n])]++;
      users[at] = u[n];
      items[at] = i[n];
      ratings[at] = r[n];
    }
  }

  private int block(int user, int item) {
    return (user % blocks) * blocks + item % blocks;
  }

  int blocks() {
    return blocks;
  }

  /** Index of the block that user block {@code a} meets in stratum {@code s} of {@code perm}. */
  int blockOf(int[] perm, int stratum, int a) {
    return a * blocks + perm[(a + stratum) % blocks];
  }

  int from(int block) {
    return start[block];
  }

  int to(int block) {
    return start[block + 1];
  }

  /** Fisher-Yates shuffle of one block's ratings, in place. */
  void shuffle(int block, SplittableRandom random) {
    int lo = start[block];
    for (int j = start[block + 1] - 1; j > lo; j--) {
      int k = lo + random.nextInt(j - lo + 1);
      int t = users[j];
      users[j] = users[k];
      users[k] = t;
      t = items[j];
      items[j] = items[k];
      items[k] = t;
      float x = ratings[j];
      ratings[j] = ratings[k];
      ratings[k] = x;
    }
  }

  /** The grouped ratings, as a training set over the same arrays. */
  TrainingSet view() {
    return new TrainingSet(users, items, ratings);
  }
}
