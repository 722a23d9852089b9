package org.cfpipe.eval;

import static org.apache.spark.sql.functions.aggregate;
import static org.apache.spark.sql.functions.exp;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.zip_with;

import org.apache.spark.sql.Column;
import org.cfpipe.config.ModelSettings.Range;
import org.cfpipe.model.ModelInfo;

/**
 * The {@link org.cfpipe.model.FactorModel} prediction as a Spark SQL column over joined user and
 * item parameters: z = aggregate(zip_with(u, v, *), +) + g [+ b_u + b_i], then the sigmoid
 * y-range.
 */
public final class PredictionColumn {
  private PredictionColumn() {}

  public static Column of(ModelInfo info, Column userFactors, Column userBias,
      Column itemFactors, Column itemBias) {
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
}
