package org.cfpipe.train.gibbs;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import java.util.function.IntFunction;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.SingularValueDecomposition;
import org.cfpipe.config.ModelSettings;
import org.cfpipe.config.TrainSettings;
import org.cfpipe.model.FactorModel;
import org.cfpipe.train.Checkpoints;
import org.cfpipe.train.EpochStats;
import org.cfpipe.train.Seeds;
import org.cfpipe.train.TrainResult;
import org.cfpipe.train.TrainingSet;
import org.cfpipe.train.WarmStart;
import org.cfpipe.train.Workers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bayesian {@code dot} and {@code dot-bias} by Gibbs sampling, the MCMC inference of libFM
 * (Freudenthaler, Schmidt-Thieme and Rendle 2011, "Bayesian factorization machines"; Rendle 2012,
 * "Factorization machines with libFM", section 4.3). The ratings are Gaussian around
 * {@code w0 + b_u + b_i + u.v}; every factor column f of a side has a prior N(mu_f, 1/lambda_f),
 * the biases of a side N(mu_b, 1/lambda_b); the hyperparameters have the conjugate Normal-Gamma
 * priors (alpha_0 = beta_0 = gamma_0 = 1, mu_0 = 0) and are sampled too, so there is no
 * regularisation to tune.
 *
 * <p>The noise is not the same for every rating (Lakshminarayanan, Bouchard and Archambeau 2011,
 * "Robust Bayesian matrix factorisation"): a rating's precision is alpha * a_u * c_i, with a
 * scale a_u per user and c_i per item under a Gamma(s, rate s) prior, drawn each sweep from its
 * conditional given the row's residuals. A user who rates erratically gets a small scale, and his
 * ratings pull the items' factors less (ml-100k 0.8947 to 0.8907, docs/accuracy.md).
 *
 * <p>With the implicit prior (SVD++'s implicit feedback, Koren 2008, as libFM samples it), a
 * user's vector is p_u + z_u, z_u = |N(u)|^-1/2 sum of y_j over N(u), the distinct items he rated:
 * the items a user picked say something of his taste. The y_j have their own priors and are
 * sampled too ({@link ImplicitPrior}); the model exported holds p_u + z_u, an ordinary factor
 * row. Each side's parameters and ratings are a {@link GibbsSide}.
 *
 * <p>A sweep draws each parameter from its conditional given all the others, one coordinate at a
 * time, keeping the residual of every rating up to date: for theta with derivative h on a rating
 * of precision p, precision = sum p h^2 + lambda and mean = (sum p h (e + theta h) + mu lambda)
 * / precision. A sweep draws the users' hyperparameters, then the users, then the y_j, then the
 * items' hyperparameters and the items. Given the items, users are independent, so the threads
 * draw whole users in parallel, each one's coordinates in turn on a local copy of its ratings
 * (the rated items' rows and the residuals), which keeps the inner loops in cache. The ratings
 * are kept grouped by user, so the passes by user read the residuals in order. Each chunk of
 * rows draws from its own stream seeded by (seed, sweep, side, chunk): the chain is the same for
 * any number of threads, and a resumed run continues it exactly.
 *
 * <p>The model kept is the posterior mean of the parameters over the sweeps after burn-in, one
 * ordinary factor table. The chain slowly turns the factor space (u R and v R predict exactly as
 * u and v for an orthogonal R), which blurs a plain mean, so each sample is first rotated onto
 * the mean so far (orthogonal Procrustes over both tables). Every twentieth of the sweeps it logs
 * the current sample's training error and the validation RMSE of the mean so far, and writes a
 * checkpoint.
 *
 * <p>With {@code gibbs.chains} above 1, independent chains from their own random starts run side
 * by side, as many at once as there are threads, each with its share of them (in lockstep, a
 * sweep each, so that a checkpoint holds every running chain after the same round), and the
 * model is the mean of their posterior means, added in the order of the chains: the same model
 * however many run at once. Chains may settle in any
 * invertible transformation of each other's factor space, so each chain's mean is first brought
 * to its balanced form (U^T U = V^T V diagonal, the same predictions) and then rotated onto the
 * sum of the chains before it ({@link ChainPool}).
 */
public final class GibbsSampler {
  private static final Logger LOG = LoggerFactory.getLogger(GibbsSampler.class);
  private static final int CHECKPOINT_VERSION = 8;
  /** The version of {@link Chain#state()}'s format. */
  private static final int STATE_VERSION = 1;
  /** Rows a thread takes at a time. */
  static final int CHUNK = 256;
  /** Ratings a thread takes at a time in the passes over every rating. */
  private static final int RATING_CHUNK = 1 << 14;
  private static final int ROTATION_PARTS = 16;
  /**
   * Samples added up unrotated and then rotated onto the mean as one block, with align-samples.
   * The rotation's two products cost rows x k^2 each: rotating every sample took 22 of the 71 ms
   * of a sampling sweep on the bundled sample, 2 with blocks of 10. Successive samples differ
   * by little more than a rotation of a block, and a block's sum fits the mean more steadily than
   * one sample: ml-100k 0.8889 against 0.8898 for every sample rotated, ml-latest-small 0.8439
   * against 0.8441 (docs/accuracy.md).
   */
  static final int ALIGN_BLOCK = 10;

  private final ModelSettings modelSettings;
  private final TrainSettings settings;

  public GibbsSampler(ModelSettings modelSettings, TrainSettings settings) {
    if (modelSettings.yRange().isPresent()) {
      throw new IllegalArgumentException("the Gibbs sampler needs a linear model (no y-range)");
    }
    this.modelSettings = modelSettings;
    this.settings = settings;
  }

  /** Samples from scratch, without checkpoints. */
  public TrainResult<FactorModel> train(TrainingSet ratings, TrainingSet validation, int users,
      int items) {
    return train(ratings, validation, users, items, Checkpoints.NONE, false);
  }

  /**
   * @param validation scored after every sweep; may be empty
   * @param resume continue from the newest checkpoint, when there is one
   */
  public TrainResult<FactorModel> train(TrainingSet ratings, TrainingSet validation, int users,
      int items, Checkpoints checkpoints, boolean resume) {
    return train(ratings, validation, users, items, checkpoints, resume,
        WarmStart.cold("not asked"));
  }

  /**
   * @param warm last night's start for every chain: its last chain state, or its posterior
   *     mean's rows for the ids it knows
   */
  public TrainResult<FactorModel> train(TrainingSet ratings, TrainingSet validation, int users,
      int items, Checkpoints checkpoints, boolean resume, WarmStart warm) {
    TrainingSet grouped = ratings.byUser(users);
    int total = settings.gibbs().chains();
    // As many chains at once as there are threads, each with its share of them: a chain's sweep
    // waits for its threads several times over (and the implicit prior's columns run in one
    // thread), so two chains of one thread each do more in the same time than one of two.
    int concurrent = Math.max(1, Math.min(total, settings.threadCount()));
    ChainPool chains = pool(users, items);
    List<Chain> running = new ArrayList<>();
    if (resume) {
      checkpoints.latest().ifPresent(in -> restore(in, chains, grouped, running));
    }
    long start = System.nanoTime();
    DoubleSupplier elapsed = () -> chains.previousSeconds + (System.nanoTime() - start) / 1e9;
    byte[] state = null;
    try (Workers team = new Workers(concurrent)) {
      while (chains.done < total) {
        int started = chains.done + running.size();
        while (started < total && unfinished(running) < concurrent) {
          running.add(new Chain(grouped, users, items,
              workers(Math.min(concurrent, total - started + unfinished(running))), started,
              warm));
          started++;
        }
        List<Chain> stepping = running.stream().filter(c -> !c.finished).toList();
        int queued = total - started;
        boolean[] logged = new boolean[stepping.size()];
        team.run(t -> {
          for (int c = t; c < stepping.size(); c += concurrent) {
            logged[c] = stepping.get(c).step(validation, elapsed,
                (queued + concurrent - 1) / concurrent);
          }
        });
        while (!running.isEmpty() && running.get(0).finished) {
          Chain chain = running.remove(0);
          chain.workers.close();
          add(chains, chain.means(chain.history), validation);
          if (chains.done == total) {
            state = chain.state();
          }
        }
        boolean save = false;
        for (boolean b : logged) {
          save |= b;
        }
        if (save) {
          int number = chains.history.size();
          for (Chain chain : running) {
            number += chain.history.size();
          }
          double seconds = elapsed.getAsDouble();
          checkpoints.save(number, out -> {
            out.writeInt(CHECKPOINT_VERSION);
            chains.save(out, seconds);
            out.writeInt(running.size());
            for (Chain chain : running) {
              out.writeInt(chain.index);
              out.writeBoolean(chain.finished);
              Checkpoints.writeHistory(out, chain.history);
              chain.save(out);
            }
          });
        }
      }
    } finally {
      for (Chain chain : running) {
        chain.workers.close();
      }
    }
    return new TrainResult<>(chains.model(), chains.history, chains.history.size(),
        elapsed.getAsDouble(), null, state);
  }

  /** A chain's threads, its share of train.threads when {@code sideBySide} chains run at once. */
  private Workers workers(int sideBySide) {
    return new Workers(Math.max(1, settings.threadCount() / Math.max(1, sideBySide)));
  }

  private static int unfinished(List<Chain> chains) {
    int count = 0;
    for (Chain chain : chains) {
      count += chain.finished ? 0 : 1;
    }
    return count;
  }

  /**
   * Adds a finished chain to the pool (chains are added in the order of their index) with its
   * sweeps' history: the last sweep of each chain scores the mean of the chains up to it, the
   * model the sampler would return then.
   */
  private void add(ChainPool chains, ChainMeans means, TrainingSet validation) {
    chains.add(means);
    org.cfpipe.model.ErrorStats valid = org.cfpipe.model.ErrorStats.of(chains.model(),
        validation.users(), validation.items(), validation.ratings());
    List<EpochStats> history = means.history();
    chains.history.addAll(history.subList(0, history.size() - 1));
    EpochStats last = history.get(history.size() - 1);
    chains.history.add(new EpochStats(last.epoch(), last.trainLoss(), valid.rmse(),
        valid.mae(), last.learningRate(), last.ratingsPerSecond(), last.elapsedSeconds()));
    if (settings.gibbs().chains() > 1) {
      LOG.info(String.format(java.util.Locale.ROOT, "chain %d added: valid_rmse %.4f (mean of "
          + "%d %s)", means.index() + 1, valid.rmse(), chains.done,
          chains.done == 1 ? "chain" : "chains"));
    }
  }

  /**
   * Runs chain {@code index} alone from its start, without checkpoints, and returns its sums:
   * what an executor does for {@link DistributedChains}. The chain is the one {@link #train}
   * would run as its chain {@code index}.
   *
   * @param chainsAfter the chains this task runs after this one, for the logged ETA
   * @param warm last night's start, or a cold one
   */
  ChainMeans sampleChain(TrainingSet ratings, TrainingSet validation, int users, int items,
      int index, int chainsAfter, WarmStart warm) {
    Chain chain = new Chain(ratings.byUser(users), users, items,
        new Workers(settings.threadCount()), index, warm);
    try (Workers workers = chain.workers) {
      long start = System.nanoTime();
      while (!chain.finished) {
        chain.step(validation, () -> (System.nanoTime() - start) / 1e9, chainsAfter);
      }
      return chain.means(chain.history);
    }
  }

  /**
   * The model of {@code count} finished chains, read one at a time in the order of their index
   * and added as {@link #train} adds them, with their sweeps' history.
   */
  TrainResult<FactorModel> combine(int count, IntFunction<ChainMeans> finished,
      TrainingSet validation, int users, int items, double seconds) {
    ChainPool chains = pool(users, items);
    for (int c = 0; c < count; c++) {
      add(chains, finished.apply(c), validation);
    }
    return new TrainResult<>(chains.model(), chains.history, chains.history.size(), seconds);
  }

  private ChainPool pool(int users, int items) {
    return new ChainPool(modelSettings.factors(), modelSettings.type().hasBiases(),
        modelSettings.yRange(), users, items, settings.gibbs().chains() > 1,
        settings.gibbs().alignSamples());
  }

  /** Reads a checkpoint into {@code chains} and the chains that were running then. */
  private void restore(DataInputStream in, ChainPool chains, TrainingSet ratings,
      List<Chain> running) {
    try (in) {
      if (in.readInt() != CHECKPOINT_VERSION) {
        throw new IOException("the checkpoint was written by another version of the sampler");
      }
      chains.restore(in);
      int count = in.readInt();
      for (int c = 0; c < count; c++) {
        Chain chain = new Chain(ratings, chains.users(), chains.items(), workers(count),
            in.readInt(), WarmStart.cold("resumed"));
        chain.finished = in.readBoolean();
        chain.history.addAll(Checkpoints.readHistory(in));
        chain.restore(in);
        running.add(chain);
      }
      LOG.info("resumed from the checkpoint after {} chain(s) and {} running", chains.done,
          count);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot resume from the checkpoint: " + e.getMessage(), e);
    }
  }

  /**
   * A finished chain: its index, how many samples it kept, their sums (each side's factors as
   * the other side sees them, and biases, and the offset), and the history of its sweeps.
   */
  record ChainMeans(int index, int samples, double[] userFactors, double[] itemFactors,
      double[] userBias, double[] itemBias, double w0, List<EpochStats> history) {}

  /** The state of one chain: parameters, residuals, hyperparameters and the running means. */
  private final class Chain {
    final TrainingSet data;
    final GibbsSide users;
    final GibbsSide items;
    final Workers workers;
    final boolean biases;
    final boolean globalMean;
    final double[] residual;
    final double noiseShape;
    final boolean align;
    final boolean raoBlackwell;
    final RowCopy[] scratch;
    /** With cfpipe.train.gibbs.implicit; else null. */
    final ImplicitPrior implicit;
    /** With cfpipe.train.gibbs.stop-at-mc-error above 0; else null. */
    final McError mcError;
    /** Which chain: 0 draws from train.seed itself, the others from seeds derived from it. */
    final int index;
    final long seed;
    /** Sweeps of this chain done. */
    int sweepsDone;
    /** Set after the chain's last sweep. */
    boolean finished;
    /** The chain's sweeps so far. */
    final List<EpochStats> history = new ArrayList<>();
    /** When this process ran the chain's first sweep, and the sweeps done before it. */
    long firstStep;
    int firstSweep;
    double w0;
    double w0Sum;
    double alpha = 1.0;
    /** Samples taken, and of them those not yet in the sums (in the sides' block sums). */
    int samples;
    int blockSamples;
    double w0Block;
    /** The validation scores of the mean of scoredSamples samples (of the sample while 0). */
    org.cfpipe.model.ErrorStats scored;
    int scoredSamples;

    /**
     * A chain from its random start or, with {@code warm}, continuing last night's chain state,
     * else from last night's posterior mean for the ids it knows.
     */
    Chain(TrainingSet ratings, int userCount, int itemCount, Workers workers, int index,
        WarmStart warm) {
      int k = modelSettings.factors();
      this.index = index;
      this.seed = index == 0 ? settings.seed() : Seeds.mix(settings.seed(), -1, index);
      this.data = ratings;
      this.workers = workers;
      this.users = new GibbsSide(userCount, k, data.users(), data.items());
      this.items = new GibbsSide(itemCount, k, data.items(), data.users());
      this.biases = modelSettings.type().hasBiases();
      this.globalMean = biases && modelSettings.globalMean();
      this.residual = new double[data.size()];
      this.noiseShape = settings.gibbs().rowNoiseShape();
      this.align = settings.gibbs().alignSamples();
      this.raoBlackwell = settings.gibbs().raoBlackwell();
      this.scratch = new RowCopy[workers.threads()];
      for (int t = 0; t < scratch.length; t++) {
        scratch[t] = new RowCopy();
      }
      double std = settings.gibbs().initStd();
      initGaussian(users, std, FactorModel.USERS);
      initGaussian(items, std, FactorModel.ITEMS);
      this.implicit = settings.gibbs().implicit() ? new ImplicitPrior(users, items, workers)
          : null;
      w0 = globalMean ? data.mean() : 0.0;
      this.mcError = settings.gibbs().stopAtMcError() > 0
          ? new McError(data.size(), settings.gibbs().sweeps() - settings.gibbs().burnIn())
          : null;
      if (warm.chainState() != null && continueFrom(warm.chainState())) {
        return;
      }
      if (warm.warm()) {
        warm.applyTo(users.factors, users.bias, k, biases, FactorModel.USERS);
        warm.applyTo(items.factors, items.bias, k, biases, FactorModel.ITEMS);
        // Last night's posterior mean comes without its noise: draw it from them (as sweep 0)
        // rather than start the first sweep at alpha = 1, far from the data's noise.
        if (implicit != null) {
          implicit.recompute();
        }
        recomputeResiduals();
        drawNoise(0);
      }
    }

    /**
     * Whether the mean of the samples so far has settled (its Monte Carlo variance below
     * gibbs.stop-at-mc-error of the noise variance), checked at {@link McError}'s points; logs
     * the check.
     */
    boolean settled(int sweep) {
      if (mcError == null || !mcError.due()) {
        return false;
      }
      // The noise variance of the traced ratings, each 1 / (alpha a_u c_i), on average.
      int[] u = data.users();
      int[] i = data.items();
      double noise = 0;
      for (int n : mcError.traced) {
        noise += 1.0 / (alpha * users.noise[u[n]] * items.noise[i[n]]);
      }
      double fraction = mcError.variance() / (noise / mcError.traced.length);
      boolean settled = fraction <= settings.gibbs().stopAtMcError();
      LOG.info(String.format(java.util.Locale.ROOT, "sweep %d: Monte Carlo variance of the mean "
              + "of %d samples %.2e of the noise variance (%s %s)%s", sweep, samples, fraction,
          settled ? "at most" : "above", settings.gibbs().stopAtMcError(),
          settled ? ": the mean has settled, the chain stops" : ""));
      return settled;
    }

    /** Adds the accumulated sample's predictions of the traced ratings to {@link #mcError}. */
    void trace() {
      int[] traced = mcError.traced;
      int[] u = data.users();
      int[] i = data.items();
      int k = users.k;
      double[] predictions = new double[traced.length];
      double[] userFactors = sampleFactors(users);
      double[] itemFactors = sampleFactors(items);
      double[] userBias = sampleBias(users);
      double[] itemBias = sampleBias(items);
      for (int j = 0; j < traced.length; j++) {
        int n = traced[j];
        predictions[j] = predict(u[n], i[n], k, userFactors, itemFactors, userBias, itemBias);
      }
      mcError.add(predictions);
    }

    /** w0 + b_u + b_i + u.v from the tables given. */
    double predict(int user, int item, int k, double[] userFactors, double[] itemFactors,
        double[] userBias, double[] itemBias) {
      double p = w0 + userBias[user] + itemBias[item];
      for (int f = 0; f < k; f++) {
        p += userFactors[user * k + f] * itemFactors[item * k + f];
      }
      return p;
    }

    void initGaussian(GibbsSide side, double std, int marker) {
      for (int r = 0; r < side.rows; r++) {
        drawStart(side.factors, r, side.k, seed, marker, r, std);
      }
    }

    void recomputeResiduals() {
      int[] u = data.users();
      int[] i = data.items();
      float[] y = data.ratings();
      int k = users.k;
      workers.inChunks(residual.length, RATING_CHUNK, (t, c, from, to) -> {
        for (int n = from; n < to; n++) {
          residual[n] = y[n] - predict(u[n], i[n], k, users.visible, items.visible, users.bias,
              items.bias);
        }
      });
    }

    /**
     * Runs the chain's next sweep and adds it to {@link #history}; after the chain's last sweep
     * (all of them, or its mean has settled) {@link #finished} is set. A sweep's validation RMSE
     * is that of the chain's mean of the samples in its sums so far (those of the last whole
     * {@link #ALIGN_BLOCK}; all of them after the last sweep). Sweeps are numbered across the
     * chains. Returns whether the sweep is one to log, and to checkpoint after: every twentieth
     * of the sweeps, and the last.
     *
     * @param elapsed the seconds of training so far, for the history
     * @param chainsAfter how many chains' time the run takes after this one, for the ETA
     */
    boolean step(TrainingSet validation, DoubleSupplier elapsed, int chainsAfter) {
      int sweeps = settings.gibbs().sweeps();
      int logEvery = Math.max(1, sweeps / 20);
      int sweep = sweepsDone + 1;
      long sweepStart = System.nanoTime();
      if (firstStep == 0) {
        firstStep = sweepStart;
        firstSweep = sweepsDone;
      }
      double mse = sweep(sweep);
      boolean settled = false;
      if (sweep > settings.gibbs().burnIn()) {
        accumulate();
        if (mcError != null) {
          trace();
          settled = settled(sweep);
        }
      }
      sweepsDone = sweep;
      finished = sweep == sweeps || settled;
      if (finished) {
        fold();
      }
      double seconds = (System.nanoTime() - sweepStart) / 1e9;
      int folded = folded();
      // The mean changes only when a block is folded in: score it then, and each burn-in sample.
      if (folded == 0 || folded != scoredSamples) {
        scored = org.cfpipe.model.ErrorStats.of(model(folded > 0), validation.users(),
            validation.items(), validation.ratings());
        scoredSamples = folded;
      }
      org.cfpipe.model.ErrorStats valid = scored;
      EpochStats stats = new EpochStats(index * sweeps + sweep, mse, valid.rmse(), valid.mae(),
          0.0, data.size() / seconds, elapsed.getAsDouble());
      history.add(stats);
      if (sweep % logEvery != 0 && !finished) {
        return false;
      }
      String chain = settings.gibbs().chains() > 1
          ? "chain " + (index + 1) + "/" + settings.gibbs().chains() + "  " : "";
      double perSweep = (System.nanoTime() - firstStep) / 1e9 / (sweep - firstSweep);
      double eta = perSweep * (finished ? 0 : sweeps - sweep + (long) sweeps * chainsAfter);
      LOG.info(String.format(java.util.Locale.ROOT, "%ssweep %d/%d  train_mse %.4f  "
              + "valid_rmse %.4f (%s)  noise_sd %.3f  %,.0f ratings/s  elapsed %.1f s  "
              + "eta %.1f s", chain, sweep, sweeps, mse, valid.rmse(),
          folded > 0 ? "mean of " + folded + " samples" : "burn-in sample",
          1 / Math.sqrt(alpha), stats.ratingsPerSecond(), stats.elapsedSeconds(), eta));
      return true;
    }

    /** This chain's sums so far, with {@code history}. */
    ChainMeans means(List<EpochStats> history) {
      return new ChainMeans(index, samples, users.factorSum, items.factorSum, users.biasSum,
          items.biasSum, w0Sum, history);
    }

    /** One sweep over every parameter; returns the training MSE of the new sample. */
    double sweep(int sweep) {
      // From the parameters, not carried over: rounding does not accumulate from sweep to sweep,
      // and a resumed chain starts from exactly the residuals of an uninterrupted one.
      if (implicit != null) {
        implicit.recompute();
      }
      recomputeResiduals();
      if (globalMean) {
        SplittableRandom random = stream(sweep, -1, 0);
        int[] u = data.users();
        int[] i = data.items();
        double sum = 0;
        double weights = 0;
        for (int n = 0; n < residual.length; n++) {
          double w = users.noise[u[n]] * items.noise[i[n]];
          sum += w * (residual[n] + w0);
          weights += w;
        }
        double precision = alpha * weights;
        double drawn = sum / weights + random.nextGaussian() / Math.sqrt(precision);
        for (int n = 0; n < residual.length; n++) {
          residual[n] -= drawn - w0;
        }
        w0 = drawn;
      }
      drawSide(users, items, sweep, 0, null);
      // The implicit prior's serial steps leave all threads but one idle: they draw the items'
      // Gaussians meanwhile.
      Workers.Backlog itemGaussians = implicit == null ? null
          : implicit.draw(alpha, residual, (column, chunk) -> stream(sweep, column, chunk),
              gaussianTasks(items, sweep, 1));
      drawSide(items, users, sweep, 1, itemGaussians);
      return drawNoise(sweep);
    }

    /**
     * Draws the noise precision alpha and, with row-noise-shape, each row's scale, from their
     * conditionals given the residuals; returns the training MSE.
     */
    double drawNoise(int sweep) {
      int[] u = data.users();
      int[] i = data.items();
      double squares = 0;
      double weighted = 0;
      for (int n = 0; n < residual.length; n++) {
        double e2 = residual[n] * residual[n];
        squares += e2;
        weighted += users.noise[u[n]] * items.noise[i[n]] * e2;
      }
      alpha = gamma((1.0 + residual.length) / 2, (1.0 + weighted) / 2, stream(sweep, -2, 0));
      if (noiseShape > 0) {
        drawNoise(users, items, sweep, -3);
        drawNoise(items, users, sweep, -4);
      }
      return squares / residual.length;
    }

    /**
     * Draws each row's noise precision scale from its conditional, Gamma(s + n / 2, rate s +
     * alpha * sum w e^2 / 2) over the row's n ratings, w the other side's scales.
     */
    void drawNoise(GibbsSide side, GibbsSide opposite, int sweep, int stream) {
      inChunks(side.rows, (t, c, from, to) -> {
        SplittableRandom random = stream(sweep, stream, c);
        for (int r = from; r < to; r++) {
          double squares = 0;
          for (int x = side.start[r]; x < side.start[r + 1]; x++) {
            int n = side.ids[x];
            squares += opposite.noise[side.other[n]] * residual[n] * residual[n];
          }
          side.noise[r] = rowScale(noiseShape, side.start[r + 1] - side.start[r], alpha,
              squares, random);
        }
      });
    }

    /**
     * Draws the hyperparameters of every column of {@code side}, then its rows: the rows are
     * independent given the other side, so the threads take chunks of them.
     */
    void drawSide(GibbsSide side, GibbsSide opposite, int sweep, int stream,
        Workers.Backlog ahead) {
      int top = top(side);
      for (int f = top; f >= 0; f--) {
        side.drawHyper(f, stream(sweep, 2 * f + stream, -1));
      }
      Workers.Backlog gaussians = ahead != null ? ahead
          : new Workers.Backlog(gaussianTasks(side, sweep, stream));
      workers.through(gaussians, gaussians.size());
      workers.inChunks(side.ratingChunks, (t, c, from, to) -> {
        for (int r = from; r < to; r++) {
          drawRow(side, opposite, r, top, scratch[t], side.gaussians, r * (top + 1));
        }
      });
    }

    /** The last column a row draws: column k is the bias, and the dot model has none. */
    int top(GibbsSide side) {
      return biases ? side.k : side.k - 1;
    }

    /**
     * The drawing of the standard Gaussians of a side's rows in a sweep, top + 1 a row, into
     * {@code side.gaussians}: each chunk of CHUNK rows from its own stream, row after row. They
     * do not depend on the data, so they are drawn ahead of the rows, and the rows are then
     * shared out by their ratings: the heaviest rows come first, and a chunk of CHUNK of them can
     * hold most of a side's ratings.
     */
    Workers.Resumable[] gaussianTasks(GibbsSide side, int sweep, int stream) {
      int draws = top(side) + 1;
      Workers.Resumable[] tasks = new Workers.Resumable[(side.rows + CHUNK - 1) / CHUNK];
      for (int c = 0; c < tasks.length; c++) {
        tasks[c] = new GaussianFill(stream(sweep, stream, c), side.gaussians, c * CHUNK * draws,
            Math.min(side.rows, (c + 1) * CHUNK) * draws);
      }
      return tasks;
    }

    void inChunks(int rows, Workers.ChunkTask work) {
      workers.inChunks(rows, CHUNK, work);
    }

    /**
     * Draws the coordinates of row r one after another, each from its Gaussian conditional given
     * all the others, on a local copy of the row's ratings: the other side's rows, their noise
     * scales and the residuals, which are kept up to date and written back at the end. The
     * standard Gaussians of the draws are {@code gaussians[at]} onwards, column top first.
     */
    void drawRow(GibbsSide side, GibbsSide opposite, int r, int top, RowCopy local,
        double[] gaussians, int at) {
      int k = side.k;
      int count = local.gather(side, opposite, r, residual);
      double[] h = local.factors;
      double[] w = local.weights;
      double[] e = local.residuals;
      drawCoordinates(side.factors, side.bias, side.factorMean, side.biasMean, r, k, top,
          alpha * side.noise[r], side.mu, side.lambda, h, w, e, count, gaussians, at);
      for (int x = 0; x < count; x++) {
        residual[side.ids[side.start[r] + x]] = e[x];
      }
      if (side == users && implicit != null) {
        implicit.refresh(r);
      }
    }

    SplittableRandom stream(int sweep, int column, int chunk) {
      return new SplittableRandom(Seeds.mix(Seeds.mix(seed, sweep, column), chunk, 0));
    }

    /**
     * Adds the sweep's sample to the sums: the draws, or with gibbs.rao-blackwell their
     * conditional means (users' plus their implicit offsets as they are now).
     */
    void accumulate() {
      samples++;
      blockSamples++;
      w0Block += w0;
      int k = users.k;
      if (raoBlackwell && implicit != null) {
        inChunks(users.rows, (t, c, from, to) -> {
          for (int j = from * k; j < to * k; j++) {
            users.factorMean[j] += users.visible[j] - users.factors[j];
          }
        });
      }
      for (GibbsSide side : new GibbsSide[] {users, items}) {
        double[] factors = sampleFactors(side);
        double[] bias = sampleBias(side);
        inChunks(side.rows, (t, c, from, to) -> {
          for (int j = from * k; j < to * k; j++) {
            side.blockSum[j] += factors[j];
          }
          for (int r = from; r < to; r++) {
            side.blockBias[r] += bias[r];
          }
        });
      }
      if (blockSamples == ALIGN_BLOCK) {
        fold();
      }
    }

    /**
     * Adds the block of samples since the last fold to the sums, with align-samples rotated as
     * one onto the mean of the samples before it.
     */
    void fold() {
      if (blockSamples == 0) {
        return;
      }
      int k = users.k;
      double[] rotation = align && samples > blockSamples ? rotationOntoMean() : null;
      for (GibbsSide side : new GibbsSide[] {users, items}) {
        inChunks(side.rows, (t, c, from, to) -> {
          addRotated(side.factorSum, side.blockSum, rotation, 1.0, k, from, to);
          Arrays.fill(side.blockSum, from * k, to * k, 0.0);
          for (int r = from; r < to; r++) {
            side.biasSum[r] += side.blockBias[r];
            side.blockBias[r] = 0.0;
          }
        });
      }
      w0Sum += w0Block;
      w0Block = 0.0;
      blockSamples = 0;
    }

    /** The factor rows {@link #accumulate} adds: the visible draws or their conditional means. */
    double[] sampleFactors(GibbsSide side) {
      return raoBlackwell ? side.factorMean : side.visible;
    }

    double[] sampleBias(GibbsSide side) {
      return raoBlackwell ? side.biasMean : side.bias;
    }

    /**
     * The orthogonal k x k matrix R that brings the block's factors closest to the sum of the
     * samples before, in both tables at once: R = P Q^T from the SVD P S Q^T of sum F^T F_sum
     * (orthogonal Procrustes). Rotating both sides by R leaves every u.v unchanged.
     */
    double[] rotationOntoMean() {
      int k = users.k;
      // Summed in a fixed number of parts, added up in order: the same R for any thread count.
      double[][] partial = new double[2 * ROTATION_PARTS][k * k];
      GibbsSide[] sides = {users, items};
      workers.inChunks(partial.length, 1, (t, part, from, to) -> {
        GibbsSide side = sides[part / ROTATION_PARTS];
        int slice = part % ROTATION_PARTS;
        addCross(partial[part], side.blockSum, side.factorSum, k,
            (int) ((long) side.rows * slice / ROTATION_PARTS),
            (int) ((long) side.rows * (slice + 1) / ROTATION_PARTS));
      });
      double[][] cross = new double[k][k];
      for (double[] m : partial) {
        for (int j = 0; j < k * k; j++) {
          cross[j / k][j % k] += m[j];
        }
      }
      return nearestRotation(cross);
    }

    /** Samples in the sums: all but those of the block not yet folded in. */
    int folded() {
      return samples - blockSamples;
    }

    /** The posterior mean of the samples in the sums ({@code mean}), or the current sample. */
    FactorModel model(boolean mean) {
      double scale = mean ? 1.0 / folded() : 1.0;
      FactorModel model = new FactorModel(users.k, biases, users.rows, items.rows,
          mean ? w0Sum * scale : w0, modelSettings.yRange());
      copyRows(mean ? users.factorSum : users.visible, mean ? users.biasSum : users.bias,
          users.k, biases, scale, model.userRows());
      copyRows(mean ? items.factorSum : items.visible, mean ? items.biasSum : items.bias,
          items.k, biases, scale, model.itemRows());
      return model;
    }

    /**
     * The chain's last sample: every parameter, hyperparameter and noise scale, by index, which
     * {@link #continueFrom} reads back (the running sums and the trace are left out).
     */
    byte[] state() {
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
      try (DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(bytes))) {
        out.writeInt(STATE_VERSION);
        out.writeInt(users.k);
        out.writeBoolean(biases);
        out.writeBoolean(implicit != null);
        out.writeDouble(w0);
        out.writeDouble(alpha);
        for (GibbsSide side : new GibbsSide[] {users, items}) {
          for (double[] values : new double[][] {side.factors, side.bias, side.noise, side.mu,
              side.lambda}) {
            Checkpoints.writeDoubles(out, values);
          }
        }
        if (implicit != null) {
          implicit.save(out);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return bytes.toByteArray();
    }

    /**
     * Continues last night's chain: its rows (tonight's indices extend last night's, so row r is
     * the same id), hyperparameters and noise; the rows new tonight keep their random start.
     * Returns false, leaving the chain as it was, when the state is of another shape.
     */
    boolean continueFrom(byte[] state) {
      try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(state))) {
        if (in.readInt() != STATE_VERSION || in.readInt() != users.k
            || in.readBoolean() != biases || in.readBoolean() != (implicit != null)) {
          LOG.warn("last night's chain state is of another version or shape: starting from "
              + "its posterior mean instead");
          return false;
        }
        w0 = in.readDouble();
        alpha = in.readDouble();
        for (GibbsSide side : new GibbsSide[] {users, items}) {
          for (double[] values : new double[][] {side.factors, side.bias, side.noise}) {
            Checkpoints.readDoublesInto(in, values);
          }
          Checkpoints.readDoubles(in, side.mu);
          Checkpoints.readDoubles(in, side.lambda);
        }
        if (implicit != null) {
          implicit.continueFrom(in);
        }
        return true;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read last night's chain state: "
            + e.getMessage(), e);
      }
    }

    void save(DataOutputStream out) throws IOException {
      out.writeInt(sweepsDone);
      out.writeDouble(w0);
      out.writeDouble(w0Sum);
      out.writeDouble(alpha);
      out.writeInt(samples);
      out.writeInt(blockSamples);
      out.writeDouble(w0Block);
      for (GibbsSide side : new GibbsSide[] {users, items}) {
        for (double[] values : new double[][] {side.factors, side.bias, side.mu, side.lambda,
            side.factorSum, side.biasSum, side.blockSum, side.blockBias, side.noise}) {
          Checkpoints.writeDoubles(out, values);
        }
      }
      out.writeBoolean(implicit != null);
      if (implicit != null) {
        implicit.save(out);
      }
      out.writeBoolean(mcError != null);
      if (mcError != null) {
        mcError.save(out);
      }
    }

    void restore(DataInputStream in) throws IOException {
      sweepsDone = in.readInt();
      w0 = in.readDouble();
      w0Sum = in.readDouble();
      alpha = in.readDouble();
      samples = in.readInt();
      blockSamples = in.readInt();
      w0Block = in.readDouble();
      for (GibbsSide side : new GibbsSide[] {users, items}) {
        for (double[] values : new double[][] {side.factors, side.bias, side.mu, side.lambda,
            side.factorSum, side.biasSum, side.blockSum, side.blockBias, side.noise}) {
          Checkpoints.readDoubles(in, values);
        }
      }
      if (in.readBoolean() != (implicit != null)) {
        throw new IOException("the checkpoint was written with cfpipe.train.gibbs.implicit = "
            + (implicit == null));
      }
      if (implicit != null) {
        implicit.restore(in);
      }
      if (in.readBoolean() != (mcError != null)) {
        throw new IOException("the checkpoint was written with cfpipe.train.gibbs."
            + "stop-at-mc-error " + (mcError == null ? "above 0" : "0"));
      }
      if (mcError != null) {
        mcError.restore(in);
      }
    }
  }

  /**
   * Draws coordinates top down to 0 of row r (column k is its bias, in {@code bias}; the
   * factors are k a row) each from its Gaussian conditional given all the others, on a copy of
   * the row's ratings: h the other rows' factors column by column (count a column), w their
   * noise scales, e the residuals, kept up to date. For theta with derivative h on a rating of
   * precision a w: precision = a sum w h^2 + lambda, mean = (a sum w h (e + theta h) + mu
   * lambda) / precision. Each conditional's mean goes to factorMean or biasMean; the standard
   * Gaussians are gaussians[at], gaussians[at + 1], ... in the order of the draws.
   *
   * @param a the row's noise precision, alpha times its scale
   */
  static void drawCoordinates(double[] factors, double[] bias, double[] factorMean,
      double[] biasMean, int r, int k, int top, double a, double[] mu, double[] lambda,
      double[] h, double[] w, double[] e, int count, double[] gaussians, int at) {
    for (int f = top; f >= 0; f--) {
      double theta = f == k ? bias[r] : factors[r * k + f];
      double hh = 0;
      double he = 0;
      if (f == k) {
        for (int x = 0; x < count; x++) {
          hh += w[x];
          he += w[x] * (e[x] + theta);
        }
      } else {
        for (int x = 0, j = f * count; x < count; x++, j++) {
          double wh = w[x] * h[j];
          hh += wh * h[j];
          he += wh * (e[x] + theta * h[j]);
        }
      }
      double precision = a * hh + lambda[f];
      double mean = (a * he + mu[f] * lambda[f]) / precision;
      double drawn = mean + gaussians[at + top - f] / Math.sqrt(precision);
      double change = drawn - theta;
      if (f == k) {
        biasMean[r] = mean;
        bias[r] = drawn;
        for (int x = 0; x < count; x++) {
          e[x] -= change;
        }
      } else {
        factorMean[r * k + f] = mean;
        factors[r * k + f] = drawn;
        for (int x = 0, j = f * count; x < count; x++, j++) {
          e[x] -= change * h[j];
        }
      }
    }
  }

  /**
   * A chain's start for the factors of one row (at {@code at} in a table of k a row): N(0,
   * std^2) each, from the row's own seed (its side and its index), so that a row starts the same
   * however the rows are stored.
   */
  static void drawStart(double[] factors, int at, int k, long seed, int side, int row,
      double std) {
    SplittableRandom random = new SplittableRandom(FactorModel.rowSeed(seed, side, row));
    for (int f = 0; f < k; f++) {
      factors[at * k + f] = random.nextGaussian() * std;
    }
  }

  /** Writes scale times the factor rows and biases into a model's rows of k (+ 1) floats. */
  static void copyRows(double[] factors, double[] bias, int k, boolean biases, double scale,
      float[] rows) {
    int width = k + (biases ? 1 : 0);
    for (int r = 0; r < bias.length; r++) {
      for (int f = 0; f < k; f++) {
        rows[r * width + f] = (float) (factors[r * k + f] * scale);
      }
      if (biases) {
        rows[r * width + k] = (float) (bias[r] * scale);
      }
    }
  }

  /** Rows the blocked kernels below take at a time. */
  private static final int BLOCK = 4;

  /**
   * cross += a^T b over rows [from, to) of two tables of k columns; cross is k x k by rows. Each
   * entry adds its rows' terms one after another in row order, {@link #BLOCK} rows per load and
   * store of the entry.
   */
  static void addCross(double[] cross, double[] a, double[] b, int k, int from, int to) {
    int row = from;
    for (; row + BLOCK <= to; row += BLOCK) {
      int r0 = row * k;
      int r1 = r0 + k;
      int r2 = r1 + k;
      int r3 = r2 + k;
      for (int p = 0; p < k; p++) {
        double a0 = a[r0 + p];
        double a1 = a[r1 + p];
        double a2 = a[r2 + p];
        double a3 = a[r3 + p];
        int c = p * k;
        for (int q = 0; q < k; q++) {
          double sum = cross[c + q];
          sum += a0 * b[r0 + q];
          sum += a1 * b[r1 + q];
          sum += a2 * b[r2 + q];
          sum += a3 * b[r3 + q];
          cross[c + q] = sum;
        }
      }
    }
    for (; row < to; row++) {
      int r0 = row * k;
      for (int p = 0; p < k; p++) {
        double a0 = a[r0 + p];
        int c = p * k;
        for (int q = 0; q < k; q++) {
          cross[c + q] += a0 * b[r0 + q];
        }
      }
    }
  }

  /**
   * sum += scale * rows R over rows [from, to) of tables of k columns, R k x k by rows; without
   * a rotation (null), sum += scale * rows.
   */
  static void addRotated(double[] sum, double[] rows, double[] rotation, double scale, int k,
      int from, int to) {
    if (rotation == null) {
      for (int j = from * k; j < to * k; j++) {
        sum[j] += rows[j] * scale;
      }
      return;
    }
    // Rows times R by rows of R (contiguous, so the JIT vectorises it), BLOCK rows per pass over
    // R; each product sums its terms in the same order as a dot product with R's column would.
    double[] rotated = new double[BLOCK * k];
    int row = from;
    for (; row + BLOCK <= to; row += BLOCK) {
      Arrays.fill(rotated, 0);
      int r0 = row * k;
      for (int p = 0; p < k; p++) {
        double v0 = rows[r0 + p];
        double v1 = rows[r0 + k + p];
        double v2 = rows[r0 + 2 * k + p];
        double v3 = rows[r0 + 3 * k + p];
        int r = p * k;
        for (int q = 0; q < k; q++) {
          double m = rotation[r + q];
          rotated[q] += v0 * m;
          rotated[k + q] += v1 * m;
          rotated[2 * k + q] += v2 * m;
          rotated[3 * k + q] += v3 * m;
        }
      }
      for (int q = 0; q < BLOCK * k; q++) {
        sum[r0 + q] += rotated[q] * scale;
      }
    }
    for (; row < to; row++) {
      Arrays.fill(rotated, 0, k, 0);
      int r0 = row * k;
      for (int p = 0; p < k; p++) {
        double value = rows[r0 + p];
        int r = p * k;
        for (int q = 0; q < k; q++) {
          rotated[q] += value * rotation[r + q];
        }
      }
      for (int q = 0; q < k; q++) {
        sum[r0 + q] += rotated[q] * scale;
      }
    }
  }

  /** A k x k matrix stored by rows, as rows of an array. */
  static double[][] square(double[] flat, int k) {
    double[][] matrix = new double[k][k];
    for (int p = 0; p < k; p++) {
      System.arraycopy(flat, p * k, matrix[p], 0, k);
    }
    return matrix;
  }

  /**
   * The orthogonal matrix R maximising trace(R^T C), that is P Q^T for the SVD P S Q^T of C, row
   * by row in one array: with C = F^T G, F R is the rotation of F closest to G.
   */
  static double[] nearestRotation(double[][] cross) {
    int k = cross.length;
    SingularValueDecomposition svd = new SingularValueDecomposition(new Array2DRowRealMatrix(
        cross, false));
    RealMatrix rotation = svd.getU().multiply(svd.getVT());
    double[] flat = new double[k * k];
    for (int p = 0; p < k; p++) {
      for (int q = 0; q < k; q++) {
        flat[p * k + q] = rotation.getEntry(p, q);
      }
    }
    return flat;
  }

  /**
   * A row's noise scale from its conditional, Gamma(s + n / 2, rate s + alpha * squares / 2),
   * over its n ratings, squares their residuals' squares weighted by the other side's scales.
   */
  static double rowScale(double shape, int n, double alpha, double squares,
      SplittableRandom random) {
    return gamma(shape + n / 2.0, shape + alpha * squares / 2, random);
  }

  /**
   * A draw from Gamma(shape, rate), shape at least 1 (Marsaglia and Tsang 2000, "A simple method
   * for generating gamma variables").
   */
  static double gamma(double shape, double rate, SplittableRandom random) {
    double d = shape - 1.0 / 3;
    double c = 1 / Math.sqrt(9 * d);
    while (true) {
      double x = random.nextGaussian();
      double v = 1 + c * x;
      if (v <= 0) {
        continue;
      }
      v = v * v * v;
      double u = random.nextDouble();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) {
        return d * v / rate;
      }
    }
  }
}
