/**
 * Tables out: the published factor tables keyed by the original ids, and {@code metrics.json}
 * with the run's counts, accuracy and timings. Reads what the earlier stages stored; writes
 * nothing they read.
 */
package org.cfpipe.io;
