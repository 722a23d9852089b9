package org.cfpipe.split;

/**
 * Sizes of the split.
 *
 * @param mode "random" or "explicit"
 * @param validRowsDropped validation rows whose user or item has no training rating
 */
public record SplitReport(
    String mode, long trainRows, long validRows, long validRowsDropped, double seconds) {}
