package org.cfpipe.ids;

/**
 * Sizes of the id maps (the model has one row per user and one per item) and what the minimum
 * counts left out.
 *
 * @param filteredRows ratings left out because their user or item had too few ratings
 * @param filteredUsers users below {@code cfpipe.ids.min-user-ratings}
 * @param filteredItems items below {@code cfpipe.ids.min-item-ratings}
 * @param extended the run folder whose id maps were extended; null for fresh maps
 */
public record EncodeReport(long users, long items, long encodedRows, long filteredRows,
    long filteredUsers, long filteredItems, double seconds, String extended) {}
