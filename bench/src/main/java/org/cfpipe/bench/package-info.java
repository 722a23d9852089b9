/**
 * Benchmarks run by hand ({@code submit-scripts/benchmark.sh}), never by the test suite: their
 * results, with the command that produced them, are committed under {@code docs/benchmarks/}.
 */
package org.cfpipe.bench;
