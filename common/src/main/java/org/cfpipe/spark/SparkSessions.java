package org.cfpipe.spark;

import org.apache.spark.sql.SparkSession;
import org.cfpipe.config.SparkSettings;

/**
 * Opens the job's SparkSession. The master is never set here: spark-submit, or
 * {@code -Dspark.master=local[*]} in a local launcher, decides where the job runs.
 */
public final class SparkSessions {
  private SparkSessions() {}

  public static SparkSession open(SparkSettings settings) {
    return SparkSession.builder()
        .appName(settings.appName())
        .config("spark.sql.shuffle.partitions", settings.shufflePartitions())
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate();
  }
}
