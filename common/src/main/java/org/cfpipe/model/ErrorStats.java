package org.cfpipe.model;

/**
 * Root mean squared error and mean absolute error of a model's predictions over rating arrays.
 */
public record ErrorStats(long count, double rmse, double mae) {

  public static ErrorStats of(FactorModel model, int[] users, int[] items, float[] ratings) {
    double squared = 0;
    double absolute = 0;
    for (int n = 0; n < users.length; n++) {
      double error = model.predict(users[n], items[n]) - ratings[n];
      squared += error * error;
      absolute += Math.abs(error);
    }
    int count = users.length;
    return count == 0
        ? new ErrorStats(0, Double.NaN, Double.NaN)
        : new ErrorStats(count, Math.sqrt(squared / count), absolute / count);
  }
}
