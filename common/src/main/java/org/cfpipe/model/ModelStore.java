package org.cfpipe.model;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
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

  /** Rows of a table per task of the job that writes it. */
  static final int SLICE_ROWS = 1 << 16;

  /**
   * One row per index: its bias (null without biases) and its factors; each row of
   * {@code rows} holds the factors, then the bias when there is one. The rows become Spark rows
   * on the executors, a slice of the array per task: built on the driver, as a list of boxed
   * rows, 650,000 users of 50 factors overflowed a 2 GB driver (docs/benchmarks/pipeline.md).
   */
  private static Dataset<Row> table(SparkSession spark, float[] rows, int count, int factors,
      boolean biases) {
    int width = factors + (biases ? 1 : 0);
    List<Slice> slices = new ArrayList<>();
    for (int start = 0; start < count; start += SLICE_ROWS) {
      int end = Math.min(count, start + SLICE_ROWS);
      slices.add(new Slice(start, Arrays.copyOfRange(rows, start * width, end * width)));
    }
    JavaRDD<Row> table = JavaSparkContext.fromSparkContext(spark.sparkContext())
        .parallelize(slices, Math.max(1, slices.size()))
        .flatMap(slice -> slice.rows(factors, biases).iterator());
    return spark.createDataFrame(table, SCHEMA);
  }

  /** Rows {@code start} on of a table, each its factors then its bias when there is one. */
  private record Slice(int start, float[] values) implements Serializable {
    List<Row> rows(int factors, boolean biases) {
      int width = factors + (biases ? 1 : 0);
      List<Row> out = new ArrayList<>(values.length / width);
      for (int r = 0; r * width < values.length; r++) {
        Float[] boxed = new Float[factors];
        for (int f = 0; f < factors; f++) {
          boxed[f] = values[r * width + f];
        }
        Float bias = biases ? values[r * width + factors] : null;
        out.add(RowFactory.create(start + r, bias, boxed));
      }
      return out;
    }
  }
}
