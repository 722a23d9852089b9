package org.cfpipe.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * How a job is launched with spark-submit ({@code cfpipe.submit}): master, deploy mode, driver
 * and executor resources, GPUs, shipped files and any Spark property.
 *
 * @param sparkConf the other Spark properties, in name order, so that the command built from
 *     them does not depend on the order of the file
 */
public record SubmitSettings(
    String sparkSubmit,
    String master,
    DeployMode deployMode,
    String jar,
    String driverMemory,
    String driverJavaOptions,
    int executors,
    int executorCores,
    String executorMemory,
    String executorJavaOptions,
    int gpus,
    int taskGpus,
    String gpuDiscoveryScript,
    List<String> files,
    List<String> jars,
    Map<String, String> sparkConf) {

  private static final Pattern MEMORY = Pattern.compile("\\d+[kmgtKMGT]?");
  private static final String P = "cfpipe.submit.";

  /** Where the driver runs. */
  public enum DeployMode {
    CLIENT,
    CLUSTER
  }

  public static SubmitSettings from(Config config) {
    Map<String, String> sparkConf = new TreeMap<>();
    Config open = config.getConfig(P + "spark-conf");
    for (Map.Entry<String, ConfigValue> entry : open.entrySet()) {
      // Quoted ("spark.serializer") and nested (spark.serializer) spellings name the same property.
      String name = String.join(".", ConfigUtil.splitPath(entry.getKey()));
      sparkConf.put(name, String.valueOf(entry.getValue().unwrapped()));
    }
    return new SubmitSettings(
        Checks.nonEmpty(config, P + "spark-submit"),
        Checks.nonEmpty(config, P + "master"),
        Checks.oneOf(config, P + "deploy-mode", DeployMode.class),
        Checks.nonEmpty(config, P + "jar"),
        memory(config, P + "driver.memory"),
        config.getString(P + "driver.java-options").trim(),
        Checks.intIn(config, P + "executor.instances", 0, 100_000),
        Checks.intIn(config, P + "executor.cores", 1, 1024),
        memory(config, P + "executor.memory"),
        config.getString(P + "executor.java-options").trim(),
        Checks.intIn(config, P + "executor.gpus", 0, 64),
        Checks.intIn(config, P + "executor.task-gpus", 0, 64),
        Checks.nonEmpty(config, P + "executor.gpu-discovery-script"),
        List.copyOf(config.getStringList(P + "files")),
        List.copyOf(config.getStringList(P + "jars")),
        java.util.Collections.unmodifiableMap(sparkConf));
  }

  public SubmitSettings {
    if (taskGpus > gpus) {
      throw new SettingsException(P + "executor.task-gpus (" + taskGpus + ") must not exceed "
          + P + "executor.gpus (" + gpus + ")");
    }
  }

  private static String memory(Config config, String key) {
    String value = Checks.nonEmpty(config, key);
    if (!MEMORY.matcher(value).matches()) {
      throw new SettingsException(key + " must be a JVM memory size such as 2g or 512m, got '"
          + value + "'");
    }
    return value;
  }

  /** Whether the master is a standalone cluster, where executors are bounded by spark.cores.max. */
  public boolean standalone() {
    return master.startsWith("spark://");
  }
}
