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
 * <p>The L2 penalty is per rating, as in the sparse engine: extra outputs whose losses are
 * l2 |u|^2 + l2 |v|^2 (+ bias-l2 b^2) for the rows each rating looks up. Weight decay and the
 * updaters act on whole parameter arrays at every step. Adam's beta1 stays fixed (DL4J does not
 * schedule it), and SGD with momentum is DL4J's Nesterov momentum.
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
        .updater(updater(train, RateSchedule.of(train, stepsPerEpoch)))
        .graphBuilder()
        // No input types: DL4J's shape inference would set the embeddings' nIn to 1.
        .addInputs(USER, ITEM);
    String last = model.type() == ModelSettings.Type.NEURAL
        ? neural(g, model, train, users, items, stepsPerEpoch)
        : factors(g, model, train, users, items, offset, stepsPerEpoch);
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
    List<String> outputs = new ArrayList<>(List.of(LOSS));
    for (Penalty p : penalties(model, train)) {
      // c |x|^2 for the rows of each rating: sqrt(c) x against a label of zeros, L2 loss.
      g.addVertex(p.layer() + "_scaled", new ScaleVertex(Math.sqrt(p.coefficient())), p.layer());
      g.addLayer(p.layer() + "_l2", new LossLayer.Builder(LossFunctions.LossFunction.L2)
          .activation(Activation.IDENTITY).build(), p.layer() + "_scaled");
      outputs.add(p.layer() + "_l2");
    }
    return g.setOutputs(outputs.toArray(new String[0])).build();
  }

  /** The per-rating L2 penalty c |x|^2 on the rows an embedding layer looks up. */
  record Penalty(String layer, int width, double coefficient) {}

  /**
   * The sparse engine's coupled L2, per rating (the weighted-lambda regularisation of Zhou et al.
   * 2008): l2 (|u|^2 + |v|^2) + bias-l2 (b_u^2 + b_i^2) for each rating of the batch. DL4J's own
   * l2 would penalise every row of the tables at every step instead.
   */
  static List<Penalty> penalties(ModelSettings model, TrainSettings train) {
    boolean neural = model.type() == ModelSettings.Type.NEURAL;
    List<Penalty> out = new ArrayList<>();
    if (train.l2() > 0) {
      out.add(new Penalty(USER_FACTORS, neural ? model.neural().userFactors() : model.factors(),
          train.l2()));
      out.add(new Penalty(ITEM_FACTORS, neural ? model.neural().itemFactors() : model.factors(),
          train.l2()));
    }
    if (model.type().hasBiases() && train.biasL2() > 0) {
      out.add(new Penalty(USER_BIAS, 1, train.biasL2()));
      out.add(new Penalty(ITEM_BIAS, 1, train.biasL2()));
    }
    return out;
  }

  /** Widths of the labels of each output: the rating, then a zero row per penalty. */
  static int[] labelWidths(ModelSettings model, TrainSettings train) {
    List<Penalty> penalties = penalties(model, train);
    int[] widths = new int[1 + penalties.size()];
    widths[0] = 1;
    for (int j = 0; j < penalties.size(); j++) {
      widths[j + 1] = penalties.get(j).width();
    }
    return widths;
  }

  static IUpdater updater(TrainSettings train, RateSchedule rate) {
    return switch (train.optimizer()) {
      case ADAM -> new Adam.Builder().learningRateSchedule(rate).beta1(train.beta1())
          .beta2(train.beta2()).epsilon(train.epsilon()).build();
      case SGD -> new Nesterovs(rate, train.momentum());
    };
  }

  /**
   * A user table. Under DL4J-Spark the ratings are partitioned by user, so each user row is
   * trained by one worker only, and parameter averaging would divide its update by the number of
   * workers: its rate is multiplied by that number to give the row its whole update back.
   */
  private static EmbeddingLayer userEmbedding(int rows, int width, List<Regularization> penalties,
      TrainSettings train, long stepsPerEpoch) {
    EmbeddingLayer layer = embedding(rows, width, penalties);
    int workers = train.distributed().workers();
    if (workers > 1) {
      layer.setIUpdater(updater(train, RateSchedule.of(train, stepsPerEpoch).scaled(workers)));
    }
    return layer;
  }

  /** An embedding table; the trainer overwrites its zeros with seeded per-row draws. */
  private static EmbeddingLayer embedding(int rows, int width, List<Regularization> penalties) {
    EmbeddingLayer.Builder builder = new EmbeddingLayer.Builder().nIn(rows).nOut(width)
        .hasBias(false).activation(Activation.IDENTITY).weightInit(WeightInit.ZERO);
    builder.regularization(penalties);
    return builder.build();
  }

  /**
   * Decoupled weight decay, on each layer that learns, set per layer so that the fixed dot layer
   * has none (DL4J ignores a layer's 0 when the network has a global value).
   */
  private static List<Regularization> decay(TrainSettings train) {
    return train.weightDecay() > 0 ? List.of(new WeightDecay(train.weightDecay(), true))
        : List.of();
  }

  /** u.v [+ b_u + b_i] [+ offset]; returns the last vertex. */
  private static String factors(ComputationGraphConfiguration.GraphBuilder g,
      ModelSettings model, TrainSettings train, int users, int items, double offset,
      long stepsPerEpoch) {
    int k = model.factors();
    g.addLayer(USER_FACTORS, userEmbedding(users, k, decay(train), train, stepsPerEpoch), USER);
    g.addLayer(ITEM_FACTORS, embedding(items, k, decay(train)), ITEM);
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
      g.addLayer(USER_BIAS, userEmbedding(users, 1, decay(train), train, stepsPerEpoch), USER);
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
    return embedding(rows, 1, decay(train));
  }

  /** concat(u, v) -> dropout -> hidden -> dropout -> score; returns the last layer. */
  private static String neural(ComputationGraphConfiguration.GraphBuilder g, ModelSettings model,
      TrainSettings train, int users, int items, long stepsPerEpoch) {
    ModelSettings.Neural n = model.neural();
    List<Regularization> decay = decay(train);
    g.addLayer(USER_FACTORS, userEmbedding(users, n.userFactors(), decay, train, stepsPerEpoch),
        USER);
    g.addLayer(ITEM_FACTORS, embedding(items, n.itemFactors(), decay), ITEM);
    g.addVertex("concat", new MergeVertex(), USER_FACTORS, ITEM_FACTORS);
    String last = dropout(g, "embedding_dropout", n.embeddingDropout(), "concat");
    g.addLayer(HIDDEN, new DenseLayer.Builder().nIn(n.userFactors() + n.itemFactors())
        .nOut(n.hidden()).activation(Activation.RELU).weightInit(WeightInit.RELU)
        .regularization(decay).build(), last);
    last = dropout(g, "hidden_dropout", n.hiddenDropout(), HIDDEN);
    g.addLayer(SCORE, new DenseLayer.Builder().nIn(n.hidden()).nOut(1)
        .activation(Activation.IDENTITY).weightInit(WeightInit.XAVIER).regularization(decay)
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
