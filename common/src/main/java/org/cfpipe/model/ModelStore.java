package org.cfpipe.model;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Turns a model's parameter rows into Spark tables (index, bias, factors as array&lt;float&gt;),
 * the form in which the evaluate and export stages join them to data and ids.
 */
public final class ModelStore {
  public static final String INDEX = "index";
  public static final String BIAS = "bias";
  public static final String FACTORS = "factors";
  public static final StructType SCHEMA = new StructType()
      .add(INDEX, DataTypes.IntegerType, false)
      .add(BIAS, DataTypes.FloatType, true)
      .add(FACTORS, DataTypes.createArrayType(DataTypes.FloatType, false), false);

  private ModelStore() {}

  public static Dataset<Row> userTable(SparkSession spark, RatingModel model) {
    if (model instanceof NeuralModel n) {
      return table(spark, n.userRows(), n.users(), n.head().userFactors(), false);
    }
    FactorModel f = (FactorModel) model;
    return table(spark, f.userRows(), f.users(), f.factors(), f.hasBiases());
  }

  public static Dataset<Row> itemTable(SparkSession spark, RatingModel model) {
    if (model instanceof NeuralModel n) {
      return table(spark, n.itemRows(), n.items(), n.head().itemFactors(), false);
    }
    FactorModel f = (FactorModel) model;
    return table(spark, f.itemRows(), f.items(), f.factors(), f.hasBiases());
  }

  /**
   * One row per index: its bias (null without biases) and its factors; each row of
   * {@code rows} holds the factors, then the bias when there is one.
   */
  private static Dataset<Row> table(SparkSession spark, float[] rows, int count, int factors,
      boolean biases) {
    int width = factors + (biases ? 1 : 0);
    List<Row> out = new ArrayList<>(count);
    for (int r = 0; r < count; r++) {
      Float[] boxed = new Float[factors];
      for (int f = 0; f < factors; f++) {
        boxed[f] = rows[r * width + f];
      }
      Float bias = biases ? rows[r * width + factors] : null;
      out.add(RowFactory.create(r, bias, boxed));
    }
    return spark.createDataFrame(out, SCHEMA);
  }
}
