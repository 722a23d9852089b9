package org.cfpipe.model;

import java.io.Serializable;

/**
 * Root mean squared error and mean absolute error of a model's predictions over rating arrays.
 */
public record ErrorStats(long count, double rmse, double mae) implements Serializable {

  /** Scored with the model's own parameters. */
  public static ErrorStats of(RatingModel model, int[] users, int[] items, float[] ratings) {
    double squared = 0;
    double absolute = 0;
    for (int n = 0; n < users.length; n++) {
      double error = model.predict(users[n], items[n]) - ratings[n];
      squared += error * error;
      absolute += Math.abs(error);
    }
    return fromSums(users.length, squared, absolute);
  }

  /**
   * Scored with {@code shape}'s formula against rows held elsewhere: row r of the users starts
   * at userData[r * userStride] (a trainer's tables keep optimizer state after each row).
   */
  public static ErrorStats of(FactorModel shape, float[] userData, int userStride,
      float[] itemData, int itemStride, int[] users, int[] items, float[] ratings) {
    double squared = 0;
    double absolute = 0;
    for (int n = 0; n < users.length; n++) {
      double error = shape.output(shape.score(userData, users[n] * userStride, itemData,
          items[n] * itemStride)) - ratings[n];
      squared += error * error;
      absolute += Math.abs(error);
    }
    return fromSums(users.length, squared, absolute);
  }

  /** The statistics of both sets of ratings together. */
  public ErrorStats plus(ErrorStats other) {
    if (count == 0) {
      return other;
    }
    if (other.count == 0) {
      return this;
    }
    return fromSums(count + other.count, count * rmse * rmse + other.count * other.rmse
        * other.rmse, count * mae + other.count * other.mae);
  }

  private static ErrorStats fromSums(long count, double squared, double absolute) {
    return count == 0 ? new ErrorStats(0, Double.NaN, Double.NaN)
        : new ErrorStats(count, Math.sqrt(squared / count), absolute / count);
  }
}
