package org.cfpipe.ingest;

import org.cfpipe.config.GenerateSettings;

/**
 * What the generate job wrote, as {@code oracle.json}.
 *
 * @param oracleRmse RMSE of the clamped planted truth against the ratings: the noise floor
 * @param distinctUsers users with at least one rating (the heavy tail leaves some without)
 */
public record GenerateReport(
    GenerateSettings settings,
    long ratings,
    long distinctUsers,
    long distinctItems,
    double oracleRmse,
    double seconds) {}
