/**
 * Spark and Hadoop plumbing every stage shares: the SparkSession a job opens, where a run's files
 * live ({@link org.cfpipe.spark.RunLayout}), and small JSON and commit helpers over any Hadoop
 * FileSystem. No pipeline logic lives here.
 */
package org.cfpipe.spark;
