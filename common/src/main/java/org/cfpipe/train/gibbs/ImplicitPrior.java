package org.cfpipe.train.gibbs;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.cfpipe.train.Checkpoints;
import org.cfpipe.train.Workers;

/**
 * The Gibbs sampler's implicit prior: SVD++'s implicit feedback (Koren 2008, "Factorization meets
 * the neighborhood"), sampled as libFM samples it. A user's vector is p_u + z_u with
 * z_u = |N(u)|^-1/2 sum of y_j over N(u), the distinct items he rated: the items a user picked
 * say something of his taste. The y_j have a Gaussian prior per column, with hyperparameters
 * sampled like the factors'. This class holds the y_j and the z_u and keeps the users' visible
 * rows (p_u + z_u) and the residuals up to date as the y_j move.
 *
 * <p>y_jf moves z_uf of every user u who rated j by y_jf / sqrt|N(u)|, and so every rating of
 * those users: h = v_if / sqrt|N(u)| on rating (u, i). Per user, sum w h^2 and sum w h e are kept
 * up to date as the y_jf change, so an item costs its raters, not their ratings. The items share
 * users, so a column's items are drawn in turn, in one thread. Everything else runs on all
 * threads before that loop (each item's sum over its raters of sum w h^2, which the column's
 * draws leave unchanged, its precision and its Gaussian draw) or after it (each user's moves,
 * and the residuals, in the pass over the ratings that prepares the next column), so the loop
 * reads a rater's two sums and writes one.
 */
final class ImplicitPrior {
  private static final int CHUNK = GibbsSampler.CHUNK;

  private final GibbsSide users;
  private final GibbsSide items;
  private final Workers workers;
  /** The y_j, one row of k per item, and the mean and precision of each column's prior. */
  private final double[] y;
  private final double[] yMu;
  private final double[] yLambda;
  /** z_u, one row per user. */
  private final double[] offsets;
  /** |N(u)|^-1/2 per user (0 for a user without ratings). */
  private final double[] userScale;
  /** Each user's distinct items (picked from pickedStart[u]) and each item's distinct users. */
  private final int[] pickedStart;
  private final int[] picked;
  private final int[] ratersStart;
  private final int[] raters;
  /**
   * Per user u, for the column being drawn, at 2u and 2u + 1: sum w h^2 and sum w h e over his
   * ratings. Side by side, since the items' draws jump from rater to rater.
   */
  private final double[] sums;
  /**
   * Per item, for the column being drawn: the sum over its raters of sum w h^2, the precision of
   * its conditional and that precision's square root, its standard Gaussian draw, and (once
   * drawn) the change of its y_jf.
   */
  private final double[] raterSquares;
  private final double[] precision;
  private final double[] precisionRoot;
  private final double[] gaussian;
  private final double[] moves;
  /** The items' factors column by column, for the passes over one column. */
  private final double[] itemColumns;

  /** The y_j start at 0: every user starts from his own factors alone. */
  ImplicitPrior(GibbsSide users, GibbsSide items, Workers workers) {
    int k = users.k;
    this.users = users;
    this.items = items;
    this.workers = workers;
    this.y = new double[items.rows * k];
    this.yMu = new double[k];
    this.yLambda = new double[k];
    Arrays.fill(yLambda, 1.0);
    this.offsets = new double[users.rows * k];
    int[][] byUser = users.distinctOthers();
    int[][] byItem = items.distinctOthers();
    this.pickedStart = byUser[0];
    this.picked = byUser[1];
    this.ratersStart = byItem[0];
    this.raters = byItem[1];
    this.userScale = new double[users.rows];
    for (int u = 0; u < users.rows; u++) {
      int count = pickedStart[u + 1] - pickedStart[u];
      userScale[u] = count == 0 ? 0.0 : 1 / Math.sqrt(count);
    }
    this.sums = new double[2 * users.rows];
    this.raterSquares = new double[items.rows];
    this.precision = new double[items.rows];
    this.precisionRoot = new double[items.rows];
    this.gaussian = new double[items.rows];
    this.moves = new double[items.rows];
    this.itemColumns = new double[items.rows * k];
    users.visible = new double[users.rows * k];
  }

  /** z_u from the y_j, and the users' visible rows, from scratch. */
  void recompute() {
    int k = users.k;
    workers.inChunks(users.ratingChunks, (t, c, from, to) -> {
      for (int u = from; u < to; u++) {
        int row = u * k;
        Arrays.fill(offsets, row, row + k, 0.0);
        for (int x = pickedStart[u]; x < pickedStart[u + 1]; x++) {
          int j = picked[x];
          for (int f = 0; f < k; f++) {
            offsets[row + f] += y[j * k + f];
          }
        }
        for (int f = 0; f < k; f++) {
          offsets[row + f] *= userScale[u];
          users.visible[row + f] = users.factors[row + f] + offsets[row + f];
        }
      }
    });
  }

  /** User u's visible row after his own factors were drawn. */
  void refresh(int u) {
    int k = users.k;
    for (int f = 0, j = u * k; f < k; f++, j++) {
      users.visible[j] = users.factors[j] + offsets[j];
    }
  }

  /**
   * Draws the y_j column by column, each from its Gaussian conditional given everything else, at
   * noise precision alpha; {@code residual} is kept up to date.
   *
   * @param streams the random stream of (column, chunk) in this sweep; this prior uses the
   *     columns from 2(k + 1) on, after the users' and items' hyperparameters
   */
  void draw(double alpha, double[] residual, Streams streams) {
    int k = users.k;
    int itemCount = items.rows;
    workers.inChunks(itemCount, CHUNK, (t, c, from, to) -> {
      for (int i = from; i < to; i++) {
        for (int f = 0; f < k; f++) {
          itemColumns[f * itemCount + i] = items.factors[i * k + f];
        }
      }
    });
    for (int f = 0; f <= k; f++) {
      int next = f;
      int done = f - 1;
      workers.inChunks(users.ratingChunks, (t, c, from, to) -> {
        for (int u = from; u < to; u++) {
          double moved = 0.0;
          if (done >= 0) {
            // The moves of his items in item order, as the column's loop would have added them.
            for (int x = pickedStart[u]; x < pickedStart[u + 1]; x++) {
              moved += moves[picked[x]];
            }
            moved *= userScale[u];
          }
          double squares = 0;
          double products = 0;
          for (int x = users.start[u]; x < users.start[u + 1]; x++) {
            int n = users.ids[x];
            int i = users.other[n];
            if (moved != 0) {
              residual[n] -= moved * itemColumns[done * itemCount + i];
            }
            if (next < k) {
              double v = itemColumns[next * itemCount + i];
              double w = items.noise[i] * v;
              squares += w * v;
              products += w * residual[n];
            }
          }
          if (moved != 0) {
            offsets[u * k + done] += moved;
            users.visible[u * k + done] += moved;
          }
          // Scaled by |N(u)|^-1/2 once per user: h = v_if / sqrt|N(u)| on each of u's ratings.
          double scale = userScale[u];
          sums[2 * u] = users.noise[u] * squares * scale * scale;
          sums[2 * u + 1] = users.noise[u] * products * scale;
        }
      });
      if (f < k) {
        drawColumn(f, alpha, streams);
      }
    }
  }

  /** Draws column f of the y_j given the users' sums; records their changes in moves. */
  private void drawColumn(int f, double alpha, Streams streams) {
    int k = users.k;
    int column = 2 * (k + 1) + f;
    GibbsSide.drawHyper(yMu, yLambda, f, items.rows, j -> y[j * k + f],
        streams.stream(column, -1));
    prepareColumn(f, alpha, streams.stream(column, 0));
    double prior = yMu[f] * yLambda[f];
    for (int j = 0; j < items.rows; j++) {
      double theta = y[j * k + f];
      double products = 0;
      for (int x = ratersStart[j]; x < ratersStart[j + 1]; x++) {
        products += sums[2 * raters[x] + 1];
      }
      double mean = (alpha * (products + theta * raterSquares[j]) + prior) / precision[j];
      double drawn = mean + gaussian[j] / precisionRoot[j];
      double moved = drawn - theta;
      for (int x = ratersStart[j]; x < ratersStart[j + 1]; x++) {
        int at = 2 * raters[x];
        sums[at + 1] -= moved * sums[at];
      }
      y[j * k + f] = drawn;
      moves[j] = moved;
    }
  }

  /**
   * What column f's draws need that they do not change, on all threads: each item's sum of its
   * raters' sum w h^2, its precision and that precision's root, and the column's Gaussians, drawn
   * from {@code random} in item order by the last thread while the others take the items.
   */
  private void prepareColumn(int f, double alpha, SplittableRandom random) {
    int itemCount = items.rows;
    int[] bounds = items.ratingChunks;
    int chunks = bounds.length - 1;
    int last = workers.threads() - 1;
    AtomicInteger next = new AtomicInteger();
    workers.run(t -> {
      if (t == last) {
        for (int j = 0; j < itemCount; j++) {
          gaussian[j] = random.nextGaussian();
        }
      }
      for (int c = next.getAndIncrement(); c < chunks; c = next.getAndIncrement()) {
        for (int j = bounds[c]; j < bounds[c + 1]; j++) {
          double squares = 0;
          for (int x = ratersStart[j]; x < ratersStart[j + 1]; x++) {
            squares += sums[2 * raters[x]];
          }
          raterSquares[j] = squares;
          precision[j] = alpha * squares + yLambda[f];
          precisionRoot[j] = Math.sqrt(precision[j]);
        }
      }
    });
  }

  void save(DataOutputStream out) throws IOException {
    for (double[] values : new double[][] {y, yMu, yLambda}) {
      Checkpoints.writeDoubles(out, values);
    }
  }

  /** The y_j of the items {@link #save} knew, and the prior's hyperparameters; new items keep 0. */
  void continueFrom(DataInputStream in) throws IOException {
    Checkpoints.readDoublesInto(in, y);
    Checkpoints.readDoubles(in, yMu);
    Checkpoints.readDoubles(in, yLambda);
  }

  void restore(DataInputStream in) throws IOException {
    for (double[] values : new double[][] {y, yMu, yLambda}) {
      Checkpoints.readDoubles(in, values);
    }
  }

  /** The random streams of one sweep, by column and chunk. */
  @FunctionalInterface
  interface Streams {
    SplittableRandom stream(int column, int chunk);
  }
}
