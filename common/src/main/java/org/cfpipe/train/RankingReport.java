package org.cfpipe.train;

import org.cfpipe.train.implicit.ImplicitTuning;

/**
 * What the train stage did about the top-N model, for the stages after it and
 * {@code metadata.json}.
 *
 * @param trained whether the run has a top-N model
 * @param reason why, or why not
 * @param model the top-N model's type: {@code implicit} (implicit ALS) or {@code most-rated}
 *     (the tuning found that the most-rated items rank best), or null
 * @param weighting the regularization's weighting, count or constant
 * @param preference graded or binary
 * @param seconds the time its training took, the tuning included
 * @param recommendFrom which model {@code recommend} lists from: {@code ranking} or
 *     {@code rating}
 * @param tuning the candidates tried on the training ratings' holdout and the choice; null
 *     when {@code cfpipe.ranking.tune} is false or the choice was reused
 * @param tunedOn the run date of the night whose tuning chose the settings (this one's, or
 *     an earlier night's when they were reused); null when not tuned
 * @param reusedFrom the run folder whose choice was reused ({@code
 *     cfpipe.ranking.reuse-tuning-days}); null when this night tuned or did not tune
 */
public record RankingReport(boolean trained, String reason, String model, int factors,
    int iterations, double regularization, String weighting, double alpha, String preference,
    double seconds, String recommendFrom, ImplicitTuning.Result tuning, String tunedOn,
    String reusedFrom) {

  /** A run without a top-N model: {@code recommend} lists from the rating model. */
  public static RankingReport none(String reason) {
    return new RankingReport(false, reason, null, 0, 0, 0, null, 0, null, 0, "rating", null,
        null, null);
  }
}
