package org.cfpipe.train;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.cfpipe.config.ModelSettings;
import org.cfpipe.config.TrainSettings;
import org.cfpipe.model.ErrorStats;
import org.cfpipe.model.FactorModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a {@link FactorModel} in one JVM by lazy mini-batch optimisation: each epoch shuffles
 * the ratings, then for each batch accumulates the gradient into the touched rows
 * ({@link BatchGradient}) and updates only those rows ({@link RowOptimizer}). After each epoch it
 * scores the validation ratings, logs train loss, validation RMSE, ratings per second, elapsed time
 * and ETA, saves a checkpoint, and stops early when validation RMSE has not improved for
 * {@code patience} epochs, keeping the best epoch's parameters.
 */
public final class SparseTrainer {
  private static final Logger LOG = LoggerFactory.getLogger(SparseTrainer.class);
  private static final int CHECKPOINT_VERSION = 1;

  private final ModelSettings modelSettings;
  private final TrainSettings settings;

  public SparseTrainer(ModelSettings modelSettings, TrainSettings settings) {
    this.modelSettings = modelSettings;
    this.settings = settings;
  }

  /** Trains from scratch, without checkpoints. */
  public TrainResult train(TrainingSet ratings, TrainingSet validation, int users, int items) {
    return train(ratings, validation, users, items, Checkpoints.NONE, false);
  }

  /**
   * @param validation scored after every epoch; may be empty
   * @param resume continue from the newest checkpoint, when there is one
   */
  public TrainResult train(TrainingSet ratings, TrainingSet validation, int users, int items,
      Checkpoints checkpoints, boolean resume) {
    double offset = modelSettings.globalMean()
        ? FactorModel.offsetFor(ratings.mean(), modelSettings.yRange()) : 0.0;
    FactorModel model = new FactorModel(modelSettings.factors(), modelSettings.type().hasBiases(),
        users, items, offset, modelSettings.yRange());
    model.initUniform(modelSettings.initRange(), settings.seed());
    Run run = new Run(model, ratings.copy(), validation);
    if (resume) {
      checkpoints.latest().ifPresent(run::restore);
    }
    return run.execute(checkpoints);
  }

  /** The mutable state of one training run. */
  private final class Run {
    final FactorModel model;
    final TrainingSet data;
    final TrainingSet validation;
    final TouchedRows userGrads;
    final TouchedRows itemGrads;
    final RowOptimizer userOptimizer;
    final RowOptimizer itemOptimizer;
    final BatchGradient gradient = new BatchGradient(settings.l2(), settings.biasL2());
    final LearningRateSchedule schedule;
    final SplittableRandom random = new SplittableRandom(settings.seed() ^ 0x5DEECE66DL);
    final List<EpochStats> history = new ArrayList<>();
    float[] bestUsers;
    float[] bestItems;
    int bestEpoch;
    double bestRmse = Double.POSITIVE_INFINITY;
    long step;
    double previousSeconds;

    Run(FactorModel model, TrainingSet data, TrainingSet validation) {
      this.model = model;
      this.data = data;
      this.validation = validation;
      int batch = settings.batchSize();
      this.userGrads = new TouchedRows(model.users(), model.rowWidth(), batch);
      this.itemGrads = new TouchedRows(model.items(), model.rowWidth(), batch);
      this.userOptimizer = RowOptimizer.create(settings, model.userRows().length);
      this.itemOptimizer = RowOptimizer.create(settings, model.itemRows().length);
      this.schedule = LearningRateSchedule.of(settings, stepsPerEpoch());
    }

    long stepsPerEpoch() {
      return (data.size() + settings.batchSize() - 1) / settings.batchSize();
    }

    TrainResult execute(Checkpoints checkpoints) {
      long start = System.nanoTime();
      for (int epoch = history.size() + 1; epoch <= settings.epochs(); epoch++) {
        long epochStart = System.nanoTime();
        double loss = runEpoch();
        double epochSeconds = (System.nanoTime() - epochStart) / 1e9;
        ErrorStats valid = ErrorStats.of(model, validation.users(), validation.items(),
            validation.ratings());
        double elapsed = previousSeconds + (System.nanoTime() - start) / 1e9;
        EpochStats stats = new EpochStats(epoch, loss, valid.rmse(), valid.mae(),
            schedule.learningRate(step - 1), data.size() / epochSeconds, elapsed);
        history.add(stats);
        boolean improved = track(stats);
        log(stats, elapsed / epoch * (settings.epochs() - epoch));
        checkpoints.save(epoch, this::save);
        if (!improved && epoch - bestEpoch >= settings.earlyStopping().patience()) {
          LOG.info("early stopping after epoch {}: validation RMSE has not improved since "
              + "epoch {} ({})", epoch, bestEpoch, String.format(Locale.ROOT, "%.4f", bestRmse));
          break;
        }
      }
      if (bestUsers != null) {
        System.arraycopy(bestUsers, 0, model.userRows(), 0, bestUsers.length);
        System.arraycopy(bestItems, 0, model.itemRows(), 0, bestItems.length);
      }
      double seconds = previousSeconds + (System.nanoTime() - start) / 1e9;
      int best = bestUsers != null ? bestEpoch : history.size();
      return new TrainResult(model, history, best, seconds);
    }

    /** One pass over the shuffled ratings; returns the mean squared error before updates. */
    double runEpoch() {
      data.shuffle(random);
      int size = data.size();
      int batchSize = settings.batchSize();
      double squaredErrors = 0;
      for (int from = 0; from < size; from += batchSize) {
        int to = Math.min(size, from + batchSize);
        userGrads.clear();
        itemGrads.clear();
        squaredErrors += gradient.accumulate(model, data, from, to, userGrads, itemGrads);
        double rate = schedule.learningRate(step);
        double momentum = schedule.beta1(step);
        step++;
        userOptimizer.update(model.userRows(), userGrads, rate, momentum, step);
        itemOptimizer.update(model.itemRows(), itemGrads, rate, momentum, step);
      }
      return squaredErrors / size;
    }

    /** Remembers the best epoch when early stopping is on; true when this epoch improved. */
    boolean track(EpochStats stats) {
      if (!settings.earlyStopping().enabled() || Double.isNaN(stats.validRmse())) {
        bestEpoch = stats.epoch();
        return true;
      }
      if (stats.validRmse() >= bestRmse) {
        return false;
      }
      bestRmse = stats.validRmse();
      bestEpoch = stats.epoch();
      bestUsers = copyInto(bestUsers, model.userRows());
      bestItems = copyInto(bestItems, model.itemRows());
      return true;
    }

    void log(EpochStats stats, double etaSeconds) {
      LOG.info(String.format(Locale.ROOT, "epoch %d/%d  train_loss %.4f  valid_rmse %.4f  "
              + "lr %.2e  %,.0f ratings/s  elapsed %.1f s  eta %.1f s", stats.epoch(),
          settings.epochs(), stats.trainLoss(), stats.validRmse(), stats.learningRate(),
          stats.ratingsPerSecond(), stats.elapsedSeconds(), etaSeconds));
    }

    void save(DataOutputStream out) throws IOException {
      out.writeInt(CHECKPOINT_VERSION);
      out.writeLong(step);
      out.writeDouble(history.get(history.size() - 1).elapsedSeconds());
      out.writeInt(history.size());
      for (EpochStats e : history) {
        out.writeInt(e.epoch());
        for (double value : new double[] {e.trainLoss(), e.validRmse(), e.validMae(),
            e.learningRate(), e.ratingsPerSecond(), e.elapsedSeconds()}) {
          out.writeDouble(value);
        }
      }
      RowOptimizer.write(out, model.userRows());
      RowOptimizer.write(out, model.itemRows());
      userOptimizer.save(out);
      itemOptimizer.save(out);
      out.writeInt(bestEpoch);
      out.writeDouble(bestRmse);
      out.writeBoolean(bestUsers != null);
      if (bestUsers != null) {
        RowOptimizer.write(out, bestUsers);
        RowOptimizer.write(out, bestItems);
      }
    }

    void restore(DataInputStream in) {
      try (in) {
        if (in.readInt() != CHECKPOINT_VERSION) {
          throw new IOException("unknown checkpoint version");
        }
        step = in.readLong();
        previousSeconds = in.readDouble();
        int epochs = in.readInt();
        for (int e = 0; e < epochs; e++) {
          history.add(new EpochStats(in.readInt(), in.readDouble(), in.readDouble(),
              in.readDouble(), in.readDouble(), in.readDouble(), in.readDouble()));
          // Replays the shuffles of the finished epochs so the next one sees the same order.
          data.shuffle(random);
        }
        RowOptimizer.read(in, model.userRows());
        RowOptimizer.read(in, model.itemRows());
        userOptimizer.restore(in);
        itemOptimizer.restore(in);
        bestEpoch = in.readInt();
        bestRmse = in.readDouble();
        if (in.readBoolean()) {
          bestUsers = new float[model.userRows().length];
          bestItems = new float[model.itemRows().length];
          RowOptimizer.read(in, bestUsers);
          RowOptimizer.read(in, bestItems);
        }
        LOG.info("resumed from the checkpoint after epoch {} (step {})", epochs, step);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot resume from the checkpoint: " + e.getMessage(), e);
      }
    }
  }

  private static float[] copyInto(float[] target, float[] source) {
    float[] out = target == null ? new float[source.length] : target;
    System.arraycopy(source, 0, out, 0, source.length);
    return out;
  }
}
