package org.cfpipe.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cfpipe.config.ModelSettings.Range;
import org.cfpipe.model.FactorModel;
import org.cfpipe.model.ModelInfo;
import org.cfpipe.model.ModelStore;
import org.cfpipe.model.NeuralModel;
import org.cfpipe.model.RatingModel;
import org.cfpipe.spark.SparkFixture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Spark's prediction over the stored tables equals the in-memory model's. */
class PredictionColumnIT extends SparkFixture {

  @ParameterizedTest(name = "biases {0}, y-range {1}, offset {2}")
  @CsvSource({"true, false, 0.0", "true, true, 0.3", "false, true, 0.0", "false, false, 3.5"})
  void sqlPredictionEqualsModelPrediction(boolean biases, boolean withRange, double offset) {
    FactorModel model = new FactorModel(5, biases, 6, 7, offset,
        withRange ? Optional.of(new Range(0.5, 5.5)) : Optional.empty());
    model.initUniform(0.8, 3);
    assertScoresAsTheModel(biases ? "dot-bias" : "dot", model);
  }

  @ParameterizedTest(name = "y-range {0}")
  @CsvSource({"true", "false"})
  void neuralPredictionEqualsModelPrediction(boolean withRange) {
    SplittableRandom random = new SplittableRandom(5);
    int userWidth = 3;
    int itemWidth = 4;
    int hidden = 5;
    NeuralModel.Head head = new NeuralModel.Head(userWidth, itemWidth, hidden,
        draws(random, (userWidth + itemWidth) * hidden), draws(random, hidden),
        draws(random, hidden), 0.2f);
    NeuralModel model = new NeuralModel(6, 7, draws(random, 6 * userWidth),
        draws(random, 7 * itemWidth), head,
        withRange ? Optional.of(new Range(0.0, 5.5)) : Optional.empty());
    assertScoresAsTheModel("neural", model);
  }

  private static float[] draws(SplittableRandom random, int n) {
    float[] out = new float[n];
    for (int j = 0; j < n; j++) {
      out[j] = (float) (random.nextDouble() * 2 - 1);
    }
    return out;
  }

  private void assertScoresAsTheModel(String type, RatingModel model) {
    List<Row> pairs = new ArrayList<>();
    for (int u = 0; u < 6; u++) {
      for (int i = 0; i < 7; i++) {
        pairs.add(RowFactory.create(u, i, 0.0));
      }
    }
    StructType schema = new StructType().add("user_index", DataTypes.IntegerType)
        .add("item_index", DataTypes.IntegerType).add("rating", DataTypes.DoubleType);

    List<Row> scored = EvaluateStage.score(ModelInfo.of(type, model),
        spark.createDataFrame(pairs, schema), ModelStore.userTable(spark, model),
        ModelStore.itemTable(spark, model)).collectAsList();

    assertEquals(42, scored.size());
    for (Row row : scored) {
      int u = row.getAs("user_index");
      int i = row.getAs("item_index");
      assertEquals(model.predict(u, i), (double) row.getAs(EvaluateStage.PREDICTION), 1e-5,
          "user " + u + " item " + i);
    }
  }
}
