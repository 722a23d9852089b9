package org.cfpipe.train.dl4j;

import org.cfpipe.config.TrainSettings;
import org.cfpipe.train.LearningRateSchedule;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The sparse engine's {@link LearningRateSchedule} as a DL4J learning-rate schedule, by
 * iteration. It keeps only numbers, so that it survives the JSON form in which DL4J stores a
 * network's configuration and ships it to Spark executors.
 */
public final class RateSchedule implements ISchedule {
  private static final long serialVersionUID = 1L;

  @JsonProperty private final TrainSettings.Schedule kind;
  @JsonProperty private final double maxRate;
  @JsonProperty private final long stepsPerEpoch;
  @JsonProperty private final int epochs;
  @JsonProperty private final double pctStart;
  @JsonProperty private final double divFactor;
  @JsonProperty private final double finalDivFactor;
  @JsonProperty private final int cycleEpochs;
  @JsonProperty private final int cycleMult;
  private transient LearningRateSchedule schedule;

  @JsonCreator
  public RateSchedule(@JsonProperty("kind") TrainSettings.Schedule kind,
      @JsonProperty("maxRate") double maxRate,
      @JsonProperty("stepsPerEpoch") long stepsPerEpoch,
      @JsonProperty("epochs") int epochs,
      @JsonProperty("pctStart") double pctStart,
      @JsonProperty("divFactor") double divFactor,
      @JsonProperty("finalDivFactor") double finalDivFactor,
      @JsonProperty("cycleEpochs") int cycleEpochs,
      @JsonProperty("cycleMult") int cycleMult) {
    this.kind = kind;
    this.maxRate = maxRate;
    this.stepsPerEpoch = stepsPerEpoch;
    this.epochs = epochs;
    this.pctStart = pctStart;
    this.divFactor = divFactor;
    this.finalDivFactor = finalDivFactor;
    this.cycleEpochs = cycleEpochs;
    this.cycleMult = cycleMult;
  }

  public static RateSchedule of(TrainSettings s, long stepsPerEpoch) {
    TrainSettings.OneCycle c = s.oneCycle();
    return new RateSchedule(s.schedule(), s.learningRate(), stepsPerEpoch, s.epochs(),
        c.pctStart(), c.divFactor(), c.finalDivFactor(), s.cosineRestarts().cycleEpochs(),
        s.cosineRestarts().cycleMult());
  }

  /** The same schedule with every rate multiplied by {@code factor}. */
  public RateSchedule scaled(double factor) {
    return new RateSchedule(kind, maxRate * factor, stepsPerEpoch, epochs, pctStart, divFactor,
        finalDivFactor, cycleEpochs, cycleMult);
  }

  @Override
  public double valueAt(int iteration, int epoch) {
    if (schedule == null) {
      schedule = switch (kind) {
        case CONSTANT -> new LearningRateSchedule.Constant(maxRate, 0);
        // Momentum is not scheduled here: DL4J's Adam keeps beta1 fixed.
        case ONE_CYCLE -> new LearningRateSchedule.OneCycle(maxRate,
            new TrainSettings.OneCycle(pctStart, divFactor, finalDivFactor, 0, 0),
            stepsPerEpoch * epochs);
        case COSINE_RESTARTS -> new LearningRateSchedule.CosineRestarts(maxRate, 0,
            new TrainSettings.CosineRestarts(cycleEpochs, cycleMult), stepsPerEpoch);
      };
    }
    return schedule.learningRate(iteration);
  }

  /**
   * Equal settings, equal schedules: DL4J groups layers whose updaters are equal into one block
   * of optimizer state, and a network restored from JSON must group them as the original did.
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof RateSchedule r && kind == r.kind && maxRate == r.maxRate
        && stepsPerEpoch == r.stepsPerEpoch && epochs == r.epochs && pctStart == r.pctStart
        && divFactor == r.divFactor && finalDivFactor == r.finalDivFactor
        && cycleEpochs == r.cycleEpochs && cycleMult == r.cycleMult;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(kind, maxRate, stepsPerEpoch, epochs, pctStart, divFactor,
        finalDivFactor, cycleEpochs, cycleMult);
  }

  @Override
  public ISchedule clone() {
    return new RateSchedule(kind, maxRate, stepsPerEpoch, epochs, pctStart, divFactor,
        finalDivFactor, cycleEpochs, cycleMult);
  }
}
