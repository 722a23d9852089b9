package org.cfpipe.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.cfpipe.config.SparkSettings;

/**
 * Opens the job's SparkSession. The master is never set here: spark-submit, or
 * {@code -Dspark.master=local[*]} in a local launcher, decides where the job runs.
 */
public final class SparkSessions {
  private SparkSessions() {}

  private static final String FILE_IMPL = "spark.hadoop.fs.file.impl";

  public static SparkSession open(SparkSettings settings) {
    SparkSession.Builder builder = SparkSession.builder()
        .appName(settings.appName())
        .config("spark.sql.shuffle.partitions", settings.shufflePartitions())
        .config("spark.sql.session.timeZone", "UTC");
    if (!new SparkConf().contains(FILE_IMPL)) {
      builder.config(FILE_IMPL, LocalFiles.class.getName());
    }
    return builder.getOrCreate();
  }
}
