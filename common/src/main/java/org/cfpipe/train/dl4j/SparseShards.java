package org.cfpipe.train.dl4j;

import static org.apache.spark.sql.functions.col;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import org.cfpipe.config.ModelSettings;
import org.cfpipe.config.TrainSettings;
import org.cfpipe.model.ErrorStats;
import org.cfpipe.model.NeuralModel;
import org.cfpipe.train.ItemRows;
import org.cfpipe.train.ItemSums;
import org.cfpipe.train.ParameterTable;
import org.cfpipe.train.RowOptimizer;
import org.cfpipe.train.Seeds;
import org.cfpipe.train.Shard;
import org.cfpipe.train.TrainingSet;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import scala.Tuple2;

/**
 * The neural model's sparse-embedding steps ({@link SparseEmbeddingStep}) on Spark executors,
 * by parameter averaging over user shards (issue 18): the rule of {@link SparseWorkers} with the
 * rounds of the sparse engine's distributed form. The ratings are split by user into
 * {@code distributed.workers} shards ({@link Shard}); each shard keeps its users' rows and their
 * Adam state on its executor for the whole training. Each of an epoch's
 * {@code distributed.rounds-per-epoch} rounds the driver broadcasts the item table (values and
 * Adam state) and the head (parameters and updater state); every shard takes its share of the
 * round's steps, each of its share of {@code batch-size} ratings, brings its rows up to the
 * round's last step and returns only the item rows its batches named, with how many of its
 * ratings named each, and its head. The driver replaces each named row by the touch-weighted
 * mean of the shards' copies and the head by the plain mean of theirs. No whole table moves in a
 * round but the item table's broadcast; after each epoch the user rows come to the driver once,
 * to make the epoch's network (validation, early stopping, weight averaging, network.zip), with
 * the squared error of a sample of each shard's ratings as the epoch's training loss.
 */
final class SparseShards implements SparseEmbeddings {
  private final Spec spec;
  private final JavaSparkContext jsc;
  private final ModelSettings model;
  private final int users;
  /** The driver's copy of the item table and the head, and the run's step count. */
  private final SparseEmbeddingStep driver;
  private final JavaRDD<Shard> base;
  private JavaRDD<Shard> shards;

  /**
   * @param ratings training ratings (user_index, item_index, rating)
   */
  SparseShards(JavaSparkContext jsc, ModelSettings model, TrainSettings train,
      Dataset<Row> ratings, int users, int items) {
    this.jsc = jsc;
    this.model = model;
    this.users = users;
    int workers = train.distributed().workers();
    int userWidth = model.neural().userFactors();
    int stride = userWidth * (1 + RowOptimizer.create(train).stateSlots());
    JavaRDD<Row> rows = ratings.select(col("user_index"), col("item_index"),
        col("rating").cast("float")).repartition(workers, col("user_index")).javaRDD();
    this.base = rows.mapPartitions(part -> List.of(Shard.build(TaskContext.getPartitionId(), part,
        Collections.emptyIterator(), userWidth, stride, model.initRange(), train.seed()))
        .iterator()).persist(StorageLevel.MEMORY_AND_DISK());
    int largest = base.map(s -> s.ratings.size()).reduce(Math::max);
    int workerBatch = Math.max(1, (train.batchSize() + workers - 1) / workers);
    int stepsPerEpoch = Math.max(1, (largest + workerBatch - 1) / workerBatch);
    this.spec = new Spec(model, train, items, workers, workerBatch, stepsPerEpoch);
    this.shards = base;
    this.driver = new SparseEmbeddingStep(model, train, 0, items, stepsPerEpoch, workerBatch);
  }

  @Override
  public int workers() {
    return spec.workers;
  }

  @Override
  public int stepsPerEpoch() {
    return spec.stepsPerEpoch;
  }

  @Override
  public int steps() {
    return driver.steps();
  }

  /** The items and the head start from {@code net}; the users from their seeds, as in it. */
  @Override
  public void load(ComputationGraph net) {
    driver.load(net);
  }

  /**
   * Runs epoch {@code epoch} (from 1), then writes the model into {@code net}.
   *
   * @return the mean squared error of the epoch's model on a sample of the training ratings
   *     ({@link Dl4jTrainer#LOSS_SAMPLE} over all shards, each shard's first of the epoch's
   *     shuffle), without dropout
   */
  double epoch(int epoch, ComputationGraph net) {
    Spec spec = this.spec;
    int rounds = spec.train.distributed().roundsPerEpoch();
    List<Broadcast<Shared>> broadcasts = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      Broadcast<Shared> shared = jsc.broadcast(new Shared(driver.steps(),
          driver.items().data(), driver.head().params().toFloatVector(),
          driver.head().getUpdater().getStateViewArray().toFloatVector()));
      broadcasts.add(shared);
      int e = epoch;
      int r = round;
      JavaRDD<Tuple2<Shard, Round>> trained = shards.map(s -> spec.round(s, shared.value(), e, r))
          .persist(StorageLevel.MEMORY_AND_DISK());
      Sums sums = trained.mapPartitions(part -> {
        Sums partial = null;
        while (part.hasNext()) {
          partial = Sums.add(partial, part.next()._2(), spec.items, spec.itemStride());
        }
        return partial == null ? Collections.emptyIterator() : List.of(partial).iterator();
      }).treeReduce(Sums::merge);
      JavaRDD<Shard> next = trained.map(Tuple2::_1).persist(StorageLevel.MEMORY_AND_DISK());
      if (round == rounds - 1) {
        // The epoch's shards cut from their rounds, so that the rounds' broadcasts can go (and
        // the lineage not grow): kept on the executors, as a lost one could not be recomputed.
        next.rdd().localCheckpoint();
      }
      next.count();
      trained.unpersist(false);
      if (shards != base) {
        shards.unpersist(false);
      }
      shards = next;
      // Every row of the driver's table up to the round's last step, then the named ones
      // replaced by the shards' (brought up to that step on their executors).
      driver.skipTo(spec.endOf(epoch, round));
      driver.catchUpAll(epoch);
      sums.items.mergeInto(driver.items(), driver.items().width(), TrainSettings.Merge.AVERAGE);
      assign(driver.head().params(), sums.head, sums.shards);
      assign(driver.head().getUpdater().getStateViewArray(), sums.state, sums.shards);
    }
    for (Broadcast<Shared> old : broadcasts) {
      old.destroy();
    }
    return store(epoch, net);
  }

  private static void assign(INDArray target, double[] sums, int count) {
    float[] mean = new float[sums.length];
    for (int j = 0; j < mean.length; j++) {
      mean[j] = (float) (sums[j] / count);
    }
    target.assign(Nd4j.create(mean, target.shape(), 'c'));
  }

  /** Writes the model into {@code net} and returns the training loss (see {@link #epoch}). */
  private double store(int epoch, ComputationGraph net) {
    driver.storeItemsAndHead(net);
    NeuralModel.Head head = driver.headModel(model.neural());
    float[] itemValues = new float[spec.items * driver.items().width()];
    driver.items().store(itemValues);
    Broadcast<Tuple2<NeuralModel.Head, float[]>> shared =
        jsc.broadcast(new Tuple2<>(head, itemValues));
    Spec spec = this.spec;
    int sample = Math.max(1, Dl4jTrainer.LOSS_SAMPLE / spec.workers);
    List<UserRows> rows = shards.map(s -> UserRows.of(s, shared.value()._1(),
        shared.value()._2(), spec, sample)).collect();
    shared.destroy();
    int width = model.neural().userFactors();
    float[] userValues = new float[Math.multiplyExact(users, width)];
    double squared = 0;
    long count = 0;
    for (UserRows part : rows) {
      for (int local = 0; local < part.users.length; local++) {
        System.arraycopy(part.values, local * width, userValues, part.users[local] * width,
            width);
      }
      squared += part.squared;
      count += part.count;
    }
    net.getLayer(ModelGraph.USER_FACTORS).setParam("W", Nd4j.create(userValues,
        new long[] {users, width}, DataType.FLOAT));
    return squared / Math.max(1, count);
  }

  @Override
  public void save(DataOutputStream out) {
    throw new UnsupportedOperationException("the dl4j engine does not checkpoint on executors");
  }

  @Override
  public void restore(DataInputStream in) {
    throw new UnsupportedOperationException("the dl4j engine does not resume on executors");
  }

  @Override
  public void close() {
    if (shards != base) {
      shards.unpersist(false);
    }
    base.unpersist(false);
  }

  /** What a round starts from: the driver's step count, item table and head. */
  private record Shared(int steps, float[] itemData, float[] head, float[] state)
      implements Serializable {}

  /** What a shard returns from a round: its named item rows and its head. */
  private record Round(ItemRows rows, float[] head, float[] state) implements Serializable {}

  /** A shard's user rows (values only) after an epoch, and its sample's squared error. */
  private record UserRows(int[] users, float[] values, double squared, long count)
      implements Serializable {

    static UserRows of(Shard shard, NeuralModel.Head head, float[] itemValues, Spec spec,
        int sample) {
      int width = shard.userTable.width();
      float[] values = new float[shard.users.length * width];
      shard.userTable.store(values);
      TrainingSet ratings = shard.ratings;
      int n = Math.min(sample, ratings.size());
      NeuralModel local = new NeuralModel(shard.users.length, spec.items, values, itemValues,
          head, spec.model.yRange());
      ErrorStats fit = ErrorStats.of(local, Arrays.copyOf(ratings.users(), n),
          Arrays.copyOf(ratings.items(), n), Arrays.copyOf(ratings.ratings(), n));
      return new UserRows(shard.users, values, fit.rmse() * fit.rmse() * n, n);
    }
  }

  /** The shards' rounds summed on the way to the driver. */
  private static final class Sums implements Serializable {
    private static final long serialVersionUID = 1L;
    final ItemSums items;
    final double[] head;
    final double[] state;
    int shards;

    private Sums(int items, int stride, int headLength, int stateLength) {
      this.items = new ItemSums(items, stride);
      this.head = new double[headLength];
      this.state = new double[stateLength];
    }

    static Sums add(Sums sums, Round round, int items, int stride) {
      if (sums == null) {
        sums = new Sums(items, stride, round.head.length, round.state.length);
      }
      ItemSums.add(sums.items, round.rows);
      for (int j = 0; j < round.head.length; j++) {
        sums.head[j] += round.head[j];
      }
      for (int j = 0; j < round.state.length; j++) {
        sums.state[j] += round.state[j];
      }
      sums.shards++;
      return sums;
    }

    static Sums merge(Sums a, Sums b) {
      ItemSums.merge(a.items, b.items);
      for (int j = 0; j < a.head.length; j++) {
        a.head[j] += b.head[j];
      }
      for (int j = 0; j < a.state.length; j++) {
        a.state[j] += b.state[j];
      }
      a.shards += b.shards;
      return a;
    }
  }

  /** What executors need to train a shard. */
  private record Spec(ModelSettings model, TrainSettings train, int items, int workers,
      int workerBatch, int stepsPerEpoch) implements Serializable {

    /** Floats of an item row: its values and its optimizer state. */
    int itemStride() {
      return model.neural().itemFactors() * (1 + RowOptimizer.create(train).stateSlots());
    }

    /** The first step (of the epoch) of round {@code round}. */
    int firstOf(int round) {
      return (int) ((long) round * stepsPerEpoch / train.distributed().roundsPerEpoch());
    }

    /** The run's step count at the end of round {@code round} of epoch {@code epoch}. */
    int endOf(int epoch, int round) {
      return (epoch - 1) * stepsPerEpoch + firstOf(round + 1);
    }

    /**
     * Round {@code round} of epoch {@code epoch} on one shard: its steps over the shard's
     * ratings (shuffled from the seed at the epoch's first round), each step a near-equal
     * share of them, so that every shard takes as many steps.
     */
    Tuple2<Shard, Round> round(Shard in, Shared shared, int epoch, int round) {
      TrainingSet ratings = in.ratings;
      if (round == 0) {
        ratings = ratings.copy();
        ratings.shuffle(new SplittableRandom(Seeds.mix(train.seed(), epoch, in.id)));
      }
      ParameterTable userTable = in.userTable.copy();
      SparseEmbeddingStep step = new SparseEmbeddingStep(model, train, userTable,
          new int[userTable.rows()], items, stepsPerEpoch, workerBatch);
      step.startRound(shared.steps(), shared.itemData(), shared.head(), shared.state());
      // ND4J's random generator is the thread's: dropout draws from the shard's own seed.
      Nd4j.getRandom().setSeed(Seeds.mix(train.seed(), epoch, round * workers + in.id));
      int size = ratings.size();
      int first = firstOf(round);
      int last = firstOf(round + 1);
      for (int s = first; s < last; s++) {
        int from = (int) ((long) s * size / stepsPerEpoch);
        int to = (int) ((long) (s + 1) * size / stepsPerEpoch);
        if (to <= from) {
          step.idle();
        } else {
          step.step(ratings.users(), ratings.items(), ratings.ratings(), from, to, epoch);
        }
      }
      // Only the rows that go back are brought up to the round's last step: the driver does
      // every other item row in its own copy.
      step.catchUpUsers(epoch);
      int from = (int) ((long) first * size / stepsPerEpoch);
      int to = (int) ((long) last * size / stepsPerEpoch);
      for (int n = from; n < to; n++) {
        step.catchUpItem(ratings.items()[n], epoch);
      }
      ItemRows rows = ItemRows.touched(step.items(), ratings, from, to, 0);
      Shard out = new Shard(in.id, in.users, ratings, in.validation, userTable);
      return new Tuple2<>(out, new Round(rows, step.head().params().toFloatVector(),
          step.head().getUpdater().getStateViewArray().toFloatVector()));
    }
  }
}
