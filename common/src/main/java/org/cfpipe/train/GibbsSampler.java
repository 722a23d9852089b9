package org.cfpipe.train;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.cfpipe.config.ModelSettings;
import org.cfpipe.config.TrainSettings;
import org.cfpipe.model.FactorModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bayesian {@code dot} and {@code dot-bias} by Gibbs sampling, the MCMC inference of libFM
 * (Freudenthaler, Schmidt-Thieme and Rendle 2011, "Bayesian factorization machines"; Rendle 2012,
 * "Factorization machines with libFM", section 4.3). The ratings are Gaussian around
 * {@code w0 + b_u + b_i + u.v} with precision alpha; every factor column f of a side has a prior
 * N(mu_f, 1/lambda_f), the biases of a side N(mu_b, 1/lambda_b); the hyperparameters have the
 * conjugate Normal-Gamma priors (alpha_0 = beta_0 = gamma_0 = 1, mu_0 = 0) and are sampled too, so
 * there is no regularisation to tune.
 *
 * <p>A sweep draws each parameter from its conditional given all the others, one coordinate at a
 * time, keeping the residual of every rating up to date: for theta with derivative h on a rating,
 * precision = alpha * sum h^2 + lambda and mean = (alpha * sum h * (e + theta * h) + mu * lambda)
 * / precision. Given the item column f, the users' coordinates are independent, so the threads
 * draw them in parallel (and then the items'). Each chunk of rows draws from its own stream seeded
 * by (seed, sweep, column, chunk): the chain is the same for any number of threads, and a resumed
 * run continues it exactly.
 *
 * <p>The model kept is the posterior mean of the parameters over the sweeps after burn-in. The
 * chain barely rotates the factors, so the mean of the parameters predicts about as well as the
 * mean of the predictions (docs/accuracy.md), and it is one ordinary factor table. Every
 * twentieth of the sweeps it logs the current sample's training error and the validation RMSE of
 * the mean so far, and writes a checkpoint.
 */
public final class GibbsSampler {
  private static final Logger LOG = LoggerFactory.getLogger(GibbsSampler.class);
  private static final int CHECKPOINT_VERSION = 1;
  private static final int CHUNK = 256;

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
    try (Workers workers = new Workers(settings.threadCount())) {
      Chain chain = new Chain(ratings, users, items, workers);
      if (resume) {
        checkpoints.latest().ifPresent(chain::restore);
      }
      return chain.run(validation, checkpoints);
    }
  }

  /** One side's parameters: rows x k factors, a bias per row, and their hyperparameters. */
  private static final class Side {
    final int rows;
    final int k;
    final double[] factors;
    final double[] bias;
    final double[] mu;
    final double[] lambda;
    final double[] factorSum;
    final double[] biasSum;
    /** Ratings of each row: rating ids from start[row] to start[row + 1] of ids. */
    final int[] start;
    final int[] ids;
    /** For each rating, the row on the other side. */
    final int[] other;

    Side(int rows, int k, int[] rowOf, int[] otherOf) {
      this.rows = rows;
      this.k = k;
      this.factors = new double[rows * k];
      this.bias = new double[rows];
      this.mu = new double[k + 1];
      this.lambda = new double[k + 1];
      java.util.Arrays.fill(lambda, 1.0);
      this.factorSum = new double[rows * k];
      this.biasSum = new double[rows];
      this.start = new int[rows + 1];
      for (int row : rowOf) {
        start[row + 1]++;
      }
      for (int r = 0; r < rows; r++) {
        start[r + 1] += start[r];
      }
      int[] next = start.clone();
      this.ids = new int[rowOf.length];
      for (int n = 0; n < rowOf.length; n++) {
        ids[next[rowOf[n]]++] = n;
      }
      this.other = otherOf;
    }

    /** Column f of the factors, or the biases for f = k. */
    double get(int row, int f) {
      return f == k ? bias[row] : factors[row * k + f];
    }

    void set(int row, int f, double value) {
      if (f == k) {
        bias[row] = value;
      } else {
        factors[row * k + f] = value;
      }
    }

    /** Draws mu_f and lambda_f given column f (libFM's draw_mu and draw_lambda). */
    void drawHyper(int f, SplittableRandom random) {
      double sum = 0;
      for (int r = 0; r < rows; r++) {
        sum += get(r, f);
      }
      double squares = mu[f] * mu[f];
      for (int r = 0; r < rows; r++) {
        double d = get(r, f) - mu[f];
        squares += d * d;
      }
      lambda[f] = gamma((1.0 + rows + 1) / 2, (1.0 + squares) / 2, random);
      mu[f] = sum / (rows + 1) + random.nextGaussian() / Math.sqrt((rows + 1) * lambda[f]);
    }
  }

  /** The state of one chain: parameters, residuals, hyperparameters and the running means. */
  private final class Chain {
    final TrainingSet data;
    final Side users;
    final Side items;
    final Workers workers;
    final boolean biases;
    final boolean globalMean;
    final double[] residual;
    final List<EpochStats> history = new ArrayList<>();
    double w0;
    double w0Sum;
    double alpha = 1.0;
    int samples;
    double previousSeconds;

    Chain(TrainingSet data, int userCount, int itemCount, Workers workers) {
      int k = modelSettings.factors();
      this.data = data;
      this.workers = workers;
      this.users = new Side(userCount, k, data.users(), data.items());
      this.items = new Side(itemCount, k, data.items(), data.users());
      this.biases = modelSettings.type().hasBiases();
      this.globalMean = biases && modelSettings.globalMean();
      this.residual = new double[data.size()];
      double std = settings.gibbs().initStd();
      initGaussian(users, std, FactorModel.USERS);
      initGaussian(items, std, FactorModel.ITEMS);
      w0 = globalMean ? data.mean() : 0.0;
    }

    void initGaussian(Side side, double std, int marker) {
      for (int r = 0; r < side.rows; r++) {
        SplittableRandom random = new SplittableRandom(FactorModel.rowSeed(settings.seed(), marker, r));
        for (int f = 0; f < side.k; f++) {
          side.factors[r * side.k + f] = random.nextGaussian() * std;
        }
      }
    }

    void recomputeResiduals() {
      int[] u = data.users();
      int[] i = data.items();
      float[] y = data.ratings();
      int k = users.k;
      for (int n = 0; n < residual.length; n++) {
        double p = w0 + users.bias[u[n]] + items.bias[i[n]];
        for (int f = 0; f < k; f++) {
          p += users.factors[u[n] * k + f] * items.factors[i[n] * k + f];
        }
        residual[n] = y[n] - p;
      }
    }

    TrainResult<FactorModel> run(TrainingSet validation, Checkpoints checkpoints) {
      int sweeps = settings.gibbs().sweeps();
      int logEvery = Math.max(1, sweeps / 20);
      long start = System.nanoTime();
      for (int sweep = history.size() + 1; sweep <= sweeps; sweep++) {
        long sweepStart = System.nanoTime();
        double mse = sweep(sweep);
        if (sweep > settings.gibbs().burnIn()) {
          accumulate();
        }
        double seconds = (System.nanoTime() - sweepStart) / 1e9;
        FactorModel current = model(samples > 0);
        org.cfpipe.model.ErrorStats valid = org.cfpipe.model.ErrorStats.of(current,
            validation.users(), validation.items(), validation.ratings());
        double elapsed = previousSeconds + (System.nanoTime() - start) / 1e9;
        EpochStats stats = new EpochStats(sweep, mse, valid.rmse(), valid.mae(), 0.0,
            data.size() / seconds, elapsed);
        history.add(stats);
        if (sweep % logEvery == 0 || sweep == sweeps) {
          LOG.info(String.format(java.util.Locale.ROOT, "sweep %d/%d  train_mse %.4f  "
                  + "valid_rmse %.4f (%s)  noise_sd %.3f  %,.0f ratings/s  elapsed %.1f s  "
                  + "eta %.1f s", sweep, sweeps, mse, valid.rmse(),
              samples > 0 ? "mean of " + samples + " samples" : "burn-in sample",
              1 / Math.sqrt(alpha), stats.ratingsPerSecond(), elapsed,
              elapsed / sweep * (sweeps - sweep)));
          checkpoints.save(sweep, this::save);
        }
      }
      double seconds = previousSeconds + (System.nanoTime() - start) / 1e9;
      return new TrainResult<>(model(samples > 0), history, history.size(), seconds);
    }

    /** One sweep over every parameter; returns the training MSE of the new sample. */
    double sweep(int sweep) {
      int k = users.k;
      // From the parameters, not carried over: rounding does not accumulate from sweep to sweep,
      // and a resumed chain starts from exactly the residuals of an uninterrupted one.
      recomputeResiduals();
      if (globalMean) {
        SplittableRandom random = stream(sweep, -1, 0);
        double sum = 0;
        for (double e : residual) {
          sum += e + w0;
        }
        double precision = alpha * residual.length;
        double drawn = sum / residual.length + random.nextGaussian() / Math.sqrt(precision);
        for (int n = 0; n < residual.length; n++) {
          residual[n] -= drawn - w0;
        }
        w0 = drawn;
      }
      // Column k is the bias; the dot model has none.
      for (int f = biases ? k : k - 1; f >= 0; f--) {
        drawColumn(users, items, f, sweep, 2 * f);
        drawColumn(items, users, f, sweep, 2 * f + 1);
      }
      double squares = 0;
      for (double e : residual) {
        squares += e * e;
      }
      alpha = gamma((1.0 + residual.length) / 2, (1.0 + squares) / 2, stream(sweep, -2, 0));
      return squares / residual.length;
    }

    /** Draws the hyperparameters of column f of {@code side}, then the column, row by row. */
    void drawColumn(Side side, Side opposite, int f, int sweep, int stream) {
      side.drawHyper(f, stream(sweep, stream, -1));
      int chunks = (side.rows + CHUNK - 1) / CHUNK;
      AtomicInteger next = new AtomicInteger();
      workers.run(t -> {
        for (int c = next.getAndIncrement(); c < chunks; c = next.getAndIncrement()) {
          SplittableRandom random = stream(sweep, stream, c);
          for (int r = c * CHUNK, end = Math.min(side.rows, r + CHUNK); r < end; r++) {
            drawCoordinate(side, opposite, r, f, random);
          }
        }
      });
    }

    /** Draws coordinate f of row r from its Gaussian conditional and updates the residuals. */
    void drawCoordinate(Side side, Side opposite, int r, int f, SplittableRandom random) {
      int k = side.k;
      double theta = side.get(r, f);
      double hh = 0;
      double he = 0;
      for (int x = side.start[r]; x < side.start[r + 1]; x++) {
        int n = side.ids[x];
        double h = f == k ? 1.0 : opposite.factors[side.other[n] * k + f];
        hh += h * h;
        he += h * (residual[n] + theta * h);
      }
      double precision = alpha * hh + side.lambda[f];
      double mean = (alpha * he + side.mu[f] * side.lambda[f]) / precision;
      double drawn = mean + random.nextGaussian() / Math.sqrt(precision);
      double change = drawn - theta;
      for (int x = side.start[r]; x < side.start[r + 1]; x++) {
        int n = side.ids[x];
        double h = f == k ? 1.0 : opposite.factors[side.other[n] * k + f];
        residual[n] -= change * h;
      }
      side.set(r, f, drawn);
    }

    SplittableRandom stream(int sweep, int column, int chunk) {
      return new SplittableRandom(Seeds.mix(Seeds.mix(settings.seed(), sweep, column), chunk, 0));
    }

    void accumulate() {
      samples++;
      w0Sum += w0;
      for (Side side : new Side[] {users, items}) {
        for (int j = 0; j < side.factors.length; j++) {
          side.factorSum[j] += side.factors[j];
        }
        for (int r = 0; r < side.rows; r++) {
          side.biasSum[r] += side.bias[r];
        }
      }
    }

    /** The posterior mean so far ({@code mean}), or the current sample. */
    FactorModel model(boolean mean) {
      double scale = mean ? 1.0 / samples : 1.0;
      FactorModel model = new FactorModel(users.k, biases, users.rows, items.rows,
          mean ? w0Sum * scale : w0, modelSettings.yRange());
      copyRows(users, model.userRows(), mean, scale);
      copyRows(items, model.itemRows(), mean, scale);
      return model;
    }

    void copyRows(Side side, float[] rows, boolean mean, double scale) {
      int k = side.k;
      int width = k + (biases ? 1 : 0);
      double[] factors = mean ? side.factorSum : side.factors;
      double[] bias = mean ? side.biasSum : side.bias;
      for (int r = 0; r < side.rows; r++) {
        for (int f = 0; f < k; f++) {
          rows[r * width + f] = (float) (factors[r * k + f] * scale);
        }
        if (biases) {
          rows[r * width + k] = (float) (bias[r] * scale);
        }
      }
    }

    void save(DataOutputStream out) throws IOException {
      out.writeInt(CHECKPOINT_VERSION);
      out.writeDouble(history.get(history.size() - 1).elapsedSeconds());
      Checkpoints.writeHistory(out, history);
      out.writeDouble(w0);
      out.writeDouble(w0Sum);
      out.writeDouble(alpha);
      out.writeInt(samples);
      for (Side side : new Side[] {users, items}) {
        for (double[] values : new double[][] {side.factors, side.bias, side.mu, side.lambda,
            side.factorSum, side.biasSum}) {
          Checkpoints.writeDoubles(out, values);
        }
      }
    }

    void restore(DataInputStream in) {
      try (in) {
        if (in.readInt() != CHECKPOINT_VERSION) {
          throw new IOException("the checkpoint was written by another version of the sampler");
        }
        previousSeconds = in.readDouble();
        history.addAll(Checkpoints.readHistory(in));
        w0 = in.readDouble();
        w0Sum = in.readDouble();
        alpha = in.readDouble();
        samples = in.readInt();
        for (Side side : new Side[] {users, items}) {
          for (double[] values : new double[][] {side.factors, side.bias, side.mu, side.lambda,
              side.factorSum, side.biasSum}) {
            Checkpoints.readDoubles(in, values);
          }
        }
        LOG.info("resumed from the checkpoint after sweep {}", history.size());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot resume from the checkpoint: " + e.getMessage(), e);
      }
    }
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
