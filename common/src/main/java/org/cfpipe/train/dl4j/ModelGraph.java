package org.cfpipe.train.dl4j;

import java.util.ArrayList;
import java.util.List;
import org.cfpipe.config.ModelSettings;
import org.cfpipe.config.ModelSettings.Range;
import org.cfpipe.config.TrainSettings;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.ScaleVertex;
import org.deeplearning4j.nn.conf.graph.ShiftVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The ComputationGraph of each model. Inputs {@code user} and {@code item} are index columns;
 * the output is the prediction, trained by mean squared error.
 *
 * <pre>
 *   dot, dot-bias: user_factors * item_factors -> dot (a fixed dense layer of ones)
 *                  [+ user_bias + item_bias] [+ offset]
 *   neural:        concat(user_factors, item_factors) -> dropout -> hidden (relu) -> dropout
 *                  -> score (dense, 1)
 *   then, with a y-range: sigmoid -> scale (max - min) -> shift (min)
 * </pre>
 *
 * <p>Adam's beta1 stays fixed (DL4J does not schedule it), and SGD with momentum is DL4J's
 * Nesterov momentum. The updaters, l2 and weight decay act on whole parameter arrays every step.
 */
public final class ModelGraph {
  public static final String USER = "user";
  public static final String ITEM = "item";
  public static final String USER_FACTORS = "user_factors";
  public static final String ITEM_FACTORS = "item_factors";
  public static final String USER_BIAS = "user_bias";
  public static final String ITEM_BIAS = "item_bias";
  public static final String DOT = "dot";
  public static final String HIDDEN = "hidden";
  public static final String SCORE = "score";
  public static final String LOSS = "loss";

  private ModelGraph() {}

  /**
   * @param offset the fixed global offset of a factor model (0 for none)
   * @param stepsPerEpoch optimizer steps of one epoch, for the learning-rate schedule
   */
  public static ComputationGraphConfiguration configuration(ModelSettings model,
      TrainSettings train, int users, int items, double offset, long stepsPerEpoch) {
    ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder()
        .seed(train.seed())
        .dataType(DataType.FLOAT)
        .updater(updater(train, stepsPerEpoch))
        .graphBuilder()
        // No input types: DL4J's shape inference would set the embeddings' nIn to 1.
        .addInputs(USER, ITEM);
    String last = model.type() == ModelSettings.Type.NEURAL
        ? neural(g, model, train, users, items)
        : factors(g, model, train, users, items, offset);
    if (model.yRange().isPresent()) {
      Range r = model.yRange().get();
      g.addLayer("sigmoid", new ActivationLayer.Builder().activation(Activation.SIGMOID).build(),
          last);
      g.addVertex("scale", new ScaleVertex(r.max() - r.min()), "sigmoid");
      g.addVertex("shift", new ShiftVertex(r.min()), "scale");
      last = "shift";
    }
    g.addLayer(LOSS, new LossLayer.Builder(LossFunctions.LossFunction.MSE)
        .activation(Activation.IDENTITY).build(), last);
    return g.setOutputs(LOSS).build();
  }

  private static IUpdater updater(TrainSettings train, long stepsPerEpoch) {
    RateSchedule rate = RateSchedule.of(train, stepsPerEpoch);
    return switch (train.optimizer()) {
      case ADAM -> new Adam.Builder().learningRateSchedule(rate).beta1(train.beta1())
          .beta2(train.beta2()).epsilon(train.epsilon()).build();
      case SGD -> new Nesterovs(rate, train.momentum());
    };
  }

  /** An embedding table; the trainer overwrites its zeros with seeded per-row draws. */
  private static EmbeddingLayer embedding(int rows, int width, List<Regularization> penalties) {
    EmbeddingLayer.Builder builder = new EmbeddingLayer.Builder().nIn(rows).nOut(width)
        .hasBias(false).activation(Activation.IDENTITY).weightInit(WeightInit.ZERO);
    builder.regularization(penalties);
    return builder.build();
  }

  /**
   * Coupled L2 and decoupled weight decay, set on each layer explicitly: DL4J ignores a layer's
   * l2(0) when the network has a global l2, so a global setting could not be switched off.
   */
  private static List<Regularization> penalties(double l2, double weightDecay) {
    List<Regularization> out = new ArrayList<>();
    if (l2 > 0) {
      out.add(new L2Regularization(l2));
    }
    if (weightDecay > 0) {
      out.add(new WeightDecay(weightDecay, true));
    }
    return out;
  }

  /** u.v [+ b_u + b_i] [+ offset]; returns the last vertex. */
  private static String factors(ComputationGraphConfiguration.GraphBuilder g,
      ModelSettings model, TrainSettings train, int users, int items, double offset) {
    int k = model.factors();
    List<Regularization> penalties = penalties(train.l2(), train.weightDecay());
    g.addLayer(USER_FACTORS, embedding(users, k, penalties), USER);
    g.addLayer(ITEM_FACTORS, embedding(items, k, penalties), ITEM);
    g.addVertex("product", new ElementWiseVertex(ElementWiseVertex.Op.Product), USER_FACTORS,
        ITEM_FACTORS);
    // The sum over factors: a dense layer of ones whose rate is 0, so that it backpropagates but
    // never changes. (FrozenLayerWithBackprop does the same, but DL4J's gradient check cannot
    // then tell its parameters apart.)
    g.addLayer(DOT, new DenseLayer.Builder().nIn(k).nOut(1).hasBias(false)
        .activation(Activation.IDENTITY).weightInit(WeightInit.ONES).updater(new Sgd(0.0))
        .build(), "product");
    String last = DOT;
    if (model.type().hasBiases()) {
      g.addLayer(USER_BIAS, biasEmbedding(users, train), USER);
      g.addLayer(ITEM_BIAS, biasEmbedding(items, train), ITEM);
      g.addVertex("sum", new ElementWiseVertex(ElementWiseVertex.Op.Add), last, USER_BIAS,
          ITEM_BIAS);
      last = "sum";
    }
    if (offset != 0.0) {
      g.addVertex("offset", new ShiftVertex(offset), last);
      last = "offset";
    }
    return last;
  }

  private static EmbeddingLayer biasEmbedding(int rows, TrainSettings train) {
    return embedding(rows, 1, penalties(train.biasL2(), train.weightDecay()));
  }

  /** concat(u, v) -> dropout -> hidden -> dropout -> score; returns the last layer. */
  private static String neural(ComputationGraphConfiguration.GraphBuilder g, ModelSettings model,
      TrainSettings train, int users, int items) {
    ModelSettings.Neural n = model.neural();
    List<Regularization> penalties = penalties(train.l2(), train.weightDecay());
    g.addLayer(USER_FACTORS, embedding(users, n.userFactors(), penalties), USER);
    g.addLayer(ITEM_FACTORS, embedding(items, n.itemFactors(), penalties), ITEM);
    g.addVertex("concat", new MergeVertex(), USER_FACTORS, ITEM_FACTORS);
    String last = dropout(g, "embedding_dropout", n.embeddingDropout(), "concat");
    g.addLayer(HIDDEN, new DenseLayer.Builder().nIn(n.userFactors() + n.itemFactors())
        .nOut(n.hidden()).activation(Activation.RELU).weightInit(WeightInit.RELU)
        .regularization(penalties).build(), last);
    last = dropout(g, "hidden_dropout", n.hiddenDropout(), HIDDEN);
    g.addLayer(SCORE, new DenseLayer.Builder().nIn(n.hidden()).nOut(1)
        .activation(Activation.IDENTITY).weightInit(WeightInit.XAVIER).regularization(penalties)
        .build(), last);
    return SCORE;
  }

  private static String dropout(ComputationGraphConfiguration.GraphBuilder g, String name,
      double probability, String input) {
    if (probability == 0.0) {
      return input;
    }
    // DL4J's dropout argument is the probability of keeping a value.
    g.addLayer(name, new DropoutLayer.Builder(1.0 - probability).build(), input);
    return name;
  }
}
