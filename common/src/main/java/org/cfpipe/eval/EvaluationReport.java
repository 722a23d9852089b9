package org.cfpipe.eval;

/** Accuracy on the validation ratings, computed by Spark from the stored model. */
public record EvaluationReport(long validRows, double validRmse, double validMae, double seconds) {}
