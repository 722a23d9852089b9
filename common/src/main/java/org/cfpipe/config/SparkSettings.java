package org.cfpipe.config;

import com.typesafe.config.Config;
import java.io.Serializable;

/**
 * What the job sets on its SparkSession ({@code cfpipe.spark}). The master is deliberately absent:
 * spark-submit, or {@code -Dspark.master} for a local run, decides where the job runs.
 */
public record SparkSettings(String appName, int shufflePartitions) implements Serializable {

  public static SparkSettings from(Config config) {
    return new SparkSettings(
        Checks.nonEmpty(config, "cfpipe.spark.app-name"),
        Checks.intIn(config, "cfpipe.spark.shuffle-partitions", 1, 100_000));
  }
}
