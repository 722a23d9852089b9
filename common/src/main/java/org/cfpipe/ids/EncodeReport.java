package org.cfpipe.ids;

/** Sizes of the id maps: the model has one row per user and one per item. */
public record EncodeReport(long users, long items, long encodedRows, double seconds) {}
