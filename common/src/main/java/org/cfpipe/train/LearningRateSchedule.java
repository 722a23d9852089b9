package org.cfpipe.train;

import org.cfpipe.config.TrainSettings;

/**
 * The learning rate and Adam's beta1 (momentum) at each optimizer step, 0-based.
 */
public interface LearningRateSchedule {

  double learningRate(long step);

  double beta1(long step);

  static LearningRateSchedule of(TrainSettings settings, long stepsPerEpoch) {
    long totalSteps = stepsPerEpoch * settings.epochs();
    return switch (settings.schedule()) {
      case CONSTANT -> new Constant(settings.learningRate(), settings.baseMomentum());
      case ONE_CYCLE -> new OneCycle(settings.learningRate(), settings.oneCycle(), totalSteps);
      case COSINE_RESTARTS -> new CosineRestarts(settings.learningRate(),
          settings.baseMomentum(), settings.cosineRestarts(), stepsPerEpoch);
    };
  }

  /** The same rate and momentum at every step. */
  record Constant(double rate, double momentum) implements LearningRateSchedule {
    @Override
    public double learningRate(long step) {
      return rate;
    }

    @Override
    public double beta1(long step) {
      return momentum;
    }
  }

  /**
   * One-cycle policy (Smith 2018, "A disciplined approach to neural network hyper-parameters"),
   * as in fastai's fit_one_cycle: over the first pct-start of the steps the rate rises from
   * max / div-factor to max while beta1 falls from momentum-max to momentum-min, both along half a
   * cosine; over the rest the rate falls to max / final-div-factor and beta1 rises back.
   */
  record OneCycle(double maxRate, TrainSettings.OneCycle cycle, long totalSteps)
      implements LearningRateSchedule {

    @Override
    public double learningRate(long step) {
      double warm = warmupSteps();
      if (step < warm) {
        return cosine(maxRate / cycle.divFactor(), maxRate, step / warm);
      }
      return cosine(maxRate, maxRate / cycle.finalDivFactor(), (step - warm) / coolSteps());
    }

    @Override
    public double beta1(long step) {
      double warm = warmupSteps();
      if (step < warm) {
        return cosine(cycle.momentumMax(), cycle.momentumMin(), step / warm);
      }
      return cosine(cycle.momentumMin(), cycle.momentumMax(), (step - warm) / coolSteps());
    }

    private double warmupSteps() {
      return Math.max(1.0, cycle.pctStart() * totalSteps);
    }

    private double coolSteps() {
      return Math.max(1.0, totalSteps - warmupSteps() - 1);
    }

  }

  /**
   * Cosine annealing with warm restarts (Loshchilov and Hutter 2017, "SGDR"), as fastai 0.7's
   * cycle_len and cycle_mult: the rate falls from max to 0 along half a cosine over a cycle of
   * cycle-epochs epochs, restarts at max, and each cycle is cycle-mult times longer than the last.
   */
  record CosineRestarts(double maxRate, double momentum, TrainSettings.CosineRestarts cycles,
      long stepsPerEpoch) implements LearningRateSchedule {

    @Override
    public double learningRate(long step) {
      long length = (long) cycles.cycleEpochs() * stepsPerEpoch;
      long start = 0;
      while (step >= start + length) {
        start += length;
        length *= cycles.cycleMult();
      }
      return cosine(maxRate, 0, (step - start) / (double) length);
    }

    @Override
    public double beta1(long step) {
      return momentum;
    }
  }

  /** Half a cosine from start (at fraction 0) to end (at fraction 1). */
  static double cosine(double start, double end, double fraction) {
    double f = Math.min(1.0, Math.max(0.0, fraction));
    return end + (start - end) / 2 * (1 + Math.cos(Math.PI * f));
  }
}
