package org.cfpipe.train.dl4j;

import static org.apache.spark.sql.functions.col;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.cfpipe.config.ModelSettings;
import org.cfpipe.config.TrainSettings;
import org.cfpipe.model.ErrorStats;
import org.cfpipe.model.FactorModel;
import org.cfpipe.model.RatingModel;
import org.cfpipe.train.Checkpoints;
import org.cfpipe.train.EarlyStopping;
import org.cfpipe.train.EpochStats;
import org.cfpipe.train.Seeds;
import org.cfpipe.train.TrainResult;
import org.cfpipe.train.TrainingSet;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains any model as a {@link ModelGraph} network: in this JVM, one mini-batch at a time over
 * a seeded shuffle of the ratings, or on Spark executors with DL4J-Spark's
 * {@link ParameterAveragingTrainingMaster} (each worker fits its partition's mini-batches and the
 * driver averages parameters and updater state every few batches; Direct training approach,
 * partitions kept as given). After each epoch the network becomes a plain-Java model that scores
 * the validation ratings; the epoch is logged, checkpointed (in one JVM), and early stopping keeps
 * the best epoch's parameters. With {@code average-from-epoch}, the model from that epoch on is
 * the running mean of the parameters at each epoch's end (stochastic weight averaging, Izmailov
 * et al. 2018), validated and kept as such while training continues from the unaveraged ones.
 * The logged training loss is the network's score: the mean squared error plus the L2 penalties.
 */
public final class Dl4jTrainer {
  private static final Logger LOG = LoggerFactory.getLogger(Dl4jTrainer.class);
  private static final int CHECKPOINT_VERSION = 3;

  private final ModelSettings modelSettings;
  private final TrainSettings settings;

  public Dl4jTrainer(ModelSettings modelSettings, TrainSettings settings) {
    this.modelSettings = modelSettings;
    this.settings = settings;
  }

  /** Trains in this JVM from scratch, without checkpoints. */
  public TrainResult<RatingModel> train(TrainingSet ratings, TrainingSet validation, int users,
      int items) {
    return train(ratings, validation, users, items, Checkpoints.NONE, false);
  }

  /**
   * Trains in this JVM.
   *
   * @param resume continue from the newest checkpoint, when there is one
   */
  public TrainResult<RatingModel> train(TrainingSet ratings, TrainingSet validation, int users,
      int items, Checkpoints checkpoints, boolean resume) {
    long steps = (ratings.size() + settings.batchSize() - 1) / settings.batchSize();
    Run run = new Run(users, items, ratings.mean(), steps, ratings.size(),
        sparseEmbeddings(users, items) ? () -> new SparseWorkers(modelSettings, settings,
            ratings, users, items, sparseWorkers()) : null);
    SparseWorkers workers = (SparseWorkers) run.sparse;
    if (resume) {
      checkpoints.latest().ifPresent(run::restore);
    }
    Epoch epoch;
    if (workers != null) {
      TrainingSet lossSample = lossSample(ratings);
      epoch = (net, e) -> {
        workers.epoch(e);
        workers.store(net);
        ErrorStats fit = ErrorStats.of(run.parameters.model(net), lossSample.users(),
            lossSample.items(), lossSample.ratings());
        return fit.rmse() * fit.rmse();
      };
    } else {
      epoch = (net, e) -> {
        int[] order = Seeds.permutation(ratings.size(),
            new SplittableRandom(Seeds.mix(settings.seed(), e, -1)));
        double squared = 0;
        for (int from = 0; from < ratings.size(); from += settings.batchSize()) {
          int to = Math.min(ratings.size(), from + settings.batchSize());
          net.fit(Batches.of(ratings, order, from, to, run.labelWidths));
          squared += net.score() * (to - from);
        }
        return squared / ratings.size();
      };
    }
    try {
      return run.execute(epoch, model -> ErrorStats.of(model, validation.users(),
          validation.items(), validation.ratings()), checkpoints);
    } finally {
      if (workers != null) {
        workers.close();
      }
    }
  }

  /** The workers of sparse embeddings in this JVM. */
  private int sparseWorkers() {
    return settings.dl4j().workers() > 0 ? settings.dl4j().workers()
        : Runtime.getRuntime().availableProcessors();
  }

  /** Whether this run trains the neural model's embeddings outside the network. */
  private boolean sparseEmbeddings(int users, int items) {
    if (modelSettings.type() != ModelSettings.Type.NEURAL) {
      return false;
    }
    TrainSettings.Embeddings embeddings = settings.dl4j().embeddings();
    if (embeddings != TrainSettings.Embeddings.AUTO) {
      return embeddings == TrainSettings.Embeddings.SPARSE;
    }
    double millis = Dl4jRuntime.denseStepMillis(modelSettings, settings, users, items);
    boolean sparse = millis > settings.dl4j().denseWarningMillis();
    LOG.info(String.format(Locale.ROOT, "dl4j engine: embeddings = auto: one dense "
            + "update of the tables (%,d users, %,d items) is estimated at %.1f ms, %s "
            + "dense-warning-millis (%.0f): %s embeddings", users, items, millis,
        sparse ? "above" : "within", settings.dl4j().denseWarningMillis(),
        sparse ? "sparse" : "dense"));
    return sparse;
  }

  /**
   * The training ratings whose squared error is an epoch's training loss with sparse embeddings
   * (DL4J computes none with the input gradient): all of them up to {@link #LOSS_SAMPLE}, else
   * that many drawn from the seed. The model is scored after the epoch, without dropout.
   */
  private TrainingSet lossSample(TrainingSet ratings) {
    if (ratings.size() <= LOSS_SAMPLE) {
      return ratings;
    }
    int[] order = Seeds.permutation(ratings.size(),
        new SplittableRandom(Seeds.mix(settings.seed(), -7, -1)));
    LOG.info("dl4j engine: sparse embeddings; each epoch's training loss is the squared error "
        + "of {} of the {} training ratings, drawn from the seed", LOSS_SAMPLE, ratings.size());
    return ratings.ordered(order, LOSS_SAMPLE);
  }

  /** Training ratings an epoch's loss is measured on, with sparse embeddings. */
  static final int LOSS_SAMPLE = 200_000;

  /**
   * Trains on the executors: the ratings in {@code distributed.workers} partitions, parameters
   * averaged {@code distributed.rounds-per-epoch} times an epoch.
   *
   * @param ratings (user_index, item_index, rating) rows
   * @param validation rows with the same columns, scored on the executors after every epoch
   */
  public TrainResult<RatingModel> train(SparkSession spark, Dataset<Row> ratings,
      Dataset<Row> validation, int users, int items) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Dl4jRuntime.checkKryo(jsc.getConf());
    if (sparseEmbeddings(users, items)) {
      return trainShards(jsc, ratings, validation, users, items);
    }
    int workers = settings.distributed().workers();
    // By user: each user's row is trained by one worker (see ModelGraph.userEmbedding).
    JavaRDD<Row> train = columns(ratings).repartition(workers, col("user_index")).javaRDD()
        .persist(StorageLevel.MEMORY_AND_DISK());
    JavaRDD<Row> valid = columns(validation).javaRDD().persist(StorageLevel.MEMORY_AND_DISK());
    try {
      long count = train.count();
      double mean = columns(ratings).agg(org.apache.spark.sql.functions.avg("rating")).first()
          .getDouble(0);
      // Each worker takes batch / workers ratings a step, so that an epoch has as many steps on
      // every worker as in one JVM and the schedule runs its course (data parallelism).
      int workerBatch = Math.max(1, settings.batchSize() / workers);
      long steps = Math.max(1, (count / workers + workerBatch - 1) / workerBatch);
      int frequency = (int) Math.max(1, steps / settings.distributed().roundsPerEpoch());
      Run run = new Run(users, items, mean, steps, count);
      RoundStart start = new RoundStart();
      ParameterAveragingTrainingMaster master =
          new ParameterAveragingTrainingMaster.Builder(workers, workerBatch)
              .batchSizePerWorker(workerBatch)
              .averagingFrequency(frequency)
              .workerPrefetchNumBatches(0)
              .rddTrainingApproach(RDDTrainingApproach.Direct)
              .repartionData(Repartition.Never)
              .collectTrainingStats(false)
              .saveUpdater(true)
              .rngSeed(settings.seed())
              .trainingHooks(start)
              // Each round's batches are computed from the cached ratings; caching them as well
              // would keep every round's copy until the end of training.
              .storageLevel(null)
              .build();
      SparkComputationGraph sparkNet = new SparkComputationGraph(jsc, run.net, master);
      LOG.info("dl4j engine: {} workers, parameters averaged every {} batches of {}", workers,
          frequency, workerBatch);
      long rounds = (steps + frequency - 1) / frequency;
      Epoch epoch = (net, e) -> {
        // One fit per averaging round, so that each round starts its workers at its own step
        // of the schedule (RoundStart).
        double loss = 0;
        for (long r = 0; r < rounds; r++) {
          long first = r * frequency;
          start.startAt((int) ((e - 1) * steps + first));
          run.net = sparkNet.fitMultiDataSet(Batches.rdd(train, workerBatch, run.labelWidths,
              settings.seed(), e, first, first + frequency));
          loss += sparkNet.getScore();
        }
        return loss / rounds;
      };
      TrainResult<RatingModel> result = run.execute(epoch, onExecutors(jsc, valid),
          Checkpoints.NONE);
      sparkNet.getTrainingMaster().deleteTempFiles(jsc);
      return result;
    } finally {
      train.unpersist();
      valid.unpersist();
    }
  }

  /**
   * The neural model with sparse embeddings on the executors ({@link SparseShards}): the user
   * rows stay in their shards, the item rows the shards' batches named and the head are averaged
   * {@code distributed.rounds-per-epoch} times an epoch.
   */
  private TrainResult<RatingModel> trainShards(JavaSparkContext jsc, Dataset<Row> ratings,
      Dataset<Row> validation, int users, int items) {
    JavaRDD<Row> valid = columns(validation).javaRDD().persist(StorageLevel.MEMORY_AND_DISK());
    double mean = columns(ratings).agg(org.apache.spark.sql.functions.avg("rating")).first()
        .getDouble(0);
    long count = ratings.count();
    SparseShards shards = new SparseShards(jsc, modelSettings, settings, ratings, users, items);
    try {
      Run run = new Run(users, items, mean, shards.stepsPerEpoch(), count, () -> shards);
      return run.execute((net, e) -> shards.epoch(e, net), onExecutors(jsc, valid),
          Checkpoints.NONE);
    } finally {
      shards.close();
      valid.unpersist();
    }
  }

  /** Validation on the executors: the model broadcast, each partition of {@code valid} scored. */
  private static Validation onExecutors(JavaSparkContext jsc, JavaRDD<Row> valid) {
    return model -> {
      Broadcast<RatingModel> shared = jsc.broadcast(model);
      try {
        return valid.mapPartitions(rows -> {
          TrainingSet v = TrainingSet.sorted(rows);
          return List.of(ErrorStats.of(shared.value(), v.users(), v.items(), v.ratings()))
              .iterator();
        }).reduce(ErrorStats::plus);
      } finally {
        shared.destroy();
      }
    };
  }

  /** The engine's estimate of one dense update of the embedding tables, in milliseconds. */
  public static double denseStepMillis(ModelSettings model, TrainSettings train, long users,
      long items) {
    return Dl4jRuntime.denseStepMillis(model, train, users, items);
  }

  private static Dataset<Row> columns(Dataset<Row> table) {
    return table.select(col("user_index"), col("item_index"), col("rating").cast("float"));
  }

  /** One epoch of training; returns the mean training loss. */
  @FunctionalInterface
  private interface Epoch {
    double run(ComputationGraph net, int epoch);
  }

  /** The validation errors of a model. */
  @FunctionalInterface
  private interface Validation {
    ErrorStats of(RatingModel model);
  }

  /** The network and the history of one training run. */
  private final class Run {
    final GraphParameters parameters;
    final long ratings;
    final RateSchedule schedule;
    final int[] labelWidths;
    final List<EpochStats> history = new ArrayList<>();
    final EarlyStopping early = new EarlyStopping(settings.earlyStopping());
    ComputationGraph net;
    INDArray best;
    /** The sum of the parameters at the end of each averaged epoch, and how many. */
    INDArray averageSum;
    int averaged;
    double previousSeconds;
    /** With sparse embeddings, the workers that train them and the head; else null. */
    final SparseEmbeddings sparse;

    Run(int users, int items, double mean, long stepsPerEpoch, long ratings) {
      this(users, items, mean, stepsPerEpoch, ratings, null);
    }

    /**
     * @param sparseEmbeddings with sparse embeddings, their workers (which may take another
     *     number of steps an epoch than {@code stepsPerEpoch}); else null
     */
    Run(int users, int items, double mean, long stepsPerEpoch, long ratings,
        Supplier<SparseEmbeddings> sparseEmbeddings) {
      Dl4jRuntime.prepare(settings.dl4j());
      if (sparseEmbeddings == null) {
        Dl4jRuntime.warnIfDense(modelSettings, settings, users, items, stepsPerEpoch);
      }
      double offset = modelSettings.globalMean()
          ? FactorModel.offsetFor(mean, modelSettings.yRange()) : 0.0;
      this.parameters = new GraphParameters(modelSettings, users, items, offset);
      this.ratings = ratings;
      this.labelWidths = ModelGraph.labelWidths(modelSettings, settings);
      this.net = new ComputationGraph(ModelGraph.configuration(modelSettings, settings, users,
          items, offset, stepsPerEpoch));
      net.init();
      parameters.initialise(net, settings.seed());
      LOG.info("dl4j engine: {} model, {} parameters", modelSettings.type().spelling(),
          net.numParams());
      if (sparseEmbeddings != null) {
        // The steps start from the network's values, so both forms start alike.
        sparse = sparseEmbeddings.get();
        sparse.load(net);
        String averaged = sparse instanceof SparseShards
            ? " on the executors, averaged " + settings.distributed().roundsPerEpoch()
                + " time(s) an epoch"
            : sparse.workers() > 1 ? ", averaged every " + settings.dl4j().averageEvery()
                + " steps" : "";
        LOG.info("dl4j engine: sparse embeddings: each step updates the rows of its batch; {} "
            + "worker(s){}", sparse.workers(), averaged);
        schedule = RateSchedule.of(settings, sparse.stepsPerEpoch());
      } else {
        sparse = null;
        schedule = RateSchedule.of(settings, stepsPerEpoch);
      }
      if (settings.averageFromEpoch() > settings.epochs()) {
        LOG.warn("cfpipe.train.average-from-epoch ({}) is after the last epoch ({}): the model "
            + "is the last (or best) epoch's, not averaged", settings.averageFromEpoch(),
            settings.epochs());
      }
    }

    TrainResult<RatingModel> execute(Epoch epochs, Validation validation,
        Checkpoints checkpoints) {
      long start = System.nanoTime();
      for (int epoch = history.size() + 1; epoch <= settings.epochs(); epoch++) {
        long epochStart = System.nanoTime();
        double loss = epochs.run(net, epoch);
        double epochSeconds = (System.nanoTime() - epochStart) / 1e9;
        // Averaging: validate (and keep) the mean, then train on from the trajectory.
        INDArray trajectory = null;
        if (settings.averageFromEpoch() > 0 && epoch >= settings.averageFromEpoch()) {
          trajectory = net.params().dup();
          averageSum = averageSum == null ? trajectory.dup() : averageSum.addi(trajectory);
          averaged++;
          net.setParams(averageSum.div(averaged));
        }
        ErrorStats valid = validation.of(parameters.model(net));
        double elapsed = previousSeconds + (System.nanoTime() - start) / 1e9;
        EpochStats stats = new EpochStats(epoch, loss, valid.rmse(), valid.mae(),
            schedule.valueAt(Math.max(0, (sparse != null ? sparse.steps()
                : net.getIterationCount()) - 1), epoch),
            ratings / epochSeconds, elapsed);
        history.add(stats);
        if (early.keep(stats)) {
          best = net.params().dup();
        }
        if (trajectory != null) {
          net.setParams(trajectory);
        }
        LOG.info(stats.describe(settings.epochs(), elapsed / epoch * (settings.epochs() - epoch)));
        checkpoints.save(epoch, this::save);
        if (early.stop(epoch)) {
          break;
        }
      }
      if (early.kept()) {
        net.setParams(best);
      } else if (averaged > 0) {
        net.setParams(averageSum.div(averaged));
      }
      double seconds = previousSeconds + (System.nanoTime() - start) / 1e9;
      ByteArrayOutputStream network = new ByteArrayOutputStream();
      try {
        ModelSerializer.writeModel(net, network, false);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot serialise the network", e);
      }
      return new TrainResult<>(parameters.model(net), history, early.bestEpoch(history.size()),
          seconds, network.toByteArray());
    }

    void save(DataOutputStream out) throws IOException {
      out.writeInt(CHECKPOINT_VERSION);
      out.writeDouble(history.get(history.size() - 1).elapsedSeconds());
      Checkpoints.writeHistory(out, history);
      early.write(out);
      if (early.kept()) {
        Checkpoints.writeFloats(out, best.toFloatVector());
      }
      out.writeInt(averaged);
      if (averaged > 0) {
        Checkpoints.writeFloats(out, averageSum.toFloatVector());
      }
      ByteArrayOutputStream model = new ByteArrayOutputStream();
      // With sparse embeddings the network's own updater never runs: the step holds the state.
      ModelSerializer.writeModel(net, model, sparse == null);
      out.writeInt(model.size());
      model.writeTo(out);
      out.writeBoolean(sparse != null);
      if (sparse != null) {
        sparse.save(out);
      }
    }

    void restore(DataInputStream in) {
      try (in) {
        if (in.readInt() != CHECKPOINT_VERSION) {
          throw new IOException("the checkpoint was written by another version of the trainer");
        }
        previousSeconds = in.readDouble();
        history.addAll(Checkpoints.readHistory(in));
        int epochs = history.size();
        early.read(in);
        if (early.kept()) {
          best = org.nd4j.linalg.factory.Nd4j.create(Checkpoints.readFloats(in));
        }
        averaged = in.readInt();
        if (averaged > 0) {
          averageSum = org.nd4j.linalg.factory.Nd4j.create(Checkpoints.readFloats(in))
              .reshape(1, -1);
        }
        byte[] model = new byte[in.readInt()];
        in.readFully(model);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(
            new ByteArrayInputStream(model), sparse == null);
        if (restored.numParams() != net.numParams()) {
          throw new IOException("the checkpoint holds " + restored.numParams()
              + " parameters where " + net.numParams() + " are expected: was it written for "
              + "another model shape?");
        }
        net = restored;
        if (in.readBoolean() != (sparse != null)) {
          throw new IOException("the checkpoint was written with cfpipe.train.dl4j.embeddings = "
              + (sparse == null ? "sparse" : "dense"));
        }
        if (sparse != null) {
          sparse.restore(in);
        }
        LOG.info("resumed from the checkpoint after epoch {}", epochs);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot resume from the checkpoint: " + e.getMessage(), e);
      }
    }
  }
}
