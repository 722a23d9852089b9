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

  public static Dataset<Row> userTable(SparkSession spark, FactorModel model) {
    return table(spark, model.userRows(), model.users(), model);
  }

  public static Dataset<Row> itemTable(SparkSession spark, FactorModel model) {
    return table(spark, model.itemRows(), model.items(), model);
  }

  /** One row per index: its bias (null without biases) and its factors. */
  private static Dataset<Row> table(SparkSession spark, float[] rows, int count,
      FactorModel model) {
    int factors = model.factors();
    int width = model.rowWidth();
    List<Row> out = new ArrayList<>(count);
    for (int r = 0; r < count; r++) {
      Float[] boxed = new Float[factors];
      for (int f = 0; f < factors; f++) {
        boxed[f] = rows[r * width + f];
      }
      Float bias = model.hasBiases() ? rows[r * width + factors] : null;
      out.add(RowFactory.create(r, bias, boxed));
    }
    return spark.createDataFrame(out, SCHEMA);
  }
}
