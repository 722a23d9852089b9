package org.cfpipe.ingest;

import java.util.Map;

/**
 * What the ingest stage saw. {@code inputRows = acceptedRows + rejectedRows} holds exactly, over
 * the training ratings and the explicit validation file together.
 *
 * @param rejectedByReason rejected rows per {@link RejectReason} name, duplicates that were not
 *     kept included (DUPLICATE_RATING)
 * @param validationInputRows accepted rows of the explicit validation file (0 without one)
 */
public record IngestReport(
    long inputRows,
    long acceptedRows,
    long rejectedRows,
    Map<String, Long> rejectedByReason,
    long ratingsAccepted,
    long validationInputRows,
    double seconds) {}
