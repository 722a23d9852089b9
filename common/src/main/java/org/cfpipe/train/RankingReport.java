package org.cfpipe.train;

/**
 * What the train stage did about the top-N model, for the stages after it and
 * {@code metadata.json}.
 *
 * @param trained whether the run has a top-N model
 * @param reason why, or why not
 * @param model the top-N model's type ({@code implicit}), or null
 * @param preference graded or binary
 * @param seconds the time its training took
 * @param recommendFrom which model {@code recommend} lists from: {@code ranking} or
 *     {@code rating}
 */
public record RankingReport(boolean trained, String reason, String model, int factors,
    int iterations, double regularization, double alpha, String preference, double seconds,
    String recommendFrom) {

  /** A run without a top-N model: {@code recommend} lists from the rating model. */
  public static RankingReport none(String reason) {
    return new RankingReport(false, reason, null, 0, 0, 0, 0, null, 0, "rating");
  }
}
