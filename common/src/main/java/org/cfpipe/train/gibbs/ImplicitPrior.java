package org.cfpipe.train.gibbs;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.SplittableRandom;
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
 * users, so a column's items are drawn in turn, in one thread: the loop reads a rater's two sums
 * and writes one. The pass over the ratings after it (each user's moves, the residuals, the
 * users' sums for the next column) runs on all threads. What the next column's loop needs that
 * the loop before it does not change (its hyperparameters, each item's sum over its raters of
 * sum w h^2, its precision, its Gaussian) is prepared by the other threads beside the loop, with a
 * share of the caller's work (the items' own Gaussians): on 2 cores the loop took a third of a
 * sweep, one core idle.
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
   * Each user's sum w h^2 over his ratings for every column, column after column: they depend on
   * the items' factors and noise scales alone, which the y_j's draws leave as they are. The pass
   * over the ratings before a column's loop sums them for the column after it, so that the
   * column after can be prepared beside the loop.
   */
  private final double[] userSquares;
  /**
   * Per item and column, column after column: the sum over its raters of sum w h^2, the
   * precision of its conditional and that precision's square root, and the standard Gaussian of
   * its draw; they are ready before the column's loop, most of them drawn or summed beside the
   * loops of the columns before it.
   */
  private final double[] raterSquares;
  private final double[] precision;
  private final double[] precisionRoot;
  private final double[] gaussians;
  /** Per item, for the column being drawn: the change of its y_jf. */
  private final double[] moves;
  /**
   * The items' factors and the y_j column by column, for the passes over one column: a column
   * of the rows (k apart) would take a cache line an item.
   */
  private final double[] itemColumns;
  private final double[] yColumns;

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
    this.userSquares = new double[users.rows * k];
    this.raterSquares = new double[items.rows * k];
    this.precision = new double[items.rows * k];
    this.precisionRoot = new double[items.rows * k];
    this.gaussians = new double[items.rows * k];
    this.moves = new double[items.rows];
    this.itemColumns = new double[items.rows * k];
    this.yColumns = new double[items.rows * k];
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
   * @param after work to be done ahead beside the serial steps once the prior's own is done
   * @return the backlog of that work, some of {@code after} perhaps not yet run
   */
  Workers.Backlog draw(double alpha, double[] residual, Streams streams,
      Workers.Resumable[] after) {
    int k = users.k;
    int itemCount = items.rows;
    workers.inChunks(itemCount, CHUNK, (t, c, from, to) -> {
      for (int i = from; i < to; i++) {
        for (int f = 0; f < k; f++) {
          itemColumns[f * itemCount + i] = items.factors[i * k + f];
          yColumns[f * itemCount + i] = y[i * k + f];
        }
      }
    });
    // Column f's tasks (its Gaussians, then its preparation, which needs the users' sums of
    // squares of the pass before it), with a share of the caller's before them; ends[f] is
    // where they end.
    Workers.Resumable[] tasks = new Workers.Resumable[2 * k + after.length];
    int[] ends = new int[k + 1];
    int size = 0;
    int placed = 0;
    for (int f = 0; f < k; f++) {
      for (int share = f * after.length / k; placed < share; placed++) {
        tasks[size++] = after[placed];
      }
      tasks[size++] = new GaussianFill(streams.stream(column(f), 0), gaussians, f0(f),
          f0(f) + itemCount);
      tasks[size++] = new ColumnPrep(f, alpha, streams.stream(column(f), -1));
      ends[f] = size;
    }
    System.arraycopy(after, placed, tasks, size, after.length - placed);
    ends[k] = tasks.length;
    Workers.Backlog ahead = new Workers.Backlog(tasks);
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
          double products = 0;
          double squares = 0;
          double squaresFirst = 0;
          for (int x = users.start[u]; x < users.start[u + 1]; x++) {
            int n = users.ids[x];
            int i = users.other[n];
            if (moved != 0) {
              residual[n] -= moved * itemColumns[done * itemCount + i];
            }
            if (next < k) {
              double v = itemColumns[next * itemCount + i];
              double w = items.noise[i] * v;
              products += w * residual[n];
              if (next == 0) {
                squaresFirst += w * v;
              }
            }
            if (next + 1 < k) {
              double v = itemColumns[(next + 1) * itemCount + i];
              double w = items.noise[i] * v;
              squares += w * v;
            }
          }
          if (moved != 0) {
            offsets[u * k + done] += moved;
            users.visible[u * k + done] += moved;
          }
          // Scaled by |N(u)|^-1/2 once per user: h = v_if / sqrt|N(u)| on u's ratings.
          double scale = userScale[u];
          if (next == 0) {
            userSquares[u] = users.noise[u] * squaresFirst * scale * scale;
          }
          if (next + 1 < k) {
            userSquares[(next + 1) * users.rows + u] = users.noise[u] * squares * scale * scale;
          }
          if (next < k) {
            sums[2 * u] = userSquares[next * users.rows + u];
            sums[2 * u + 1] = users.noise[u] * products * scale;
          }
        }
      });
      if (f < k) {
        // The column's own tasks, then its serial loop, the other threads taking the next
        // column's tasks meanwhile (its users' sums of squares are ready: the pass just run
        // summed them).
        workers.through(ahead, ends[f]);
        int column = f;
        workers.serialBeside(() -> drawItems(column, alpha), ahead, ends[f + 1]);
      }
    }
    workers.inChunks(itemCount, CHUNK, (t, c, from, to) -> {
      for (int i = from; i < to; i++) {
        for (int f = 0; f < k; f++) {
          y[i * k + f] = yColumns[f * itemCount + i];
        }
      }
    });
    return ahead;
  }

  /** Where column f starts in the arrays kept column by column. */
  private int f0(int f) {
    return f * items.rows;
  }

  /** Column f's place among a sweep's random streams: after the hyperparameters of both sides. */
  private int column(int f) {
    return 2 * (users.k + 1) + f;
  }

  /**
   * What column f's serial loop needs that it does not change: the column's hyperparameters,
   * then each item's sum over its raters of sum w h^2, its precision and that precision's root.
   */
  private final class ColumnPrep extends Workers.Stretches {
    /** How many items between two looks at whether to stop. */
    private static final int STRETCH = 256;

    private final int f;
    private final double alpha;
    private final SplittableRandom random;

    /** Column f's preparation at noise precision alpha, its hyperparameters from random. */
    ColumnPrep(int f, double alpha, SplittableRandom random) {
      super(0, items.rows, STRETCH);
      this.f = f;
      this.alpha = alpha;
      this.random = random;
    }

    @Override
    protected void begin() {
      int at = f0(f);
      GibbsSide.drawHyper(yMu, yLambda, f, items.rows, j -> yColumns[at + j], random);
    }

    @Override
    protected void stretch(int from, int to) {
      int at = f0(f);
      int users = ImplicitPrior.this.users.rows;
      for (int j = from; j < to; j++) {
        double squares = 0;
        for (int x = ratersStart[j]; x < ratersStart[j + 1]; x++) {
          squares += userSquares[f * users + raters[x]];
        }
        raterSquares[at + j] = squares;
        precision[at + j] = alpha * squares + yLambda[f];
        precisionRoot[at + j] = Math.sqrt(precision[at + j]);
      }
    }
  }

  /**
   * Column f's serial loop: each item's y_jf drawn in turn, its raters' sums updated at once;
   * the changes recorded in moves. The arrays are read into locals: the compiler does not trust
   * a final field to stay, and would load each again at every rater.
   */
  private void drawItems(int f, double alpha) {
    int itemCount = items.rows;
    double prior = yMu[f] * yLambda[f];
    int[] ratersStart = this.ratersStart;
    int[] raters = this.raters;
    double[] sums = this.sums;
    double[] y = this.yColumns;
    double[] raterSquares = this.raterSquares;
    double[] precision = this.precision;
    double[] precisionRoot = this.precisionRoot;
    double[] gaussians = this.gaussians;
    double[] moves = this.moves;
    for (int j = 0, cell = f0(f); j < itemCount; j++, cell++) {
      double theta = y[cell];
      double products = 0;
      for (int x = ratersStart[j]; x < ratersStart[j + 1]; x++) {
        products += sums[2 * raters[x] + 1];
      }
      double mean = (alpha * (products + theta * raterSquares[cell]) + prior) / precision[cell];
      double drawn = mean + gaussians[cell] / precisionRoot[cell];
      double moved = drawn - theta;
      for (int x = ratersStart[j]; x < ratersStart[j + 1]; x++) {
        int at = 2 * raters[x];
        sums[at + 1] -= moved * sums[at];
      }
      y[cell] = drawn;
      moves[j] = moved;
    }
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
