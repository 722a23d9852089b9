package org.cfpipe.eval;

import static org.apache.spark.sql.functions.aggregate;
import static org.apache.spark.sql.functions.exp;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.zip_with;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.types.DataTypes;
import org.cfpipe.config.ModelSettings.Range;
import org.cfpipe.model.ModelInfo;
import org.cfpipe.model.NeuralModel;
import scala.collection.Seq;

/**
 * A stored model's prediction as a Spark SQL column over joined user and item parameters. For a
 * {@link org.cfpipe.model.FactorModel}, z = aggregate(zip_with(u, v, *), +) + g [+ b_u + b_i],
 * then the sigmoid y-range, in SQL; for a {@link NeuralModel}, a UDF that runs its head on the
 * two embeddings.
 */
public final class PredictionColumn {
  private PredictionColumn() {}

  public static Column of(ModelInfo info, Column userFactors, Column userBias,
      Column itemFactors, Column itemBias) {
    if (info.neural() != null) {
      return neural(new NeuralModel(0, 0, new float[0], new float[0], info.neural(),
          info.yRange()), userFactors, itemFactors);
    }
    Column dot = aggregate(zip_with(userFactors, itemFactors, (a, b) -> a.multiply(b)),
        lit(0.0), (acc, x) -> acc.plus(x));
    Column z = dot.plus(lit(info.offset()));
    if (info.biases()) {
      z = z.plus(userBias).plus(itemBias);
    }
    if (info.yRange().isEmpty()) {
      return z;
    }
    Range range = info.yRange().get();
    Column sigmoid = lit(1.0).divide(lit(1.0).plus(exp(z.unary_$minus())));
    return sigmoid.multiply(lit(range.max() - range.min())).plus(lit(range.min()));
  }

  private static Column neural(NeuralModel head, Column userFactors, Column itemFactors) {
    UDF2<Seq<Object>, Seq<Object>, Double> predict = (u, v) ->
        head.predict(floats(u), 0, floats(v), 0);
    return udf(predict, DataTypes.DoubleType).apply(userFactors, itemFactors);
  }

  private static float[] floats(Seq<Object> values) {
    float[] out = new float[values.length()];
    for (int j = 0; j < out.length; j++) {
      out[j] = (Float) values.apply(j);
    }
    return out;
  }
}
