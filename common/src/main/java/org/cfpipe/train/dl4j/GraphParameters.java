package org.cfpipe.train.dl4j;

import org.cfpipe.config.ModelSettings;
import org.cfpipe.model.FactorModel;
import org.cfpipe.model.NeuralModel;
import org.cfpipe.model.RatingModel;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Moves parameters between a {@link ModelGraph} network and the plain-Java models: the
 * embeddings start from {@link FactorModel}'s seeded per-row draws, as in the sparse engine, and
 * a trained network becomes a {@link FactorModel} or a {@link NeuralModel} that scores without
 * Deeplearning4j.
 */
final class GraphParameters {
  private final ModelSettings settings;
  private final int users;
  private final int items;
  private final double offset;

  GraphParameters(ModelSettings settings, int users, int items, double offset) {
    this.settings = settings;
    this.users = users;
    this.items = items;
    this.offset = offset;
  }

  /** Sets the embeddings (and biases) of a new network to their seeded initial values. */
  void initialise(ComputationGraph net, long seed) {
    boolean neural = settings.type() == ModelSettings.Type.NEURAL;
    int userWidth = neural ? settings.neural().userFactors() : settings.factors();
    int itemWidth = neural ? settings.neural().itemFactors() : settings.factors();
    boolean biases = settings.type().hasBiases();
    float[] userRows = rows(users, userWidth + (biases ? 1 : 0), FactorModel.USERS, seed);
    float[] itemRows = rows(items, itemWidth + (biases ? 1 : 0), FactorModel.ITEMS, seed);
    set(net, ModelGraph.USER_FACTORS, column(userRows, users, userWidth, biases, false));
    set(net, ModelGraph.ITEM_FACTORS, column(itemRows, items, itemWidth, biases, false));
    if (biases) {
      set(net, ModelGraph.USER_BIAS, column(userRows, users, userWidth, true, true));
      set(net, ModelGraph.ITEM_BIAS, column(itemRows, items, itemWidth, true, true));
    }
  }

  private float[] rows(int count, int width, int side, long seed) {
    float[] out = new float[count * width];
    for (int r = 0; r < count; r++) {
      FactorModel.initRow(out, r * width, width, settings.initRange(),
          FactorModel.rowSeed(seed, side, r));
    }
    return out;
  }

  /** The factors (or, with {@code bias}, the last column) of rows holding factors [+ bias]. */
  private static INDArray column(float[] rows, int count, int factors, boolean biases,
      boolean bias) {
    int width = factors + (biases ? 1 : 0);
    int out = bias ? 1 : factors;
    float[] values = new float[count * out];
    for (int r = 0; r < count; r++) {
      System.arraycopy(rows, r * width + (bias ? factors : 0), values, r * out, out);
    }
    return Nd4j.create(values, new long[] {count, out}, 'c');
  }

  private static void set(ComputationGraph net, String layer, INDArray value) {
    net.getLayer(layer).setParam("W", value);
  }

  /** The trained model held by {@code net}. */
  RatingModel model(ComputationGraph net) {
    if (settings.type() == ModelSettings.Type.NEURAL) {
      ModelSettings.Neural n = settings.neural();
      NeuralModel.Head head = new NeuralModel.Head(n.userFactors(), n.itemFactors(), n.hidden(),
          values(net, ModelGraph.HIDDEN, "W"), values(net, ModelGraph.HIDDEN, "b"),
          values(net, ModelGraph.SCORE, "W"), values(net, ModelGraph.SCORE, "b")[0]);
      return new NeuralModel(users, items, values(net, ModelGraph.USER_FACTORS, "W"),
          values(net, ModelGraph.ITEM_FACTORS, "W"), head, settings.yRange());
    }
    for (float one : values(net, ModelGraph.DOT, "W")) {
      if (one != 1f) {
        throw new IllegalStateException("the dot layer's weights changed: " + one);
      }
    }
    boolean biases = settings.type().hasBiases();
    return new FactorModel(settings.factors(), biases, users, items, offset, settings.yRange(),
        interleave(net, ModelGraph.USER_FACTORS, ModelGraph.USER_BIAS, users, biases),
        interleave(net, ModelGraph.ITEM_FACTORS, ModelGraph.ITEM_BIAS, items, biases));
  }

  /** FactorModel's rows: each row's factors followed by its bias. */
  private float[] interleave(ComputationGraph net, String factorsLayer, String biasLayer,
      int count, boolean biases) {
    float[] factors = values(net, factorsLayer, "W");
    if (!biases) {
      return factors;
    }
    float[] bias = values(net, biasLayer, "W");
    int k = settings.factors();
    float[] rows = new float[count * (k + 1)];
    for (int r = 0; r < count; r++) {
      System.arraycopy(factors, r * k, rows, r * (k + 1), k);
      rows[r * (k + 1) + k] = bias[r];
    }
    return rows;
  }

  /** A parameter array in row-major order. */
  private static float[] values(ComputationGraph net, String layer, String param) {
    INDArray value = net.getLayer(layer).getParam(param);
    return Nd4j.toFlattened('c', value).toFloatVector();
  }

  /** Parameters of the embedding tables, for the dense-update warning. */
  static long embeddingParameters(ModelSettings settings, long users, long items) {
    boolean neural = settings.type() == ModelSettings.Type.NEURAL;
    long userWidth = neural ? settings.neural().userFactors() : settings.factors();
    long itemWidth = neural ? settings.neural().itemFactors() : settings.factors();
    long biases = settings.type().hasBiases() ? users + items : 0;
    return users * userWidth + items * itemWidth + biases;
  }
}
