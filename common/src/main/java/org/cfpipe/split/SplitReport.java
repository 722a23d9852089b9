package org.cfpipe.split;

import org.cfpipe.config.RatingScale;

/**
 * Sizes of the split.
 *
 * @param mode "random" or "explicit"
 * @param validRowsDropped validation rows whose user or item has no training rating
 * @param scale the training ratings' scale (bounds and step), which later stages follow
 */
public record SplitReport(
    String mode, long trainRows, long validRows, long validRowsDropped, RatingScale scale,
    double seconds) {}
