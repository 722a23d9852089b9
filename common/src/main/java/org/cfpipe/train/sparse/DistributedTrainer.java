package org.cfpipe.train.sparse;

import static org.apache.spark.sql.functions.col;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.SerializableConfiguration;
import org.cfpipe.config.ModelSettings;
import org.cfpipe.config.TrainSettings;
import org.cfpipe.model.ErrorStats;
import org.cfpipe.model.FactorModel;
import org.cfpipe.model.ModelStore;
import org.cfpipe.spark.HadoopFiles;
import org.cfpipe.train.Checkpoints;
import org.cfpipe.train.EarlyStopping;
import org.cfpipe.train.EpochStats;
import org.cfpipe.train.HadoopCheckpoints;
import org.cfpipe.train.ItemRows;
import org.cfpipe.train.ItemSums;
import org.cfpipe.train.LearningRateSchedule;
import org.cfpipe.train.ParameterTable;
import org.cfpipe.train.RowOptimizer;
import org.cfpipe.train.Seeds;
import org.cfpipe.train.Shard;
import org.cfpipe.train.TrainResult;
import org.cfpipe.train.TrainingSet;
import org.cfpipe.train.WarmStart;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * The sparse engine on Spark executors, by parameter averaging over user shards (see
 * docs/engines.md). The ratings are split by user into {@code workers} shards ({@link Shard});
 * each keeps its users' rows and optimizer state for the whole training. Each round the driver
 * broadcasts the item table (parameters and optimizer state); every shard trains on its share of
 * the round with the same mini-batch loop as the single-JVM engine ({@link BatchLoop}) and
 * returns only the item rows it touched with how often; the driver replaces each touched row by
 * the touch-weighted mean of the shards' copies.
 *
 * <p>After each epoch every shard writes its user rows to the checkpoint folder and the driver
 * its item rows and history ({@link ShardCheckpoints}); the next epoch starts from shards rebuilt
 * from the ratings and those files. A lost executor's shards are recomputed from there (at most
 * one epoch's rounds), and {@code resume} continues a run whose driver died. The final user rows
 * are read from the files of the epoch kept, not collected from the shards.
 */
public final class DistributedTrainer {
  private static final Logger LOG = LoggerFactory.getLogger(DistributedTrainer.class);

  private final ModelSettings modelSettings;
  private final TrainSettings settings;

  public DistributedTrainer(ModelSettings modelSettings, TrainSettings settings) {
    this.modelSettings = modelSettings;
    this.settings = settings;
  }

  /**
   * @param ratings training ratings (user_index, item_index, rating)
   * @param validation validation ratings with the same columns, scored after every epoch
   * @param checkpointDir a folder on a file system every executor and the driver can reach
   *     (HDFS, S3, or a local disk on one machine): after each epoch the shards' user rows and
   *     the driver's state go there
   * @param resume continue after the newest complete epoch found in {@code checkpointDir}
   */
  public TrainResult<FactorModel> train(SparkSession spark, Dataset<Row> ratings,
      Dataset<Row> validation, int users, int items, String checkpointDir, boolean resume) {
    return train(spark, ratings, validation, users, items, checkpointDir, resume,
        WarmStart.cold("not asked"));
  }

  /**
   * @param warm last night's rows, which replace the random start of the ids they know: the
   *     items' in the driver, the users' in their shards (joined there, never in the driver)
   */
  public TrainResult<FactorModel> train(SparkSession spark, Dataset<Row> ratings,
      Dataset<Row> validation, int users, int items, String checkpointDir, boolean resume,
      WarmStart warm) {
    long start = System.nanoTime();
    int workers = settings.distributed().workers();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    double offset = 0;
    if (modelSettings.globalMean()) {
      offset = FactorModel.offsetFor(ratings.agg(org.apache.spark.sql.functions.avg("rating"))
          .first().getDouble(0), modelSettings.yRange());
    }
    FactorModel model = new FactorModel(modelSettings.factors(), modelSettings.type().hasBiases(),
        0, items, offset, modelSettings.yRange());
    model.initUniform(modelSettings.initRange(), settings.seed());
    if (warm.warm()) {
      warm.applyTo(model.itemRows(), model.rowWidth(), FactorModel.ITEMS);
    }
    Spec spec = new Spec(modelSettings, settings, items, model.offset());
    ParameterTable itemTable = new ParameterTable(items, spec.width(), spec.slots());
    itemTable.load(model.itemRows());

    JavaRDD<Shard> base = shards(ratings, validation, spec, workers, warm);
    long trainRows = base.map(s -> (long) s.ratings.size()).reduce(Long::sum);
    ShardCheckpoints shardFiles = new ShardCheckpoints(checkpointDir,
        new SerializableConfiguration(jsc.hadoopConfiguration()));
    HadoopCheckpoints driverFiles = new HadoopCheckpoints(HadoopFiles.of(spark), checkpointDir);
    State state = new State(itemTable, new EarlyStopping(settings.earlyStopping()));
    JavaRDD<Shard> shards = base;
    if (resume) {
      Optional<DataInputStream> latest = driverFiles.latest();
      if (latest.isPresent()) {
        state.restore(latest.get());
        shards = shardFiles.restore(base, state.history.size(), settings.seed())
            .persist(StorageLevel.MEMORY_AND_DISK());
        LOG.info("resumed from the checkpoint after epoch {}", state.history.size());
      }
    }
    double previousSeconds = state.history.isEmpty() ? 0
        : state.history.get(state.history.size() - 1).elapsedSeconds();
    for (int epoch = state.history.size() + 1; epoch <= settings.epochs(); epoch++) {
      long epochStart = System.nanoTime();
      double squared = 0;
      // The epoch's rounds refer to their broadcasts until the shards are rebuilt from files.
      List<Broadcast<float[]>> broadcasts = new ArrayList<>();
      for (int round = 0; round < settings.distributed().roundsPerEpoch(); round++) {
        Broadcast<float[]> broadcast = jsc.broadcast(itemTable.data().clone());
        broadcasts.add(broadcast);
        int e = epoch;
        int r = round;
        JavaRDD<Tuple2<Shard, ItemRows>> trained = shards
            .map(s -> spec.round(s, broadcast.value(), e, r))
            .persist(StorageLevel.MEMORY_AND_DISK());
        // Each task sums its own shards' rows: a zero value would travel inside every task.
        int stride = spec.stride();
        ItemSums sums = trained.mapPartitions(shardRows -> {
          ItemSums partial = new ItemSums(items, stride);
          shardRows.forEachRemaining(t -> ItemSums.add(partial, t._2()));
          return List.of(partial).iterator();
        }).treeReduce(ItemSums::merge);
        sums.mergeInto(itemTable, spec.width(), settings.distributed().merge());
        squared += sums.squaredErrors();
        JavaRDD<Shard> next = trained.map(Tuple2::_1).persist(StorageLevel.MEMORY_AND_DISK());
        next.count();
        trained.unpersist(false);
        if (shards != base) {
          shards.unpersist(false);
        }
        shards = next;
      }
      double epochSeconds = (System.nanoTime() - epochStart) / 1e9;
      Broadcast<float[]> broadcast = jsc.broadcast(itemTable.data());
      ErrorStats valid = shards.map(s -> spec.validationErrors(s, broadcast.value()))
          .reduce(ErrorStats::plus);
      broadcast.destroy();
      EpochStats stats = new EpochStats(epoch, squared / trainRows, valid.rmse(), valid.mae(),
          settings.learningRate(), trainRows / epochSeconds,
          previousSeconds + (System.nanoTime() - start) / 1e9);
      state.history.add(stats);
      LOG.info(stats.describe(settings.epochs(), stats.elapsedSeconds() / epoch
          * (settings.epochs() - epoch)) + String.format(Locale.ROOT,
          "  (%d shards, %d rounds an epoch)", workers, settings.distributed().roundsPerEpoch()));
      if (state.early.keep(stats)) {
        state.bestItems = itemTable.data().clone();
      }
      // The shards' files first, then the driver's: a driver checkpoint implies its shards.
      shardFiles.write(shards, epoch);
      driverFiles.save(epoch, state::save);
      shardFiles.deleteAllBut(epoch, state.early.bestEpoch(epoch));
      JavaRDD<Shard> rebuilt = shardFiles.restore(base, epoch, settings.seed())
          .persist(StorageLevel.MEMORY_AND_DISK());
      rebuilt.count();
      shards.unpersist(false);
      shards = rebuilt;
      for (Broadcast<float[]> old : broadcasts) {
        old.destroy();
      }
      if (state.early.stop(epoch)) {
        break;
      }
    }
    int epochs = state.history.size();
    int kept = state.early.bestEpoch(epochs);
    if (state.early.kept()) {
      System.arraycopy(state.bestItems, 0, itemTable.data(), 0, state.bestItems.length);
    }
    FactorModel trainedModel = new FactorModel(modelSettings.factors(),
        modelSettings.type().hasBiases(), users, items, model.offset(), modelSettings.yRange());
    itemTable.store(trainedModel.itemRows());
    shardFiles.readUsers(kept, workers, trainedModel, spec.stride());
    shards.unpersist(false);
    base.unpersist(false);
    return new TrainResult<>(trainedModel, state.history, kept,
        previousSeconds + (System.nanoTime() - start) / 1e9);
  }

  /** What the driver holds between epochs: the items, the history, early stopping's choice. */
  private static final class State {
    static final int VERSION = 1;
    final ParameterTable itemTable;
    final EarlyStopping early;
    final List<EpochStats> history = new ArrayList<>();
    float[] bestItems;

    State(ParameterTable itemTable, EarlyStopping early) {
      this.itemTable = itemTable;
      this.early = early;
    }

    void save(DataOutputStream out) throws IOException {
      out.writeInt(VERSION);
      Checkpoints.writeHistory(out, history);
      Checkpoints.writeFloats(out, itemTable.data());
      early.write(out);
      if (early.kept()) {
        Checkpoints.writeFloats(out, bestItems);
      }
    }

    void restore(DataInputStream in) {
      try (in) {
        if (in.readInt() != VERSION) {
          throw new IOException("the checkpoint was written by another version of the trainer");
        }
        history.addAll(Checkpoints.readHistory(in));
        Checkpoints.readFloats(in, itemTable.data());
        early.read(in);
        if (early.kept()) {
          bestItems = Checkpoints.readFloats(in);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot resume from the checkpoint: " + e.getMessage(), e);
      }
    }
  }

  private static JavaRDD<Shard> shards(Dataset<Row> ratings, Dataset<Row> validation, Spec spec,
      int workers, WarmStart warm) {
    Dataset<Row> train = ratings.select(col("user_index"), col("item_index"),
        col("rating").cast("float")).repartition(workers, col("user_index"));
    Dataset<Row> valid = validation.select(col("user_index"), col("item_index"),
        col("rating").cast("float")).repartition(workers, col("user_index"));
    JavaRDD<Shard> built = train.javaRDD().zipPartitions(valid.javaRDD(), (t, v) -> List.of(
        Shard.build(TaskContext.getPartitionId(), t, v, spec.width(), spec.stride(),
            spec.model.initRange(), spec.train.seed())).iterator());
    if (warm.warm()) {
      // Hashed on the same int values into as many partitions: each user's row lands in the
      // partition of his ratings.
      JavaRDD<Row> rows = warm.userRows().repartition(workers, col(ModelStore.INDEX)).javaRDD();
      int factors = spec.model().factors();
      built = built.zipPartitions(rows, (s, w) -> List.of(s.next().startFrom(w, factors,
          spec.width(), spec.stride())).iterator());
    }
    JavaRDD<Shard> shards = built.persist(StorageLevel.MEMORY_AND_DISK());
    shards.count();
    return shards;
  }

  /** What executors need to train a shard: the settings and the model's shape. */
  private record Spec(ModelSettings model, TrainSettings train, int items, double offset)
      implements Serializable {

    int width() {
      return model.factors() + (model.type().hasBiases() ? 1 : 0);
    }

    int slots() {
      return RowOptimizer.create(train).stateSlots();
    }

    int stride() {
      return width() * (1 + slots());
    }

    FactorModel shape() {
      return new FactorModel(model.factors(), model.type().hasBiases(), 0, 0, offset,
          model.yRange());
    }

    /**
     * The shard's batch: the global batch split over the shards, so that an epoch takes as many
     * optimizer steps on every shard as in one JVM (data parallelism), not a quarter of them.
     */
    int batchSize() {
      return Math.max(1, train.batchSize() / train.distributed().workers());
    }

    /** Round {@code round} of epoch {@code epoch} on one shard, against a copy of the items. */
    Tuple2<Shard, ItemRows> round(Shard in, float[] itemData, int epoch, int round) {
      int rounds = train.distributed().roundsPerEpoch();
      TrainingSet ratings = in.ratings;
      if (round == 0) {
        ratings = ratings.copy();
        ratings.shuffle(new java.util.SplittableRandom(
            Seeds.mix(train.seed(), epoch, in.id)));
      }
      ParameterTable users = in.userTable.copy();
      ParameterTable items = new ParameterTable(this.items, width(), stride(), itemData.clone());
      int n = ratings.size();
      long perEpoch = 0;
      long before = 0;
      for (int k = 0; k < rounds; k++) {
        long steps = BatchLoop.batches(n * (k + 1L) / rounds - n * (long) k / rounds,
            batchSize());
        perEpoch += steps;
        if (k < round) {
          before += steps;
        }
      }
      LearningRateSchedule schedule = LearningRateSchedule.of(train, perEpoch);
      BatchLoop loop = new BatchLoop(new BatchGradient(shape(), train.l2(), train.biasL2()),
          RowOptimizer.create(train), schedule, batchSize(), users.rows(), this.items,
          width(), BatchLoop.worthPreReading(4L * stride() * (users.rows() + this.items)));
      int from = (int) ((long) n * round / rounds);
      int to = (int) ((long) n * (round + 1) / rounds);
      double squared = loop.run(users, items, ratings, from, to, (epoch - 1) * perEpoch + before);
      Shard out = new Shard(in.id, in.users, ratings, in.validation, users);
      return new Tuple2<>(out, ItemRows.touched(items, ratings, from, to, squared));
    }

    /** The errors on the shard's validation ratings. */
    ErrorStats validationErrors(Shard shard, float[] itemData) {
      TrainingSet v = shard.validation;
      return ErrorStats.of(shape(), shard.userTable.data(), shard.userTable.stride(), itemData,
          stride(), v.users(), v.items(), v.ratings());
    }
  }
}
