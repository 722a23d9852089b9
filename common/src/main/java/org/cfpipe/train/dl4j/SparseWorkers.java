package org.cfpipe.train.dl4j;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import org.cfpipe.config.ModelSettings;
import org.cfpipe.config.TrainSettings;
import org.cfpipe.train.ParameterTable;
import org.cfpipe.train.Seeds;
import org.cfpipe.train.TrainingSet;
import org.cfpipe.train.Workers;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The neural model's sparse-embedding steps ({@link SparseEmbeddingStep}) on several threads of
 * one JVM, by parameter averaging (issue 18): ND4J runs one operation a thread fastest on this
 * kind of machine (docs/benchmarks/dl4j-engine.md), so the other cores come from more workers,
 * not from ND4J.
 *
 * <p>The training ratings are split by user (user index mod workers) into one shard a worker.
 * Each worker has its own head network and its own copy of the item table (with its rows' Adam
 * state); the user table is one, shared, since each user's row is only ever named by its own
 * worker's batches. The workers step together, each on a batch of its shard, and every
 * {@code average-every} steps they wait for each other and are averaged, as the distributed
 * sparse engine averages its shards (docs/engines.md): the heads' parameters and updater state
 * by their plain mean, and each item row some worker's batches named since the last average by
 * the mean of the workers' copies weighted by how many of its ratings each worker's batches held
 * (its parameters and its Adam state, each copy first brought up to the current step). Every
 * worker then holds the same head and the same item table. A worker's batch is its share of
 * {@code batch-size} (so that an epoch has about as many steps as with one worker, as in the
 * distributed engines); an epoch has as many steps on every worker (the largest shard's; the
 * other shards' batches a little smaller), and ends with an average. The model depends on the number of workers, not
 * on how the threads are scheduled: each worker reads only its own shard and state between two
 * averages, and draws its dropout from its own seed each round. One worker is the single-thread
 * step itself.
 */
final class SparseWorkers implements SparseEmbeddings {
  private final SparseEmbeddingStep[] steps;
  private final TrainingSet[] shards;
  private final TrainSettings train;
  /** Ratings a worker's step takes (at most). */
  private final int workerBatch;
  private final int stepsPerEpoch;
  private final int averageEvery;
  private final Workers threads;
  /** Per worker, per item row, the ratings its batches named it in since the last average. */
  private final int[][] touches;
  /** Per worker, the item rows its batches named since the last average. */
  private final int[][] touched;
  private final int[] touchedCount;
  private final boolean[] inRound;
  private final int[] roundRows;

  /**
   * @param ratings the training ratings, by user index
   * @param workers how many workers (threads); at most one per user
   */
  SparseWorkers(ModelSettings model, TrainSettings train, TrainingSet ratings, int users,
      int items, int workers) {
    int count = Math.max(1, Math.min(workers, users));
    this.train = train;
    this.shards = shards(ratings, count);
    int largest = 0;
    for (TrainingSet shard : shards) {
      largest = Math.max(largest, shard.size());
    }
    // Each worker takes its share of batch-size a step, so that an epoch has about as many
    // steps as with one worker and the schedule runs its course (as the distributed engines).
    this.workerBatch = Math.max(1, (train.batchSize() + count - 1) / count);
    this.stepsPerEpoch = Math.max(1, (largest + workerBatch - 1) / workerBatch);
    this.averageEvery = train.dl4j().averageEvery();
    ParameterTable userTable = SparseEmbeddingStep.userTable(model, train, users);
    int[] userSeen = new int[users];
    this.steps = new SparseEmbeddingStep[count];
    for (int w = 0; w < count; w++) {
      steps[w] = new SparseEmbeddingStep(model, train, userTable, userSeen, items,
          stepsPerEpoch, workerBatch);
    }
    this.touches = new int[count][items];
    this.touched = new int[count][items];
    this.touchedCount = new int[count];
    this.inRound = new boolean[items];
    this.roundRows = new int[items];
    this.threads = new Workers(count);
  }

  private static TrainingSet[] shards(TrainingSet ratings, int workers) {
    if (workers == 1) {
      return new TrainingSet[] {ratings};
    }
    int[] sizes = new int[workers];
    for (int u : ratings.users()) {
      sizes[u % workers]++;
    }
    int[][] order = new int[workers][];
    for (int w = 0; w < workers; w++) {
      order[w] = new int[sizes[w]];
    }
    int[] next = new int[workers];
    for (int n = 0; n < ratings.size(); n++) {
      int w = ratings.users()[n] % workers;
      order[w][next[w]++] = n;
    }
    TrainingSet[] shards = new TrainingSet[workers];
    for (int w = 0; w < workers; w++) {
      shards[w] = ratings.ordered(order[w], sizes[w]);
    }
    return shards;
  }

  @Override
  public int workers() {
    return steps.length;
  }

  @Override
  public int stepsPerEpoch() {
    return stepsPerEpoch;
  }

  @Override
  public int steps() {
    return steps[0].steps();
  }

  @Override
  public void load(ComputationGraph net) {
    for (SparseEmbeddingStep step : steps) {
      step.load(net);
    }
  }

  /** Runs epoch {@code epoch} (from 1): every worker over its shuffled shard. */
  void epoch(int epoch) {
    int workers = steps.length;
    TrainingSet[] shuffled = new TrainingSet[workers];
    for (int w = 0; w < workers; w++) {
      int[] order = Seeds.permutation(shards[w].size(),
          new SplittableRandom(Seeds.mix(train.seed(), epoch, -1 - w)));
      shuffled[w] = shards[w].ordered(order, order.length);
    }
    int rounds = (stepsPerEpoch + averageEvery - 1) / averageEvery;
    for (int round = 0; round < rounds; round++) {
      int first = round * averageEvery;
      int last = Math.min(stepsPerEpoch, first + averageEvery);
      int roundIndex = round;
      threads.run(w -> {
        if (workers > 1) {
          // ND4J's random generator is the thread's: dropout draws from the worker's own seed.
          Nd4j.getRandom().setSeed(Seeds.mix(train.seed(), epoch, roundIndex * workers + w));
        }
        for (int s = first; s < last; s++) {
          batch(w, shuffled[w], s, epoch);
        }
      });
      if (workers > 1) {
        average(epoch);
      }
    }
  }

  /** Worker {@code w}'s step {@code s} of the epoch over its shuffled shard. */
  private void batch(int w, TrainingSet shard, int s, int epoch) {
    int size = shard.size();
    // One worker: batches of batch-size, the last one smaller, as ever; more: as many batches
    // on every worker, of near-equal size.
    int from;
    int to;
    if (steps.length == 1) {
      from = s * workerBatch;
      to = Math.min(size, from + workerBatch);
    } else {
      from = (int) ((long) s * size / stepsPerEpoch);
      to = (int) ((long) (s + 1) * size / stepsPerEpoch);
    }
    if (to <= from) {
      steps[w].idle();
      return;
    }
    if (steps.length > 1) {
      int[] items = shard.items();
      int[] counts = touches[w];
      for (int n = from; n < to; n++) {
        if (counts[items[n]]++ == 0) {
          touched[w][touchedCount[w]++] = items[n];
        }
      }
    }
    steps[w].step(shard.users(), shard.items(), shard.ratings(), from, to, epoch);
  }

  /** The workers' heads and named item rows averaged, as the class comment says. */
  private void average(int epoch) {
    int workers = steps.length;
    int rows = 0;
    for (int w = 0; w < workers; w++) {
      for (int t = 0; t < touchedCount[w]; t++) {
        int row = touched[w][t];
        steps[w].catchUpItem(row, epoch);
        if (!inRound[row]) {
          inRound[row] = true;
          roundRows[rows++] = row;
        }
      }
    }
    int stride = steps[0].items().stride();
    int now = steps[0].steps();
    float[] mean = new float[stride];
    for (int n = 0; n < rows; n++) {
      int row = roundRows[n];
      inRound[row] = false;
      Arrays.fill(mean, 0f);
      int total = 0;
      for (int w = 0; w < workers; w++) {
        int weight = touches[w][row];
        if (weight == 0) {
          continue;
        }
        total += weight;
        float[] data = steps[w].items().data();
        int p = row * stride;
        for (int j = 0; j < stride; j++) {
          mean[j] += weight * data[p + j];
        }
      }
      float scale = 1f / total;
      for (int j = 0; j < stride; j++) {
        mean[j] *= scale;
      }
      for (int w = 0; w < workers; w++) {
        System.arraycopy(mean, 0, steps[w].items().data(), row * stride, stride);
        steps[w].itemSeen()[row] = now;
        touches[w][row] = 0;
      }
    }
    Arrays.fill(touchedCount, 0);
    averageArrays(w -> steps[w].head().params());
    averageArrays(w -> steps[w].head().getUpdater().getStateViewArray());
  }

  private void averageArrays(IntFunction<INDArray> array) {
    INDArray sum = array.apply(0).dup();
    for (int w = 1; w < steps.length; w++) {
      sum.addi(array.apply(w));
    }
    sum.divi(steps.length);
    for (int w = 0; w < steps.length; w++) {
      array.apply(w).assign(sum);
    }
  }

  /**
   * Writes the model into {@code net} (the workers are averaged at the end of every epoch),
   * every worker's rows first brought up to the current step, so that they stay alike.
   */
  void store(ComputationGraph net) {
    for (int w = steps.length - 1; w > 0; w--) {
      steps[w].catchUpAll(0);
    }
    steps[0].store(net);
  }

  @Override
  public void save(DataOutputStream out) throws IOException {
    steps[0].save(out);
  }

  /** Every worker restored from one saved state (taken after an epoch's average). */
  @Override
  public void restore(DataInputStream in) throws IOException {
    steps[0].restore(in);
    for (int w = 1; w < steps.length; w++) {
      steps[w].copyFrom(steps[0]);
    }
  }

  @Override
  public void close() {
    threads.close();
  }
}
