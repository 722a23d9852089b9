package org.cfpipe.model;

import java.io.Serializable;
import java.util.Optional;
import org.cfpipe.config.ModelSettings.Range;

/** A trained model: it predicts the rating of a (user index, item index) pair. */
public sealed interface RatingModel extends Serializable permits FactorModel, NeuralModel {

  int users();

  int items();

  double predict(int user, int item);

  /** The sigmoid output range, when the model has one. */
  Optional<Range> yRange();
}
