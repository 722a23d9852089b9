package org.cfpipe.train.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.cfpipe.config.ConfigLoader;
import org.cfpipe.config.PipelineSettings;
import org.cfpipe.model.RatingModel;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * Each model's graph: its analytic gradients match finite differences, and the plain-Java model
 * taken from a network predicts exactly what the network outputs.
 */
class GraphParametersTest {
  private static final int USERS = 7;
  private static final int ITEMS = 9;

  private static PipelineSettings settings(String type, boolean yRange) {
    return settings(type, yRange, 0.0);
  }

  private static PipelineSettings settings(String type, boolean yRange, double l2) {
    List<String> sets = new ArrayList<>(List.of("cfpipe.input.ratings=x",
        "cfpipe.model.type=" + type, "cfpipe.model.factors=3", "cfpipe.train.engine=dl4j",
        "cfpipe.model.y-range.enabled=" + yRange, "cfpipe.model.y-range.min=0",
        "cfpipe.model.y-range.max=5.5", "cfpipe.model.init-range=0.5",
        "cfpipe.model.neural.hidden=4", "cfpipe.model.neural.item-factors=2",
        "cfpipe.model.neural.embedding-dropout=0", "cfpipe.model.neural.hidden-dropout=0",
        "cfpipe.train.l2=" + l2, "cfpipe.train.neural.l2=" + l2,
        "cfpipe.train.bias-l2=" + l2 / 2));
    return PipelineSettings.from(ConfigLoader.load(Optional.empty(), sets), "2024-01-01");
  }

  private static ComputationGraph network(PipelineSettings s, double offset) {
    ComputationGraph net = new ComputationGraph(ModelGraph.configuration(s.model(), s.train(),
        USERS, ITEMS, offset, 10));
    net.init();
    new GraphParameters(s.model(), USERS, ITEMS, offset).initialise(net, 3);
    return net;
  }

  private static INDArray[] pairs() {
    float[] users = new float[USERS * ITEMS];
    float[] items = new float[USERS * ITEMS];
    for (int u = 0; u < USERS; u++) {
      for (int i = 0; i < ITEMS; i++) {
        users[u * ITEMS + i] = u;
        items[u * ITEMS + i] = i;
      }
    }
    return new INDArray[] {Nd4j.create(users, new long[] {users.length, 1}, 'c'),
        Nd4j.create(items, new long[] {items.length, 1}, 'c')};
  }

  @ParameterizedTest(name = "{0}, y-range {1}")
  @CsvSource({"dot, false", "dot-bias, true", "dot-bias, false", "neural, true",
      "neural, false"})
  void theExtractedModelPredictsWhatTheNetworkOutputs(String type, boolean yRange) {
    PipelineSettings s = settings(type, yRange);
    double offset = type.equals("dot-bias") ? 0.4 : 0.0;
    ComputationGraph net = network(s, offset);
    RatingModel model = new GraphParameters(s.model(), USERS, ITEMS, offset).model(net);
    INDArray[] in = pairs();
    INDArray out = net.output(in)[0];
    for (int n = 0; n < USERS * ITEMS; n++) {
      int u = n / ITEMS;
      int i = n % ITEMS;
      assertEquals(out.getDouble(n, 0), model.predict(u, i), 1e-5, type + " " + u + "," + i);
    }
  }

  @ParameterizedTest(name = "{0}, y-range {1}, l2 {2}")
  @CsvSource({"dot, false, 0", "dot-bias, true, 0", "dot-bias, false, 0", "neural, true, 0",
      "neural, false, 0", "dot-bias, true, 0.3", "neural, true, 0.3"})
  void gradientsMatchFiniteDifferences(String type, boolean yRange, double l2) {
    PipelineSettings s = settings(type, yRange, l2);
    ComputationGraphConfiguration conf = ModelGraph.configuration(s.model(), s.train(), USERS,
        ITEMS, 0.0, 10);
    for (var vertex : conf.getVertices().values()) {
      if (vertex instanceof LayerVertex lv && lv.getLayerConf().getLayer() instanceof BaseLayer b) {
        b.setIUpdater(new NoOp());
      }
    }
    ComputationGraph net = new ComputationGraph(conf);
    net.init();
    new GraphParameters(s.model(), USERS, ITEMS, 0.0).initialise(net, 3);
    net = net.convertDataType(DataType.DOUBLE);
    INDArray[] in = pairs();
    int[] widths = ModelGraph.labelWidths(s.model(), s.train());
    INDArray[] labels = new INDArray[widths.length];
    labels[0] = Nd4j.rand(DataType.DOUBLE, USERS * ITEMS, 1).muli(4).addi(1);
    for (int j = 1; j < widths.length; j++) {
      labels[j] = Nd4j.zeros(DataType.DOUBLE, USERS * ITEMS, widths[j]);
    }
    DataType defaultType = Nd4j.defaultFloatingPointType();
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    try {
      boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
          .inputs(new INDArray[] {in[0].castTo(DataType.DOUBLE), in[1].castTo(DataType.DOUBLE)})
          .labels(labels).epsilon(1e-6).maxRelError(1e-4)
          .minAbsoluteError(1e-8));
      assertTrue(ok, type + " gradient check failed (see the log)");
      assertEquals(l2 > 0 ? (type.equals("neural") ? 3 : 5) : 1, widths.length);
    } finally {
      Nd4j.setDefaultDataTypes(defaultType, defaultType);
    }
  }
}
