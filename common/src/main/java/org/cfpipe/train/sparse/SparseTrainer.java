package org.cfpipe.train.sparse;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.cfpipe.config.ModelSettings;
import org.cfpipe.config.TrainSettings;
import org.cfpipe.model.ErrorStats;
import org.cfpipe.model.FactorModel;
import org.cfpipe.train.Checkpoints;
import org.cfpipe.train.EarlyStopping;
import org.cfpipe.train.EpochStats;
import org.cfpipe.train.LearningRateSchedule;
import org.cfpipe.train.ParameterTable;
import org.cfpipe.train.RowOptimizer;
import org.cfpipe.train.Seeds;
import org.cfpipe.train.TrainResult;
import org.cfpipe.train.TrainingSet;
import org.cfpipe.train.WarmStart;
import org.cfpipe.train.Workers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a {@link FactorModel} in one JVM by lazy mini-batch optimisation over DSGD strata
 * ({@link BlockedRatings}). An epoch visits the P strata of a random permutation; the P blocks of
 * a stratum share no user and no item, so the threads train them at the same time without
 * touching each other's rows. Inside a block the ratings are shuffled and taken in mini-batches:
 * the gradient goes into the touched rows ({@link BatchGradient}) and only those rows are updated
 * ({@link RowOptimizer}). Each block's shuffle is seeded by (seed, epoch, block) and each batch's
 * optimizer step number is fixed by a canonical order, so the model is the same whatever the
 * number of threads and whatever order they finish in.
 *
 * <p>After each epoch it scores the validation ratings, logs train loss, validation RMSE, ratings
 * per second, elapsed time and ETA, saves a checkpoint, and stops early when validation RMSE has
 * not improved for {@code patience} epochs, keeping the best epoch's parameters.
 */
public final class SparseTrainer {
  private static final Logger LOG = LoggerFactory.getLogger(SparseTrainer.class);
  private static final int CHECKPOINT_VERSION = 3;

  private final ModelSettings modelSettings;
  private final TrainSettings settings;

  public SparseTrainer(ModelSettings modelSettings, TrainSettings settings) {
    this.modelSettings = modelSettings;
    this.settings = settings;
  }

  /** Trains from scratch, without checkpoints. */
  public TrainResult<FactorModel> train(TrainingSet ratings, TrainingSet validation, int users, int items) {
    return train(ratings, validation, users, items, Checkpoints.NONE, false);
  }

  /**
   * @param validation scored after every epoch; may be empty
   * @param resume continue from the newest checkpoint, when there is one
   */
  public TrainResult<FactorModel> train(TrainingSet ratings, TrainingSet validation, int users, int items,
      Checkpoints checkpoints, boolean resume) {
    return train(ratings, validation, users, items, checkpoints, resume,
        WarmStart.cold("not asked"));
  }

  /**
   * @param warm last night's rows, which replace the random start of the ids they know
   */
  public TrainResult<FactorModel> train(TrainingSet ratings, TrainingSet validation, int users,
      int items, Checkpoints checkpoints, boolean resume, WarmStart warm) {
    double offset = modelSettings.globalMean()
        ? FactorModel.offsetFor(ratings.mean(), modelSettings.yRange()) : 0.0;
    FactorModel model = new FactorModel(modelSettings.factors(), modelSettings.type().hasBiases(),
        users, items, offset, modelSettings.yRange());
    model.initUniform(modelSettings.initRange(), settings.seed());
    if (warm.warm()) {
      warm.applyTo(model.userRows(), model.rowWidth(), FactorModel.USERS);
      warm.applyTo(model.itemRows(), model.rowWidth(), FactorModel.ITEMS);
    }
    try (Workers workers = new Workers(settings.threadCount())) {
      RowOptimizer optimizer = RowOptimizer.create(settings);
      long totalBytes = 4L * model.rowWidth() * (1 + optimizer.stateSlots()) * (users + items);
      int blocks = blockCount(settings.blocks(), ratings.size(), totalBytes);
      Run run = new Run(model, new BlockedRatings(ratings, blocks), validation, workers,
          optimizer, BatchLoop.worthPreReading(totalBytes));
      if (resume) {
        checkpoints.latest().ifPresent(run::restore);
      }
      return run.execute(checkpoints);
    }
  }

  /** The mutable state of one training run. */
  private final class Run {
    final FactorModel model;
    final BlockedRatings blocked;
    final TrainingSet data;
    final TrainingSet validation;
    final Workers workers;
    final ParameterTable userTable;
    final ParameterTable itemTable;
    final BatchLoop[] loops;
    final double[] blockErrors;
    final LearningRateSchedule schedule;
    final List<EpochStats> history = new ArrayList<>();
    final EarlyStopping early = new EarlyStopping(settings.earlyStopping());
    float[] bestUsers;
    float[] bestItems;
    long step;
    double previousSeconds;

    Run(FactorModel model, BlockedRatings blocked, TrainingSet validation, Workers workers,
        RowOptimizer optimizer, boolean preRead) {
      this.model = model;
      this.blocked = blocked;
      this.data = blocked.view();
      this.validation = validation;
      this.workers = workers;
      int width = model.rowWidth();
      this.userTable = new ParameterTable(model.users(), width, optimizer.stateSlots());
      this.itemTable = new ParameterTable(model.items(), width, optimizer.stateSlots());
      userTable.load(model.userRows());
      itemTable.load(model.itemRows());
      this.blockErrors = new double[blocked.blocks() * blocked.blocks()];
      BatchGradient gradient = new BatchGradient(model, settings.l2(), settings.biasL2());
      this.schedule = LearningRateSchedule.of(settings, stepsPerEpoch());
      this.loops = new BatchLoop[workers.threads()];
      for (int t = 0; t < loops.length; t++) {
        loops[t] = new BatchLoop(gradient, optimizer, schedule, settings.batchSize(),
            model.users(), model.items(), width, preRead);
      }
    }

    /** Optimizer steps of block {@code b}: its ratings in batches, the last one partial. */
    long batches(int b) {
      return BatchLoop.batches(blocked.to(b) - blocked.from(b), settings.batchSize());
    }

    long stepsPerEpoch() {
      long steps = 0;
      for (int b = 0; b < blockErrors.length; b++) {
        steps += batches(b);
      }
      return steps;
    }

    TrainResult<FactorModel> execute(Checkpoints checkpoints) {
      long start = System.nanoTime();
      for (int epoch = history.size() + 1; epoch <= settings.epochs(); epoch++) {
        long epochStart = System.nanoTime();
        double loss = runEpoch(epoch);
        double epochSeconds = (System.nanoTime() - epochStart) / 1e9;
        ErrorStats valid = validate();
        double elapsed = previousSeconds + (System.nanoTime() - start) / 1e9;
        EpochStats stats = new EpochStats(epoch, loss, valid.rmse(), valid.mae(),
            schedule.learningRate(step - 1), data.size() / epochSeconds, elapsed);
        history.add(stats);
        if (early.keep(stats)) {
          keepBest();
        }
        LOG.info(stats.describe(settings.epochs(), elapsed / epoch * (settings.epochs() - epoch)));
        checkpoints.save(epoch, this::save);
        if (early.stop(epoch)) {
          break;
        }
      }
      if (early.kept()) {
        System.arraycopy(bestUsers, 0, model.userRows(), 0, bestUsers.length);
        System.arraycopy(bestItems, 0, model.itemRows(), 0, bestItems.length);
      } else {
        userTable.store(model.userRows());
        itemTable.store(model.itemRows());
      }
      double seconds = previousSeconds + (System.nanoTime() - start) / 1e9;
      return new TrainResult<>(model, history, early.bestEpoch(history.size()), seconds);
    }

    /**
     * One pass over the ratings, stratum by stratum; returns the mean squared error before
     * updates. The threads take the blocks of a stratum from a shared counter.
     */
    double runEpoch(int epoch) {
      int p = blocked.blocks();
      int[] perm = Seeds.permutation(p, new SplittableRandom(Seeds.mix(settings.seed(), epoch, -1)));
      for (int stratum = 0; stratum < p; stratum++) {
        long[] firstStep = new long[p];
        for (int a = 0; a < p; a++) {
          firstStep[a] = step;
          step += batches(blocked.blockOf(perm, stratum, a));
        }
        int s = stratum;
        workers.inChunks(p, 1, (t, a, from, to) -> {
          int block = blocked.blockOf(perm, s, a);
          blockErrors[block] = trainBlock(t, block, epoch, firstStep[a]);
        });
      }
      double sum = 0;
      for (double e : blockErrors) {
        sum += e;
      }
      return sum / data.size();
    }

    /** Mini-batches over one shuffled block on thread t; returns its squared errors. */
    double trainBlock(int t, int block, int epoch, long firstStep) {
      blocked.shuffle(block, new SplittableRandom(Seeds.mix(settings.seed(), epoch, block)));
      return loops[t].run(userTable, itemTable, data, blocked.from(block), blocked.to(block),
          firstStep);
    }

    /** RMSE and MAE of the current parameters on the validation ratings. */
    ErrorStats validate() {
      return ErrorStats.of(model, userTable.data(), userTable.stride(), itemTable.data(),
          itemTable.stride(), validation.users(), validation.items(), validation.ratings());
    }

    /** Copies the current parameters as the best epoch's. */
    void keepBest() {
      if (bestUsers == null) {
        bestUsers = new float[model.userRows().length];
        bestItems = new float[model.itemRows().length];
      }
      userTable.store(bestUsers);
      itemTable.store(bestItems);
    }

    void save(DataOutputStream out) throws IOException {
      out.writeInt(CHECKPOINT_VERSION);
      out.writeLong(step);
      out.writeDouble(history.get(history.size() - 1).elapsedSeconds());
      Checkpoints.writeHistory(out, history);
      Checkpoints.writeFloats(out, userTable.data());
      Checkpoints.writeFloats(out, itemTable.data());
      early.write(out);
      if (early.kept()) {
        Checkpoints.writeFloats(out, bestUsers);
        Checkpoints.writeFloats(out, bestItems);
      }
    }

    void restore(DataInputStream in) {
      try (in) {
        if (in.readInt() != CHECKPOINT_VERSION) {
          throw new IOException("the checkpoint was written by another version of the trainer");
        }
        step = in.readLong();
        previousSeconds = in.readDouble();
        history.addAll(Checkpoints.readHistory(in));
        int epochs = history.size();
        // Each epoch shuffles the blocks in place: replay the finished epochs' shuffles so the
        // next one starts from the same order as in an uninterrupted run.
        for (int e = 0; e < epochs; e++) {
          for (int block = 0; block < blockErrors.length; block++) {
            blocked.shuffle(block, new SplittableRandom(Seeds.mix(settings.seed(), e + 1, block)));
          }
        }
        Checkpoints.readFloats(in, userTable.data());
        Checkpoints.readFloats(in, itemTable.data());
        early.read(in);
        if (early.kept()) {
          bestUsers = new float[model.userRows().length];
          bestItems = new float[model.itemRows().length];
          Checkpoints.readFloats(in, bestUsers);
          Checkpoints.readFloats(in, bestItems);
        }
        LOG.info("resumed from the checkpoint after epoch {} (step {})", epochs, step);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot resume from the checkpoint: " + e.getMessage(), e);
      }
    }
  }

  /**
   * DSGD blocks per side: the setting, or 1 while the whole training state fits in 8 MiB of cache
   * (blocking would only reorder the ratings), else sqrt(ratings / 5000) between 4 and 128.
   */
  static int blockCount(int configured, long ratings, long stateBytes) {
    if (configured > 0) {
      return configured;
    }
    if (stateBytes <= 8L << 20) {
      return 1;
    }
    return (int) Math.max(4, Math.min(128, Math.round(Math.sqrt(ratings / 5_000.0))));
  }
}
