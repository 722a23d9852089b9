package org.cfpipe.train.dl4j;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.cfpipe.config.ModelSettings;
import org.cfpipe.config.TrainSettings;
import org.cfpipe.model.FactorModel;
import org.cfpipe.model.NeuralModel;
import org.cfpipe.train.Checkpoints;
import org.cfpipe.train.ParameterTable;
import org.cfpipe.train.RowOptimizer;
import org.cfpipe.train.TouchedRows;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * One mini-batch step of the neural model (fastai's EmbeddingNet) whose embedding tables live
 * outside the network, so that a step costs its batch and not the vocabulary (issue 18). The
 * Deeplearning4j network is only the head: concat(u, v) -> dropout -> hidden (relu) -> dropout
 * -> score, then the y-range's sigmoid and a frozen affine layer (max - min, min), trained by mean
 * squared error. A step:
 * <ol>
 *   <li>gathers the batch's user and item rows from their {@link ParameterTable}s into the
 *       network's input, batch x (user width + item width);
 *   <li>asks the network for its parameters' gradient and its gradient with respect to that
 *       input ({@code MultiLayerNetwork.calculateGradients}), and applies the first with the
 *       network's own DL4J updater (Adam or Nesterov, the rate schedule by step);
 *   <li>adds each rating's input gradient, plus the per-rating L2 penalty's 2 l2 x, into the rows
 *       the batch names ({@link TouchedRows}), divided by the batch size as DL4J divides the
 *       network's, and updates only those rows with a lazy optimizer ({@link RowOptimizer}:
 *       Adam's moments or SGD's velocity kept per row, beside its values).
 * </ol>
 * With Adam, a row is first brought up to the step before it is gathered (and every row before
 * the tables are written out): the steps dense Adam would have taken on it since a batch last
 * named it, with zero gradients, in closed form ({@link #catchUp}). Dense Adam keeps moving a
 * row on its momentum after each gradient, about 1 / (1 - beta1) times as far as that gradient's
 * own step; lazy Adam alone moved rarely named rows that much less and validated worse (the
 * shared splits 0.8827 and 0.9167, with the catch-up 0.8788 and 0.9161, dense 0.8786 and
 * 0.9151; docs/engines.md).
 * The loss is the one {@link ModelGraph} trains: (1 / B) sum over the batch of the squared error
 * plus l2 (|u|^2 + |v|^2).
 */
public final class SparseEmbeddingStep {
  private final MultiLayerNetwork head;
  private final ParameterTable users;
  private final ParameterTable items;
  private final TouchedRows touchedUsers;
  private final TouchedRows touchedItems;
  private final RowOptimizer optimizer;
  private final RateSchedule rate;
  private final TrainSettings train;
  private final int userWidth;
  private final int itemWidth;
  private final int hiddenLayer;
  private final int scoreLayer;
  /** Per row, the step after which its Adam state was last brought up to date (catch-up). */
  private final int[] userSeen;
  private final int[] itemSeen;
  private float[] inputs = new float[0];
  private float[] labels = new float[0];
  private float[] inputGradient = new float[0];
  private INDArray features;
  private INDArray target;
  private int steps;

  /**
   * @param stepsPerEpoch optimizer steps of one epoch, for the rate schedule
   * @param batchSize the largest batch a step will be given, to size the touched rows
   */
  public SparseEmbeddingStep(ModelSettings model, TrainSettings train, int userCount, int itemCount,
      long stepsPerEpoch, int batchSize) {
    this(model, train, userTable(model, train, userCount), new int[userCount], itemCount,
        stepsPerEpoch, batchSize);
  }

  /**
   * A step over a user table it may share with other steps (each user's row touched by one of
   * them only: {@link SparseWorkers}), with its own item table and its own head.
   *
   * @param userSeen per user row, the step its Adam state was last brought up to, shared with
   *     the table
   */
  SparseEmbeddingStep(ModelSettings model, TrainSettings train, ParameterTable users,
      int[] userSeen, int itemCount, long stepsPerEpoch, int batchSize) {
    Dl4jRuntime.prepare(train.dl4j());
    ModelSettings.Neural shape = model.neural();
    this.train = train;
    this.userWidth = shape.userFactors();
    this.itemWidth = shape.itemFactors();
    this.rate = RateSchedule.of(train, stepsPerEpoch);
    this.optimizer = RowOptimizer.create(train);
    this.users = users;
    this.items = new ParameterTable(itemCount, itemWidth, optimizer.stateSlots());
    initialise(items, model.initRange(), FactorModel.ITEMS, train.seed());
    this.userSeen = userSeen;
    this.itemSeen = new int[itemCount];
    this.touchedUsers = new TouchedRows(users.rows(), userWidth, batchSize);
    this.touchedItems = new TouchedRows(itemCount, itemWidth, batchSize);
    this.hiddenLayer = shape.embeddingDropout() > 0 ? 1 : 0;
    this.scoreLayer = hiddenLayer + (shape.hiddenDropout() > 0 ? 2 : 1);
    this.head = new MultiLayerNetwork(head(model, train, stepsPerEpoch));
    head.init();
    model.yRange().ifPresent(r -> {
      int last = head.getnLayers() - 2;
      head.getLayer(last).setParam("W", Nd4j.valueArrayOf(new long[] {1, 1},
          r.max() - r.min(), DataType.FLOAT));
      head.getLayer(last).setParam("b", Nd4j.valueArrayOf(new long[] {1, 1}, r.min(),
          DataType.FLOAT));
    });
  }

  /** The user table of the neural model, its rows drawn from the seed. */
  static ParameterTable userTable(ModelSettings model, TrainSettings train, int userCount) {
    ParameterTable table = new ParameterTable(userCount, model.neural().userFactors(),
        RowOptimizer.create(train).stateSlots());
    initialise(table, model.initRange(), FactorModel.USERS, train.seed());
    return table;
  }

  /** Each row's values drawn as the other engines draw them, from the row's own seed. */
  private static void initialise(ParameterTable table, double range, int side, long seed) {
    for (int r = 0; r < table.rows(); r++) {
      FactorModel.initRow(table.data(), r * table.stride(), table.width(), range,
          FactorModel.rowSeed(seed, side, r));
    }
  }

  /** The head: the neural model's layers after its embeddings. */
  static MultiLayerConfiguration head(ModelSettings model, TrainSettings train,
      long stepsPerEpoch) {
    ModelSettings.Neural n = model.neural();
    NeuralNetConfiguration.ListBuilder layers = new NeuralNetConfiguration.Builder()
        .seed(train.seed())
        .dataType(DataType.FLOAT)
        .updater(ModelGraph.updater(train, RateSchedule.of(train, stepsPerEpoch)))
        .list();
    if (n.embeddingDropout() > 0) {
      // DL4J's dropout argument is the probability of keeping a value.
      layers.layer(new DropoutLayer.Builder(1.0 - n.embeddingDropout()).build());
    }
    // Decoupled weight decay on the layers that learn, as ModelGraph sets it.
    List<Regularization> decay = train.weightDecay() > 0
        ? List.of(new WeightDecay(train.weightDecay(), true)) : List.of();
    layers.layer(new DenseLayer.Builder().nOut(n.hidden()).activation(Activation.RELU)
        .weightInit(WeightInit.RELU).regularization(decay).build());
    if (n.hiddenDropout() > 0) {
      layers.layer(new DropoutLayer.Builder(1.0 - n.hiddenDropout()).build());
    }
    boolean yRange = model.yRange().isPresent();
    layers.layer(new DenseLayer.Builder().nOut(1)
        .activation(yRange ? Activation.SIGMOID : Activation.IDENTITY)
        .weightInit(WeightInit.XAVIER).regularization(decay).build());
    if (yRange) {
      // sigmoid -> (max - min) x + min, by a 1 x 1 layer whose rate is 0; its values are set
      // after init.
      layers.layer(new DenseLayer.Builder().nOut(1).activation(Activation.IDENTITY)
          .updater(new Sgd(0.0)).build());
    }
    layers.layer(new LossLayer.Builder(LossFunctions.LossFunction.MSE)
        .activation(Activation.IDENTITY).build());
    return layers.setInputType(InputType.feedForward(n.userFactors() + n.itemFactors()))
        .build();
  }

  /** Steps taken. */
  int steps() {
    return steps;
  }

  public MultiLayerNetwork head() {
    return head;
  }

  public ParameterTable users() {
    return users;
  }

  public ParameterTable items() {
    return items;
  }

  /**
   * Takes the values of the embeddings and of the head's dense layers from {@code net}, a
   * {@link ModelGraph} of the neural model (the rows' optimizer state stays as it is).
   */
  void load(ComputationGraph net) {
    // DL4J keeps the table column by column: its values row by row first.
    users.load(net.getLayer(ModelGraph.USER_FACTORS).getParam("W").dup('c').data().asFloat());
    items.load(net.getLayer(ModelGraph.ITEM_FACTORS).getParam("W").dup('c').data().asFloat());
    for (String key : List.of("W", "b")) {
      head.getLayer(hiddenLayer).setParam(key, net.getLayer(ModelGraph.HIDDEN).getParam(key));
      head.getLayer(scoreLayer).setParam(key, net.getLayer(ModelGraph.SCORE).getParam(key));
    }
  }

  /** Writes the values of the embeddings and of the head's dense layers into {@code net}. */
  void store(ComputationGraph net) {
    catchUpAll(0);
    net.getLayer(ModelGraph.USER_FACTORS).setParam("W", values(users));
    storeItemsAndHead(net);
  }

  private static INDArray values(ParameterTable table) {
    float[] values = new float[table.rows() * table.width()];
    table.store(values);
    return Nd4j.create(values, new long[] {table.rows(), table.width()}, DataType.FLOAT);
  }

  /** Everything a resumed run needs: the tables with their rows' state, the head, the steps. */
  void save(DataOutputStream out) throws IOException {
    out.writeInt(steps);
    Checkpoints.writeFloats(out, users.data());
    Checkpoints.writeFloats(out, items.data());
    for (int[] seen : new int[][] {userSeen, itemSeen}) {
      for (int value : seen) {
        out.writeInt(value);
      }
    }
    ByteArrayOutputStream network = new ByteArrayOutputStream();
    ModelSerializer.writeModel(head, network, true);
    out.writeInt(network.size());
    network.writeTo(out);
  }

  void restore(DataInputStream in) throws IOException {
    steps = in.readInt();
    float[] userData = Checkpoints.readFloats(in);
    float[] itemData = Checkpoints.readFloats(in);
    if (userData.length != users.data().length || itemData.length != items.data().length) {
      throw new IOException("the checkpoint's embedding tables hold " + userData.length + " and "
          + itemData.length + " floats where " + users.data().length + " and "
          + items.data().length + " are expected");
    }
    System.arraycopy(userData, 0, users.data(), 0, userData.length);
    System.arraycopy(itemData, 0, items.data(), 0, itemData.length);
    for (int[] seen : new int[][] {userSeen, itemSeen}) {
      for (int r = 0; r < seen.length; r++) {
        seen[r] = in.readInt();
      }
    }
    byte[] network = new byte[in.readInt()];
    in.readFully(network);
    MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(
        new ByteArrayInputStream(network), true);
    head.setParams(restored.params());
    head.getUpdater().getStateViewArray().assign(restored.getUpdater().getStateViewArray());
  }

  /** Takes {@code other}'s step count, item table and head (a worker of the same run). */
  void copyFrom(SparseEmbeddingStep other) {
    steps = other.steps;
    System.arraycopy(other.items.data(), 0, items.data(), 0, items.data().length);
    System.arraycopy(other.itemSeen, 0, itemSeen, 0, itemSeen.length);
    head.params().assign(other.head.params());
    head.getUpdater().getStateViewArray().assign(other.head.getUpdater().getStateViewArray());
  }

  /**
   * Starts a round of the executors' form ({@link SparseShards}) at step {@code steps} of the
   * run, from the driver's item table (values and Adam state), head parameters and head updater
   * state; every row counts as brought up to that step.
   */
  void startRound(int steps, float[] itemData, float[] headParams, float[] updaterState) {
    skipTo(steps);
    System.arraycopy(itemData, 0, items.data(), 0, itemData.length);
    Arrays.fill(itemSeen, steps);
    Arrays.fill(userSeen, steps);
    head.params().assign(Nd4j.create(headParams, head.params().shape(), 'c'));
    INDArray state = head.getUpdater().getStateViewArray();
    state.assign(Nd4j.create(updaterState, state.shape(), 'c'));
  }

  /** Counts steps up to {@code steps} without moving anything (the driver of a round). */
  void skipTo(int steps) {
    this.steps = steps;
  }

  /** The head as the plain-Java model scores it. */
  NeuralModel.Head headModel(ModelSettings.Neural shape) {
    return new NeuralModel.Head(userWidth, itemWidth, shape.hidden(),
        flat(head.getLayer(hiddenLayer).getParam("W")), flat(head.getLayer(hiddenLayer)
        .getParam("b")), flat(head.getLayer(scoreLayer).getParam("W")),
        flat(head.getLayer(scoreLayer).getParam("b"))[0]);
  }

  private static float[] flat(INDArray value) {
    return Nd4j.toFlattened('c', value).toFloatVector();
  }

  /**
   * Writes the item table and the head's dense layers into {@code net}, not the user table
   * (the executors' form, whose users stay in their shards).
   */
  void storeItemsAndHead(ComputationGraph net) {
    net.getLayer(ModelGraph.ITEM_FACTORS).setParam("W", values(items));
    for (String key : List.of("W", "b")) {
      net.getLayer(ModelGraph.HIDDEN).setParam(key, head.getLayer(hiddenLayer).getParam(key));
      net.getLayer(ModelGraph.SCORE).setParam(key, head.getLayer(scoreLayer).getParam(key));
    }
  }

  /**
   * One step on ratings {@code from} to {@code to} of the arrays. (DL4J computes no loss with the
   * input gradient; the training loss is for whoever runs the epochs to measure.)
   */
  public void step(int[] user, int[] item, float[] rating, int from, int to, int epoch) {
    int batch = to - from;
    int width = userWidth + itemWidth;
    if (inputs.length < batch * width) {
      inputs = new float[batch * width];
      labels = new float[batch];
    }
    float[] userData = users.data();
    float[] itemData = items.data();
    if (train.optimizer() == TrainSettings.Optimizer.ADAM) {
      double idleRate = rate.valueAt(Math.max(0, steps - 1), epoch);
      for (int b = 0; b < batch; b++) {
        catchUp(users, userSeen, user[from + b], idleRate);
        catchUp(items, itemSeen, item[from + b], idleRate);
      }
    }
    for (int b = 0; b < batch; b++) {
      int n = from + b;
      System.arraycopy(userData, user[n] * users.stride(), inputs, b * width, userWidth);
      System.arraycopy(itemData, item[n] * items.stride(), inputs, b * width + userWidth,
          itemWidth);
      labels[b] = rating[n];
    }
    if (features == null || features.rows() != batch) {
      // Kept from step to step (rebuilt when the batch size changes): ND4J's native allocations
      // took more of a step than its arithmetic.
      features = Nd4j.create(DataType.FLOAT, batch, width);
      target = Nd4j.create(DataType.FLOAT, batch, 1);
    }
    features.data().asNioFloat().put(inputs, 0, batch * width);
    target.data().asNioFloat().put(labels, 0, batch);
    Pair<Gradient, INDArray> gradients = head.calculateGradients(features, target, null, null);
    steps++;
    head.getUpdater().update(head, gradients.getFirst(), steps - 1, epoch, batch,
        LayerWorkspaceMgr.noWorkspaces());
    head.params().subi(gradients.getFirst().gradient());
    INDArray input = gradients.getSecond();
    if (input.ordering() != 'c' || input.offset() != 0 || input.data().length() != batch * width) {
      input = input.dup('c');
    }
    if (inputGradient.length < batch * width) {
      inputGradient = new float[batch * width];
    }
    input.data().asNioFloat().get(inputGradient, 0, batch * width);
    scatter(inputGradient, user, from, batch, width, 0, users, touchedUsers);
    scatter(inputGradient, item, from, batch, width, userWidth, items, touchedItems);
    double learningRate = rate.valueAt(steps - 1, epoch);
    optimizer.update(users, touchedUsers, learningRate, train.baseMomentum(), steps);
    optimizer.update(items, touchedItems, learningRate, train.baseMomentum(), steps);
    for (int b = 0; b < batch; b++) {
      userSeen[user[from + b]] = steps;
      itemSeen[item[from + b]] = steps;
    }
  }

  /**
   * A step with no ratings (a worker whose shard has fewer batches than the others'): the step
   * is counted, so that the workers' schedules and Adam steps stay together; nothing moves.
   */
  void idle() {
    steps++;
  }

  /** Brings item row {@code row} up to the current step (before it is averaged). */
  void catchUpItem(int row, int epoch) {
    if (train.optimizer() == TrainSettings.Optimizer.ADAM) {
      catchUp(items, itemSeen, row, rate.valueAt(Math.max(0, steps - 1), epoch));
    }
  }

  /** Per item row, the step its Adam state was last brought up to. */
  int[] itemSeen() {
    return itemSeen;
  }

  /** Brings every row up to the current step (before validation). */
  void catchUpAll(int epoch) {
    catchUpUsers(epoch);
    if (train.optimizer() == TrainSettings.Optimizer.ADAM) {
      double idleRate = rate.valueAt(Math.max(0, steps - 1), epoch);
      for (int r = 0; r < items.rows(); r++) {
        catchUp(items, itemSeen, r, idleRate);
      }
    }
  }

  /** Brings every user row up to the current step (a shard's, at the end of its round). */
  void catchUpUsers(int epoch) {
    if (train.optimizer() == TrainSettings.Optimizer.ADAM) {
      double idleRate = rate.valueAt(Math.max(0, steps - 1), epoch);
      for (int r = 0; r < users.rows(); r++) {
        catchUp(users, userSeen, r, idleRate);
      }
    }
  }

  /**
   * The steps dense Adam would have taken on a row no batch named since {@code seen[row]}: zero
   * gradients, so its moments decay (m by beta1, v by beta2 a step) and it moves on by
   * rate m / sqrt(v) times the sum of (beta1 / sqrt(beta2))^j, in closed form (epsilon and the
   * bias corrections left out, the rate taken as constant over the gap).
   */
  private void catchUp(ParameterTable table, int[] seen, int row, double idleRate) {
    int idle = steps - seen[row];
    boolean neverNamed = seen[row] == 0;
    seen[row] = steps;
    if (idle <= 0 || neverNamed) {
      return;
    }
    double b1 = train.beta1();
    double b2 = train.beta2();
    double ratio = b1 / Math.sqrt(b2);
    double sum = ratio * (1 - Math.pow(ratio, idle)) / (1 - ratio);
    float m1 = (float) Math.pow(b1, idle);
    float v1 = (float) Math.pow(b2, idle);
    float decay = (float) Math.pow(1 - idleRate * train.weightDecay(), idle);
    float[] data = table.data();
    int width = table.width();
    int p = row * table.stride();
    for (int j = 0; j < width; j++) {
      float m = data[p + width + j];
      float v = data[p + 2 * width + j];
      if (v > 0) {
        data[p + j] = data[p + j] * decay - (float) (idleRate * sum * m / Math.sqrt(v));
      }
      data[p + width + j] = m * m1;
      data[p + 2 * width + j] = v * v1;
    }
  }

  /**
   * Adds each rating's gradient for one table's row, (dMSE/dx + 2 l2 x) / B, into the touched
   * rows.
   */
  private void scatter(float[] inputGradient, int[] ids, int from, int batch, int width,
      int offset, ParameterTable table, TouchedRows touched) {
    touched.clear();
    float[] data = table.data();
    int rowWidth = table.width();
    float scale = 1f / batch;
    float penalty = (float) (2 * train.l2());
    for (int b = 0; b < batch; b++) {
      int row = ids[from + b];
      int g = touched.gradientOffset(row);
      // Read after the offset: opening a slot may grow the array.
      float[] grads = touched.gradients();
      int p = row * table.stride();
      int x = b * width + offset;
      for (int j = 0; j < rowWidth; j++) {
        grads[g + j] += (inputGradient[x + j] + penalty * data[p + j]) * scale;
      }
    }
  }
}
