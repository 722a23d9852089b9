package org.cfpipe.config;

import com.typesafe.config.Config;
import java.io.Serializable;

/** Optimisation of a model ({@code cfpipe.train}). */
public record TrainSettings(
    Engine engine,
    int epochs,
    int batchSize,
    Optimizer optimizer,
    double learningRate,
    Schedule schedule,
    double weightDecay,
    double l2,
    double biasL2,
    double momentum,
    double beta1,
    double beta2,
    double epsilon,
    OneCycle oneCycle,
    CosineRestarts cosineRestarts,
    EarlyStopping earlyStopping,
    int averageFromEpoch,
    int threads,
    int blocks,
    Distributed distributed,
    boolean resume,
    long seed,
    Dl4j dl4j,
    Gibbs gibbs,
    Auto auto,
    WarmStart warmStart) implements Serializable {

  /**
   * Starting from last night's model ({@code cfpipe.train.warm-start}).
   *
   * @param auto start from the run whose id maps the encode stage extended, when its model has
   *     the same type, shape, output and engine; else train from scratch, the reason logged
   * @param epochs the sparse and dl4j engines' epochs when warm
   * @param sweeps the gibbs engine's sweeps when warm
   * @param burnIn the gibbs engine's burn-in when warm
   */
  public record WarmStart(boolean auto, int epochs, int sweeps, int burnIn)
      implements Serializable {
    public WarmStart {
      if (burnIn >= sweeps) {
        throw new SettingsException("cfpipe.train.warm-start-gibbs.burn-in (" + burnIn
            + ") must be below cfpipe.train.warm-start-gibbs.sweeps (" + sweeps + ")");
      }
    }
  }

  /**
   * What {@code engine = auto} may choose between ({@code cfpipe.train.budget}).
   *
   * @param chosen whether the engine was left to auto (else the user named it)
   * @param budgetMinutes the training time the gibbs engine may take, as estimated, before auto
   *     picks the sparse engine instead
   * @param ratingCoreNanos core nanoseconds of one rating in one gibbs sweep at k = 50
   * @param rowCoreMicros core microseconds of one user or item row in one sweep at k = 50
   */
  public record Auto(boolean chosen, double budgetMinutes, double ratingCoreNanos,
      double rowCoreMicros) implements Serializable {}

  /** The same settings with another engine (auto's choice once the data is known). */
  public TrainSettings withEngine(Engine other) {
    return new TrainSettings(other, epochs, batchSize, optimizer, learningRate, schedule,
        weightDecay, l2, biasL2, momentum, beta1, beta2, epsilon, oneCycle, cosineRestarts,
        earlyStopping, averageFromEpoch, threads, blocks, distributed, resume, seed, dl4j, gibbs,
        auto, warmStart);
  }

  /**
   * The settings of a warm night: {@code warm-start.epochs} epochs, and the gibbs engine's
   * {@code warm-start-gibbs} sweeps and burn-in; the rest unchanged.
   */
  public TrainSettings warm() {
    Gibbs g = gibbs;
    Gibbs warmGibbs = new Gibbs(warmStart.sweeps(), warmStart.burnIn(), g.initStd(),
        g.rowNoiseShape(), g.alignSamples(), g.implicit(), g.chains(), g.stopAtMcError(),
        g.raoBlackwell());
    return new TrainSettings(engine, warmStart.epochs(), batchSize, optimizer, learningRate,
        schedule, weightDecay, l2, biasL2, momentum, beta1, beta2, epsilon, oneCycle,
        cosineRestarts, earlyStopping, averageFromEpoch, threads, blocks, distributed, resume,
        seed, dl4j, warmGibbs, auto, warmStart);
  }

  /** Training engines; {@link #from} resolves {@code auto} to one of these. */
  public enum Engine {
    /** Plain Java on primitive arrays, lazy per-row optimizer state: dot and dot-bias. */
    SPARSE,
    /** A Deeplearning4j ComputationGraph: every model, the neural one only here. */
    DL4J,
    /** Bayesian dot and dot-bias by Gibbs sampling, in the driver JVM or chains on executors. */
    GIBBS;

    public String spelling() {
      return Checks.spelling(this);
    }
  }

  /**
   * The dl4j engine's environment ({@code cfpipe.train.dl4j}).
   *
   * @param nativeCacheDir where JavaCPP unpacks ND4J's native libraries; null keeps JavaCPP's
   *     default (~/.javacpp/cache)
   * @param denseWarningMillis warn before training when the estimated time of one dense update of
   *     the embedding tables exceeds this
   * @param opThreads threads of one ND4J operation; 0 keeps ND4J's default (every core)
   * @param embeddings how the neural model's embedding tables train in one JVM
   * @param workers with sparse embeddings, workers in one JVM (threads, parameters averaged);
   *     0 is one per core the JVM sees
   * @param averageEvery with sparse embeddings and several workers, steps between averages
   */
  public record Dl4j(String nativeCacheDir, double denseWarningMillis, int opThreads,
      Embeddings embeddings, int workers, int averageEvery) implements Serializable {}

  /**
   * dense: the tables are parameters of the DL4J network, its gradient and updater dense over
   * them; sparse: they live outside the network, and a step updates the rows its batch names;
   * auto: sparse when one dense update of the tables is estimated above
   * {@code dense-warning-millis}, else dense.
   */
  public enum Embeddings { DENSE, SPARSE, AUTO }

  /**
   * The Gibbs sampler ({@code cfpipe.train.gibbs}).
   *
   * @param sweeps passes over every parameter
   * @param burnIn the first sweeps, left out of the posterior mean
   * @param initStd standard deviation of the Gaussian the factors start from
   * @param rowNoiseShape shape (and rate) of the Gamma prior on each user's and each item's noise
   *     precision scale; 0 gives every rating the same noise
   * @param alignSamples rotate each sample's factors onto the running mean before adding them in
   * @param implicit whether a user's vector is his own factors plus |R(u)|^-1/2 sum of y_j over
   *     the items he rated (SVD++'s implicit feedback, as a prior)
   * @param chains independent chains, side by side as threads allow, their posterior means
   *     averaged
   * @param stopAtMcError a chain stops before {@code sweeps} once the Monte Carlo variance of its
   *     mean's predictions is at most this fraction of the noise variance; 0 runs every sweep
   * @param raoBlackwell the posterior mean adds up each coordinate's conditional mean at its
   *     draw rather than the draw
   */
  public record Gibbs(int sweeps, int burnIn, double initStd, double rowNoiseShape,
      boolean alignSamples, boolean implicit, int chains, double stopAtMcError,
      boolean raoBlackwell) implements Serializable {
    public Gibbs {
      if (rowNoiseShape != 0 && rowNoiseShape < 1) {
        throw new SettingsException("cfpipe.train.gibbs.row-noise-shape must be 0 (off) or at "
            + "least 1, not " + rowNoiseShape);
      }
      if (burnIn >= sweeps) {
        throw new SettingsException("cfpipe.train.gibbs.burn-in (" + burnIn + ") must be below "
            + "cfpipe.train.gibbs.sweeps (" + sweeps + "): no sample would be kept");
      }
    }
  }

  /** Optimizers: lazy in the sparse engine, DL4J's (dense) in the dl4j engine. */
  public enum Optimizer {
    ADAM,
    SGD
  }

  /** Learning-rate schedules. */
  public enum Schedule {
    CONSTANT,
    ONE_CYCLE,
    COSINE_RESTARTS
  }

  /** SGDR cycles ({@code cfpipe.train.cosine-restarts}). */
  public record CosineRestarts(int cycleEpochs, int cycleMult) implements Serializable {}

  /** Training on Spark executors ({@code cfpipe.train.distributed}). */
  public record Distributed(int workers, int roundsPerEpoch, Merge merge, GibbsSpread gibbs)
      implements Serializable {}

  /** What the gibbs engine spreads over the executors ({@code distributed.gibbs}). */
  public enum GibbsSpread {
    /** Its chains, a task each, on the whole training set. */
    CHAINS,
    /** One chain's sweeps, users and items in blocks. */
    SWEEPS
  }

  /** How the distributed engine merges the shards' copies of an item row. */
  public enum Merge {
    AVERAGE,
    SUM_DELTAS
  }

  public TrainSettings {
    if (distributed.gibbs() == GibbsSpread.SWEEPS && gibbs.chains() > 1) {
      throw new SettingsException("cfpipe.train.distributed.gibbs = sweeps runs one chain over "
          + "the executors: set cfpipe.train.gibbs.chains to 1 (it is " + gibbs.chains() + ")");
    }
    if (averageFromEpoch > 0 && engine != Engine.DL4J) {
      throw new SettingsException("cfpipe.train.average-from-epoch applies to the dl4j engine "
          + "only (it did not help the sparse engine: docs/accuracy.md); set it to 0");
    }
    if (distributed.workers() > 0 && resume && engine == Engine.DL4J) {
      throw new SettingsException("cfpipe.train.resume with cfpipe.train.distributed.workers > 0 "
          + "needs the sparse engine: DL4J-Spark training does not resume yet");
    }
  }

  /** Engine choices of {@code cfpipe.train.engine}. */
  enum EngineChoice {
    AUTO,
    SPARSE,
    DL4J,
    GIBBS
  }

  /** Early stopping on validation RMSE ({@code cfpipe.train.early-stopping}). */
  public record EarlyStopping(boolean enabled, int patience) implements Serializable {}

  /** Parameters of the one-cycle schedule ({@code cfpipe.train.one-cycle}). */
  public record OneCycle(
      double pctStart, double divFactor, double finalDivFactor, double momentumMax,
      double momentumMin) implements Serializable {
    public OneCycle {
      if (momentumMin > momentumMax) {
        throw new SettingsException("cfpipe.train.one-cycle.momentum-min (" + momentumMin
            + ") must not exceed cfpipe.train.one-cycle.momentum-max (" + momentumMax + ")");
      }
    }
  }

  /** The sparse engine's thread count: {@code threads}, or every available core when it is 0. */
  public int threadCount() {
    return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
  }

  /** Momentum of the optimizer outside one-cycle: Adam's beta1, or SGD's momentum. */
  public double baseMomentum() {
    return optimizer == Optimizer.ADAM ? beta1 : momentum;
  }

  /**
   * The {@code cfpipe.train} settings; for the neural model, the keys under
   * {@code cfpipe.train.neural} replace their namesakes.
   */
  public static TrainSettings from(Config settings) {
    String p = "cfpipe.train.";
    ModelSettings.Type model = Checks.oneOf(settings, "cfpipe.model.type", ModelSettings.Type.class);
    Config config = model == ModelSettings.Type.NEURAL
        ? settings.getConfig("cfpipe.train.neural").atPath("cfpipe.train").withFallback(settings)
        : settings;
    return new TrainSettings(
        engine(Checks.oneOf(config, p + "engine", EngineChoice.class), model, config),
        Checks.intIn(config, p + "epochs", 1, 100_000),
        Checks.intIn(config, p + "batch-size", 1, 1 << 24),
        Checks.oneOf(config, p + "optimizer", Optimizer.class),
        Checks.doubleBetween(config, p + "learning-rate", 0.0, 10.0),
        Checks.oneOf(config, p + "schedule", Schedule.class),
        Checks.doubleIn(config, p + "weight-decay", 0.0, 100.0),
        Checks.doubleIn(config, p + "l2", 0.0, 100.0),
        Checks.doubleIn(config, p + "bias-l2", 0.0, 100.0),
        Checks.doubleIn(config, p + "sgd.momentum", 0.0, 0.999999),
        Checks.doubleIn(config, p + "adam.beta1", 0.0, 0.999999),
        Checks.doubleIn(config, p + "adam.beta2", 0.0, 0.999999),
        Checks.doubleBetween(config, p + "adam.epsilon", 0.0, 1.0),
        new OneCycle(
            Checks.doubleBetween(config, p + "one-cycle.pct-start", 0.0, 1.0),
            Checks.doubleIn(config, p + "one-cycle.div-factor", 1.0, 1e9),
            Checks.doubleIn(config, p + "one-cycle.final-div-factor", 1.0, 1e12),
            Checks.doubleIn(config, p + "one-cycle.momentum-max", 0.0, 0.999999),
            Checks.doubleIn(config, p + "one-cycle.momentum-min", 0.0, 0.999999)),
        new CosineRestarts(
            Checks.intIn(config, p + "cosine-restarts.cycle-epochs", 1, 100_000),
            Checks.intIn(config, p + "cosine-restarts.cycle-mult", 1, 100)),
        new EarlyStopping(
            Checks.bool(config, p + "early-stopping.enabled"),
            Checks.intIn(config, p + "early-stopping.patience", 1, 100_000)),
        Checks.intIn(config, p + "average-from-epoch", 0, 100_000),
        Checks.intIn(config, p + "threads", 0, 1024),
        Checks.intIn(config, p + "blocks", 0, 4096),
        new Distributed(
            Checks.intIn(config, p + "distributed.workers", 0, 100_000),
            Checks.intIn(config, p + "distributed.rounds-per-epoch", 1, 100_000),
            Checks.oneOf(config, p + "distributed.merge", Merge.class),
            Checks.oneOf(config, p + "distributed.gibbs", GibbsSpread.class)),
        Checks.bool(config, p + "resume"),
        Checks.anyLong(config, p + "seed"),
        new Dl4j(
            Checks.optional(config, p + "dl4j.native-cache-dir").orElse(null),
            Checks.doubleIn(config, p + "dl4j.dense-warning-millis", 0.0, 1e9),
            Checks.intIn(config, p + "dl4j.op-threads", 0, 1024),
            Checks.oneOf(config, p + "dl4j.embeddings", Embeddings.class),
            Checks.intIn(config, p + "dl4j.workers", 0, 1024),
            Checks.intIn(config, p + "dl4j.average-every", 1, 1_000_000)),
        new Gibbs(
            Checks.intIn(config, p + "gibbs.sweeps", 1, 1_000_000),
            Checks.intIn(config, p + "gibbs.burn-in", 0, 1_000_000),
            Checks.doubleBetween(config, p + "gibbs.init-std", 0.0, 10.0),
            Checks.doubleIn(config, p + "gibbs.row-noise-shape", 0.0, 1e6),
            Checks.bool(config, p + "gibbs.align-samples"),
            Checks.bool(config, p + "gibbs.implicit"),
            Checks.intIn(config, p + "gibbs.chains", 1, 64),
            Checks.doubleIn(config, p + "gibbs.stop-at-mc-error", 0.0, 1.0),
            Checks.bool(config, p + "gibbs.rao-blackwell")),
        new Auto(Checks.oneOf(config, p + "engine", EngineChoice.class) == EngineChoice.AUTO,
            Checks.doubleIn(config, p + "budget", 0.0, 1e6),
            Checks.doubleBetween(config, p + "gibbs.cost.rating-core-nanos", 0.0, 1e9),
            Checks.doubleBetween(config, p + "gibbs.cost.row-core-micros", 0.0, 1e9)),
        new WarmStart(
            Checks.oneOf(config, p + "warm-start", WarmStartChoice.class) == WarmStartChoice.AUTO,
            Checks.intIn(config, p + "warm-start-epochs", 1, 100_000),
            Checks.intIn(config, p + "warm-start-gibbs.sweeps", 1, 1_000_000),
            Checks.intIn(config, p + "warm-start-gibbs.burn-in", 0, 1_000_000)));
  }

  /** Values of {@code cfpipe.train.warm-start}. */
  enum WarmStartChoice {
    OFF,
    AUTO
  }

  private static Engine engine(EngineChoice choice, ModelSettings.Type model, Config settings) {
    boolean neural = model == ModelSettings.Type.NEURAL;
    return switch (choice) {
      case GIBBS -> {
        if (neural) {
          throw new SettingsException("cfpipe.train.engine = gibbs cannot train "
              + "cfpipe.model.type = neural: use auto or dl4j");
        }
        if (settings.getString("cfpipe.model.y-range.enabled").equals("true")) {
          throw new SettingsException("cfpipe.train.engine = gibbs samples a linear model: set "
              + "cfpipe.model.y-range.enabled to auto or false");
        }
        yield Engine.GIBBS;
      }
      // Until the data is seen; the train stage may then choose gibbs (AutoChoice).
      case AUTO -> neural ? Engine.DL4J : Engine.SPARSE;
      case DL4J -> Engine.DL4J;
      case SPARSE -> {
        if (neural) {
          throw new SettingsException("cfpipe.train.engine = sparse cannot train "
              + "cfpipe.model.type = neural: use auto or dl4j");
        }
        yield Engine.SPARSE;
      }
    };
  }
}
