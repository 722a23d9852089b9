/**
 * Ingest: reads rating files from any Hadoop FileSystem, parses each line by its declared format,
 * and splits the input into accepted ratings and a rejects table that keeps every bad line with
 * its file, byte offset and reason, so that input rows = accepted + rejected exactly.
 * Also the planted-factor generator of synthetic ratings with a known truth.
 */
package org.cfpipe.ingest;
