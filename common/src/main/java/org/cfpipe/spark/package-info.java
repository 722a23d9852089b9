/**
 * Spark and Hadoop plumbing every stage shares: the SparkSession a job opens, where a run's files
 * live ({@link org.cfpipe.spark.RunLayout}), small JSON and commit helpers over any Hadoop
 * FileSystem, and the {@code file:} filesystem the session uses ({@link
 * org.cfpipe.spark.LocalFiles}). No pipeline logic lives here.
 */
package org.cfpipe.spark;
