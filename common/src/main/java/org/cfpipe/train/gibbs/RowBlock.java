package org.cfpipe.train.gibbs;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;
import java.util.SplittableRandom;
import org.cfpipe.train.Checkpoints;
import org.cfpipe.train.Seeds;
import scala.Tuple2;

/**
 * One block of one side of a {@link PartitionedChain}, users or items: the rows r of the side
 * with r mod P = {@code index} (local row r / P), their ratings, and every parameter of those
 * rows (factors, bias, noise scale) with their running sums. As in Spark's ALS, the block knows
 * which rows of each block of the other side its ratings rate ({@code need}), and which of its
 * own rows each block of the other side needs ({@code sendTo}), so a half-sweep ships each row
 * once to each block that rates it, and never gathers a table in one place.
 *
 * <p>The ratings (compressed sparse rows) never change; {@link #next} copies the parameters
 * before a step draws into them, so a cached block is never written after it was computed and a
 * lost task recomputes exactly what it did.
 */
final class RowBlock implements Serializable {
  private static final long serialVersionUID = 1L;

  final int side;
  final int index;
  final int blocks;
  final int k;
  final int rows;
  /** Ratings of local row r: start[r] to start[r + 1] of slot and rating. */
  final int[] start;
  /** Each rating's other row, as its slot among the rows the other blocks send here. */
  final int[] slot;
  final float[] rating;
  /** Slots of the rows block q of the other side sends: slotStart[q] to slotStart[q + 1]. */
  final int[] slotStart;
  /** Per block q of the other side, its local rows these ratings rate, ascending. */
  final int[][] need;
  /** Per block p of the other side, the local rows of this block it needs, ascending. */
  int[][] sendTo;
  /**
   * The validation ratings of the rows (items' blocks only; empty for users'), scored here on
   * the posterior mean: vstart, vslot and vrating as start, slot and rating.
   */
  final int[] vstart;
  final int[] vslot;
  final float[] vrating;

  double[] factors;
  double[] bias;
  double[] noise;
  /** Each row's coordinates' conditional means at their last draw (Rao-Blackwellised sample). */
  double[] factorMean;
  double[] biasMean;
  /** The samples since the last fold, and the sums of the folded ones (see GibbsSampler). */
  double[] blockSum;
  double[] blockBias;
  double[] factorSum;
  double[] biasSum;

  /**
   * @param train (row, other row, rating) of this block's rows, in any order
   * @param valid the validation ratings of this block's rows, likewise (none for users)
   */
  RowBlock(int side, int index, int blocks, int k, int rowsOfSide, int rowsOfOther,
      Triples train, Triples valid, long seed, double initStd) {
    this.side = side;
    this.index = index;
    this.blocks = blocks;
    this.k = k;
    this.rows = localCount(rowsOfSide, blocks, index);
    // The other side's rows these ratings rate, by block, ascending local row: their slots.
    boolean[][] rated = new boolean[blocks][];
    for (int q = 0; q < blocks; q++) {
      rated[q] = new boolean[localCount(rowsOfOther, blocks, q)];
    }
    for (Triples t : new Triples[] {train, valid}) {
      for (int n = 0; n < t.size; n++) {
        rated[t.other[n] % blocks][t.other[n] / blocks] = true;
      }
    }
    this.need = new int[blocks][];
    this.slotStart = new int[blocks + 1];
    int[][] slotOf = new int[blocks][];
    for (int q = 0; q < blocks; q++) {
      slotOf[q] = new int[rated[q].length];
      int size = 0;
      for (boolean b : rated[q]) {
        size += b ? 1 : 0;
      }
      need[q] = new int[size];
      int at = 0;
      for (int local = 0; local < rated[q].length; local++) {
        if (rated[q][local]) {
          slotOf[q][local] = slotStart[q] + at;
          need[q][at++] = local;
        }
      }
      slotStart[q + 1] = slotStart[q] + size;
    }
    this.start = new int[rows + 1];
    this.slot = new int[train.size];
    this.rating = new float[train.size];
    group(train, slotOf, start, slot, rating);
    this.vstart = new int[rows + 1];
    this.vslot = new int[valid.size];
    this.vrating = new float[valid.size];
    group(valid, slotOf, vstart, vslot, vrating);
    this.factors = new double[rows * k];
    this.bias = new double[rows];
    this.noise = new double[rows];
    Arrays.fill(noise, 1.0);
    this.factorMean = new double[rows * k];
    this.biasMean = new double[rows];
    this.blockSum = new double[rows * k];
    this.blockBias = new double[rows];
    this.factorSum = new double[rows * k];
    this.biasSum = new double[rows];
    // The same start as the one-JVM chain: each row's factors from its own seed.
    for (int r = 0; r < rows; r++) {
      GibbsSampler.drawStart(factors, r, k, seed, side, global(r), initStd);
    }
  }

  /** Groups ratings by local row (a counting sort), each with its other row's slot. */
  private void group(Triples t, int[][] slotOf, int[] first, int[] slots, float[] values) {
    for (int n = 0; n < t.size; n++) {
      first[t.row[n] / blocks + 1]++;
    }
    for (int r = 0; r < rows; r++) {
      first[r + 1] += first[r];
    }
    int[] next = Arrays.copyOf(first, rows);
    for (int n = 0; n < t.size; n++) {
      int at = next[t.row[n] / blocks]++;
      slots[at] = slotOf[t.other[n] % blocks][t.other[n] / blocks];
      values[at] = t.rating[n];
    }
  }

  /** Ratings as parallel arrays: row, the other side's row, rating; the first size of them. */
  record Triples(int[] row, int[] other, float[] rating, int size) implements Serializable {
    static final Triples NONE = new Triples(new int[0], new int[0], new float[0], 0);
  }

  /** A copy sharing the ratings, with copies of the parameters, for a step to draw into. */
  private RowBlock(RowBlock from) {
    this.side = from.side;
    this.index = from.index;
    this.blocks = from.blocks;
    this.k = from.k;
    this.rows = from.rows;
    this.start = from.start;
    this.slot = from.slot;
    this.rating = from.rating;
    this.slotStart = from.slotStart;
    this.need = from.need;
    this.sendTo = from.sendTo;
    this.vstart = from.vstart;
    this.vslot = from.vslot;
    this.vrating = from.vrating;
    this.factors = from.factors.clone();
    this.bias = from.bias.clone();
    this.noise = from.noise.clone();
    this.factorMean = from.factorMean.clone();
    this.biasMean = from.biasMean.clone();
    this.blockSum = from.blockSum.clone();
    this.blockBias = from.blockBias.clone();
    this.factorSum = from.factorSum.clone();
    this.biasSum = from.biasSum.clone();
  }

  RowBlock next() {
    return new RowBlock(this);
  }

  /** Rows r of a side of n rows with r mod blocks = index. */
  static int localCount(int n, int blocks, int index) {
    return n <= index ? 0 : (n - index + blocks - 1) / blocks;
  }

  int global(int local) {
    return local * blocks + index;
  }

  int ratings() {
    return rating.length;
  }

  /**
   * What block p of the other side needs of this one: its rows' factors, bias and noise scale,
   * k + 2 values a row, in the order of its slots.
   */
  double[] message(int p) {
    int[] sent = sendTo[p];
    int width = k + 2;
    double[] values = new double[sent.length * width];
    for (int x = 0; x < sent.length; x++) {
      int r = sent[x];
      System.arraycopy(factors, r * k, values, x * width, k);
      values[x * width + k] = bias[r];
      values[x * width + k + 1] = noise[r];
    }
    return values;
  }

  /**
   * Adds the block of samples since the last fold to the sums, rotated by {@code rotation}
   * (null: as they are), as GibbsSampler's fold does.
   */
  void fold(double[] rotation) {
    GibbsSampler.addRotated(factorSum, blockSum, rotation, 1.0, k, 0, rows);
    Arrays.fill(blockSum, 0.0);
    for (int r = 0; r < rows; r++) {
      biasSum[r] += blockBias[r];
    }
    Arrays.fill(blockBias, 0.0);
  }

  /** Adds the step's conditional means (or draws) to the block of samples not yet folded. */
  void accumulate(boolean raoBlackwell) {
    double[] f = raoBlackwell ? factorMean : factors;
    double[] b = raoBlackwell ? biasMean : bias;
    for (int j = 0; j < blockSum.length; j++) {
      blockSum[j] += f[j];
    }
    for (int r = 0; r < rows; r++) {
      blockBias[r] += b[r];
    }
  }

  /**
   * The rows the model holds, k factors and the bias a row: the current sample ({@code scale}
   * 0), or the posterior mean, the sums times {@code scale}, with the block of samples not yet
   * folded added in first when {@code pending} (rotated by {@code rotation} unless null).
   */
  double[] modelRows(double scale, boolean pending, double[] rotation) {
    int width = k + 1;
    double[] values = new double[rows * width];
    double[] sums = factorSum;
    double[] biases = biasSum;
    if (scale == 0) {
      sums = factors;
      biases = bias;
      scale = 1;
    } else if (pending) {
      RowBlock folded = next();
      folded.fold(rotation);
      sums = folded.factorSum;
      biases = folded.biasSum;
    }
    for (int r = 0; r < rows; r++) {
      for (int f = 0; f < k; f++) {
        values[r * width + f] = sums[r * k + f] * scale;
      }
      values[r * width + k] = biases[r] * scale;
    }
    return values;
  }

  /** The rows of {@code table} (k + 1 values a row) that block p of the other side needs. */
  double[] select(double[] table, int p, int width) {
    int[] sent = sendTo[p];
    double[] values = new double[sent.length * width];
    for (int x = 0; x < sent.length; x++) {
      System.arraycopy(table, sent[x] * width, values, x * width, width);
    }
    return values;
  }

  /**
   * The rows the other side's blocks shipped here, {@code width} values a row, in slot order:
   * each message (its block, its rows in the order of {@code need}) fills that block's slots.
   */
  double[] received(Iterator<Tuple2<Integer, Tuple2<Integer, double[]>>> messages, int width) {
    double[] other = new double[slotStart[blocks] * width];
    while (messages.hasNext()) {
      Tuple2<Integer, double[]> message = messages.next()._2();
      double[] values = message._2();
      System.arraycopy(values, 0, other, slotStart[message._1()] * width, values.length);
    }
    return other;
  }

  /**
   * The squared and absolute errors of the validation ratings and their number, scored by the
   * model rows of this block ({@code own}, from {@link #modelRows}) and of the users the
   * messages bring (k + 1 values a row, in slot order of their blocks), around {@code w0}.
   */
  double[] scoreValidation(double[] own,
      Iterator<Tuple2<Integer, Tuple2<Integer, double[]>>> messages, double w0) {
    int width = k + 1;
    double[] other = received(messages, width);
    double[] errors = new double[3];
    for (int r = 0; r < rows; r++) {
      for (int x = vstart[r]; x < vstart[r + 1]; x++) {
        int s = vslot[x] * width;
        double prediction = w0 + own[r * width + k] + other[s + k];
        for (int f = 0; f < k; f++) {
          prediction += own[r * width + f] * other[s + f];
        }
        double e = vrating[x] - prediction;
        errors[0] += e * e;
        errors[1] += Math.abs(e);
        errors[2]++;
      }
    }
    return errors;
  }

  /** cross += blockSum^T factorSum, k x k by rows: this block's share of the alignment. */
  void addCross(double[] cross) {
    GibbsSampler.addCross(cross, blockSum, factorSum, k, 0, rows);
  }

  /** Per column f (the bias as column k): the sum of the rows' values and of their squares. */
  double[] columnSums() {
    double[] sums = new double[2 * (k + 1)];
    for (int r = 0; r < rows; r++) {
      for (int f = 0; f < k; f++) {
        double v = factors[r * k + f];
        sums[2 * f] += v;
        sums[2 * f + 1] += v * v;
      }
      sums[2 * k] += bias[r];
      sums[2 * k + 1] += bias[r] * bias[r];
    }
    return sums;
  }

  /** A row's stream of draws in a sweep: the same for any number of blocks. */
  SplittableRandom stream(long seed, int sweep, int local) {
    return new SplittableRandom(Seeds.mix(Seeds.mix(seed, sweep, -10 - side), global(local),
        0));
  }

  void writeRatings(DataOutputStream out) throws IOException {
    for (int[] values : new int[][] {start, slot, slotStart, vstart, vslot}) {
      writeInts(out, values);
    }
    Checkpoints.writeFloats(out, rating);
    Checkpoints.writeFloats(out, vrating);
    for (int[][] table : new int[][][] {need, sendTo}) {
      for (int[] values : table) {
        writeInts(out, values);
      }
    }
  }

  void writeState(DataOutputStream out) throws IOException {
    for (double[] values : state()) {
      Checkpoints.writeDoubles(out, values);
    }
  }

  void readState(DataInputStream in) throws IOException {
    for (double[] values : state()) {
      Checkpoints.readDoubles(in, values);
    }
  }

  private double[][] state() {
    return new double[][] {factors, bias, noise, factorMean, biasMean, blockSum, blockBias,
        factorSum, biasSum};
  }

  /** A block read back from {@link #writeRatings}, its parameters zero until read. */
  static RowBlock read(int side, int index, int blocks, int k, DataInputStream in)
      throws IOException {
    return new RowBlock(side, index, blocks, k, in);
  }

  private RowBlock(int side, int index, int blocks, int k, DataInputStream in)
      throws IOException {
    this.side = side;
    this.index = index;
    this.blocks = blocks;
    this.k = k;
    this.start = readInts(in);
    this.slot = readInts(in);
    this.slotStart = readInts(in);
    this.vstart = readInts(in);
    this.vslot = readInts(in);
    this.rating = Checkpoints.readFloats(in);
    this.vrating = Checkpoints.readFloats(in);
    this.rows = start.length - 1;
    this.need = new int[blocks][];
    for (int q = 0; q < blocks; q++) {
      need[q] = readInts(in);
    }
    this.sendTo = new int[blocks][];
    for (int p = 0; p < blocks; p++) {
      sendTo[p] = readInts(in);
    }
    allocateState();
  }

  /** Every parameter of the rows, zero: the constructors fill them. */
  private void allocateState() {
    factors = new double[rows * k];
    bias = new double[rows];
    noise = new double[rows];
    factorMean = new double[rows * k];
    biasMean = new double[rows];
    blockSum = new double[rows * k];
    blockBias = new double[rows];
    factorSum = new double[rows * k];
    biasSum = new double[rows];
  }

  private static void writeInts(DataOutputStream out, int[] values) throws IOException {
    out.writeInt(values.length);
    for (int v : values) {
      out.writeInt(v);
    }
  }

  private static int[] readInts(DataInputStream in) throws IOException {
    int[] values = new int[in.readInt()];
    for (int j = 0; j < values.length; j++) {
      values[j] = in.readInt();
    }
    return values;
  }
}
