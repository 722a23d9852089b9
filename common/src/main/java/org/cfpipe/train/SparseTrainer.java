package org.cfpipe.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.cfpipe.config.ModelSettings;
import org.cfpipe.config.TrainSettings;
import org.cfpipe.model.DotBiasModel;
import org.cfpipe.model.ErrorStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a {@link DotBiasModel} in one JVM by mini-batch lazy AdamW: each epoch shuffles the
 * ratings, then for each batch accumulates the gradient into the touched rows
 * ({@link BatchGradient}) and updates only those rows ({@link LazyAdam}). Logs one line per
 * epoch: train loss, validation RMSE, ratings per second and elapsed time.
 */
public final class SparseTrainer {
  private static final Logger LOG = LoggerFactory.getLogger(SparseTrainer.class);

  private final ModelSettings modelSettings;
  private final TrainSettings settings;

  public SparseTrainer(ModelSettings modelSettings, TrainSettings settings) {
    this.modelSettings = modelSettings;
    this.settings = settings;
  }

  /**
   * @param validation scored after every epoch; may be empty
   */
  public TrainResult train(TrainingSet ratings, TrainingSet validation, int users, int items) {
    DotBiasModel model =
        new DotBiasModel(modelSettings.factors(), users, items, modelSettings.yRange());
    model.initUniform(modelSettings.initRange(), settings.seed());
    int width = model.rowWidth();
    int batchSize = settings.batchSize();
    TouchedRows userGrads = new TouchedRows(users, width, batchSize);
    TouchedRows itemGrads = new TouchedRows(items, width, batchSize);
    LazyAdam userAdam = new LazyAdam(model.userRows().length, settings.beta2(),
        settings.epsilon(), settings.weightDecay());
    LazyAdam itemAdam = new LazyAdam(model.itemRows().length, settings.beta2(),
        settings.epsilon(), settings.weightDecay());

    TrainingSet data = ratings.copy();
    int size = data.size();
    long stepsPerEpoch = (size + batchSize - 1) / batchSize;
    LearningRateSchedule schedule =
        LearningRateSchedule.of(settings, stepsPerEpoch * settings.epochs());
    SplittableRandom random = new SplittableRandom(settings.seed() ^ 0x5DEECE66DL);
    List<EpochStats> history = new ArrayList<>();
    long start = System.nanoTime();
    long step = 0;
    for (int epoch = 1; epoch <= settings.epochs(); epoch++) {
      long epochStart = System.nanoTime();
      data.shuffle(random);
      double squaredErrors = 0;
      double rate = 0;
      for (int from = 0; from < size; from += batchSize) {
        int to = Math.min(size, from + batchSize);
        userGrads.clear();
        itemGrads.clear();
        squaredErrors += BatchGradient.accumulate(model, data, from, to, userGrads, itemGrads);
        rate = schedule.learningRate(step);
        double beta1 = schedule.beta1(step);
        step++;
        userAdam.update(model.userRows(), userGrads, rate, beta1, step);
        itemAdam.update(model.itemRows(), itemGrads, rate, beta1, step);
      }
      double epochSeconds = (System.nanoTime() - epochStart) / 1e9;
      ErrorStats valid = ErrorStats.of(model, validation.users(), validation.items(),
          validation.ratings());
      EpochStats stats = new EpochStats(epoch, squaredErrors / size, valid.rmse(), valid.mae(),
          rate, size / epochSeconds, (System.nanoTime() - start) / 1e9);
      history.add(stats);
      LOG.info(String.format(Locale.ROOT,
          "epoch %d/%d  train_loss %.4f  valid_rmse %.4f  %,.0f ratings/s  elapsed %.1f s",
          epoch, settings.epochs(), stats.trainLoss(), stats.validRmse(),
          stats.ratingsPerSecond(), stats.elapsedSeconds()));
    }
    return new TrainResult(model, history, (System.nanoTime() - start) / 1e9);
  }
}
