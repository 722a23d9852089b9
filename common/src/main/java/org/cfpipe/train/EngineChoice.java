package org.cfpipe.train;

import java.util.Locale;
import org.cfpipe.config.ModelSettings;
import org.cfpipe.config.RatingScale;
import org.cfpipe.config.TrainSettings;
import org.cfpipe.config.TrainSettings.Engine;

/**
 * What the train stage settles once it has seen the training ratings: the engine, when the
 * settings leave it to auto (the gibbs engine, which has nothing to tune, when its estimated
 * training time fits {@code cfpipe.train.budget}; the sparse engine otherwise), and the y-range,
 * from the ratings' scale unless set.
 *
 * @param model the model settings with their y-range resolved
 * @param train the train settings with the chosen engine
 * @param reason why this engine, in words, with the estimate behind it
 * @param gibbsEstimateSeconds the gibbs engine's estimated training time on these ratings
 */
public record EngineChoice(ModelSettings model, TrainSettings train, String reason,
    double gibbsEstimateSeconds) {

  /** Resolves {@code model} and {@code train} for {@code trainRows} ratings on {@code scale}. */
  public static EngineChoice of(ModelSettings model, TrainSettings train, RatingScale scale,
      long trainRows, long rows, int cores) {
    double estimate = gibbsSeconds(model, train, trainRows, rows, cores);
    Engine engine = train.engine();
    String reason;
    if (!train.auto().chosen()) {
      reason = "set by cfpipe.train.engine";
    } else if (model.type() == ModelSettings.Type.NEURAL) {
      reason = "auto: the neural model trains with the dl4j engine";
    } else if (model.requested().enabled() == ModelSettings.Toggle.TRUE) {
      reason = "auto: cfpipe.model.y-range.enabled = true asks for a sigmoid output, which the "
          + "gibbs engine's linear model has not, so the sparse engine";
    } else if (estimate <= train.auto().budgetMinutes() * 60) {
      engine = Engine.GIBBS;
      reason = String.format(Locale.ROOT, "auto: the gibbs engine's estimated %.0f s fit "
          + "cfpipe.train.budget (%s min)", estimate, RatingScale.plain(train.auto().budgetMinutes()));
    } else {
      engine = Engine.SPARSE;
      reason = String.format(Locale.ROOT, "auto: the gibbs engine's estimated %.0f s exceed "
          + "cfpipe.train.budget (%s min), so the sparse engine", estimate,
          RatingScale.plain(train.auto().budgetMinutes()));
    }
    return new EngineChoice(model.forData(scale, engine), train.withEngine(engine), reason,
        estimate);
  }

  /**
   * Sweeps x chains x the cost of a sweep, over the cores: a rating costs (k/50)^2 times
   * {@code rating-core-nanos} (its outer product, on both sides), a row (k/50)^3 times
   * {@code row-core-micros} (its Cholesky factor and draw). The chains spread over the workers
   * when distributed, each chain in one JVM of as many cores as this one; with
   * {@code distributed.gibbs = sweeps}, one chain's sweeps spread over the workers.
   *
   * @param rows users plus items
   */
  static double gibbsSeconds(ModelSettings model, TrainSettings train, long trainRows, long rows,
      int cores) {
    TrainSettings.Gibbs g = train.gibbs();
    int workers = Math.max(1, Math.min(train.distributed().workers(), g.chains()));
    int chainsInTurn = (g.chains() + workers - 1) / workers;
    double k = model.factors() / 50.0;
    double sweep = trainRows * train.auto().ratingCoreNanos() * 1e-9 * k * k
        + rows * train.auto().rowCoreMicros() * 1e-6 * k * k * k;
    if (train.distributed().workers() > 0
        && train.distributed().gibbs() == TrainSettings.GibbsSpread.SWEEPS) {
      // One chain without the implicit prior, each sweep over the workers' blocks, a core each
      // (15M ratings on 2 workers of a core: 7 to 9 s a sweep; these constants say 7.5).
      return (double) g.sweeps() * sweep * 0.5 / train.distributed().workers();
    }
    double implicitShare = g.implicit() ? 1.0 : 0.5;
    return (double) g.sweeps() * chainsInTurn * sweep * implicitShare / Math.max(1, cores);
  }
}
