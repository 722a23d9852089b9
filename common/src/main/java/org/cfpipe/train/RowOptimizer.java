package org.cfpipe.train;

import org.cfpipe.config.TrainSettings;

/**
 * A lazy optimizer over one {@link ParameterTable}: a step updates only the rows its batch
 * touched. Its state lives in the table, beside each row's parameters.
 */
public interface RowOptimizer {

  /** Optimizer floats per parameter. */
  int stateSlots();

  /**
   * Updates every row in {@code touched}.
   *
   * @param momentum Adam's beta1 or SGD's momentum at this step
   * @param step 1-based optimizer step
   */
  void update(ParameterTable table, TouchedRows touched, double learningRate, double momentum,
      long step);

  static RowOptimizer create(TrainSettings settings) {
    return switch (settings.optimizer()) {
      case ADAM -> new LazyAdam(settings.beta2(), settings.epsilon(), settings.weightDecay());
      case SGD -> new LazySgd(settings.weightDecay());
    };
  }
}
