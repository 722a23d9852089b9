package org.cfpipe.train.dl4j;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.TrainingHook;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Sets a DL4J-Spark worker's iteration count to the round's first step before its first batch.
 * The workers rebuild their network from a clone of the configuration, which does not keep the
 * iteration count, so without this every averaging round would restart the learning-rate
 * schedule and Adam's bias correction at step 0. The driver sets {@link #startAt} before each
 * round; each task receives its own serialised copy.
 */
final class RoundStart implements TrainingHook {
  private static final long serialVersionUID = 1L;

  private int firstStep;
  private boolean started;

  /** The step at which the next round begins. */
  void startAt(int step) {
    this.firstStep = step;
    this.started = false;
  }

  @Override
  public void preUpdate(MultiDataSet batch, Model model) {
    if (!started) {
      ((ComputationGraph) model).getConfiguration().setIterationCount(firstStep);
      started = true;
    }
  }

  @Override
  public void postUpdate(MultiDataSet batch, Model model) {}

  @Override
  public void preUpdate(DataSet batch, Model model) {
    throw new UnsupportedOperationException("the dl4j engine trains on MultiDataSets");
  }

  @Override
  public void postUpdate(DataSet batch, Model model) {}
}
