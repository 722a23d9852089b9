package org.cfpipe.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.cfpipe.config.ConfigLoader;
import org.cfpipe.config.SettingsException;
import org.cfpipe.config.SubmitSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The spark-submit command built from a configuration file, argument by argument. */
class SubmitCommandTest {
  @TempDir
  Path dir;

  private List<String> command(String conf, String job, String... sets) throws IOException {
    Path file = dir.resolve("env.conf");
    Files.writeString(file, conf);
    SubmitCommand submit = new SubmitCommand();
    submit.job = job;
    submit.conf = file.toFile();
    submit.runDate = "2024-05-01";
    submit.sets = new ArrayList<>(List.of(sets));
    submit.jobArguments = List.of("--resume");
    return submit.command(SubmitSettings.from(ConfigLoader.load(Optional.of(file.toFile()),
        submit.sets)));
  }

  /** The value after the first {@code option}, or after {@code --conf key=} for a property. */
  private static String after(List<String> command, String option) {
    if (option.startsWith("spark.")) {
      return command.stream().filter(a -> a.startsWith(option + "=")).findFirst()
          .map(a -> a.substring(option.length() + 1)).orElse(null);
    }
    int at = command.indexOf(option);
    return at < 0 ? null : command.get(at + 1);
  }

  @Test
  void aStandaloneClientSubmissionTakesEverythingFromTheFile() throws IOException {
    List<String> c = command("""
        cfpipe.submit {
          spark-submit = /opt/spark/bin/spark-submit
          master = "spark://m:7077"
          driver { memory = 3g, java-options = "-Da=1" }
          executor { instances = 3, cores = 2, memory = 5g, java-options = "-Db=2" }
          files = [conf/log4j2-local.properties]
          spark-conf {
            "spark.serializer" = "org.apache.spark.serializer.KryoSerializer"
            spark.sql.adaptive.enabled = false
          }
        }
        """, "train", "cfpipe.train.epochs=3");

    assertEquals("/opt/spark/bin/spark-submit", c.get(0));
    assertEquals("spark://m:7077", after(c, "--master"));
    assertEquals("client", after(c, "--deploy-mode"));
    assertEquals("org.cfpipe.jobs.CfPipe", after(c, "--class"));
    assertEquals("cfpipe-train-2024-05-01", after(c, "--name"));
    assertEquals("3g", after(c, "--driver-memory"));
    assertEquals("5g", after(c, "--executor-memory"));
    assertEquals("2", after(c, "spark.executor.cores"));
    assertEquals("3", after(c, "spark.executor.instances"));
    assertEquals("6", after(c, "spark.cores.max"));
    assertEquals("-Da=1", after(c, "spark.driver.extraJavaOptions"));
    assertEquals("-Db=2", after(c, "spark.executor.extraJavaOptions"));
    assertEquals("org.apache.spark.serializer.KryoSerializer", after(c, "spark.serializer"));
    assertEquals("false", after(c, "spark.sql.adaptive.enabled"));
    assertEquals("conf/log4j2-local.properties", after(c, "--files"));
    // The jar, then the job with the same --conf (a local path in client mode) and --set.
    int jar = c.indexOf("jobs/target/cfpipe-jobs-spark.jar");
    assertEquals(List.of("train", "--conf", dir.resolve("env.conf").toString(), "--run-date",
        "2024-05-01", "--set", "cfpipe.train.epochs=3", "--resume"),
        c.subList(jar + 1, c.size()));
    assertEquals(null, after(c, "spark.executor.resource.gpu.amount"));
  }

  @Test
  void clusterModeShipsTheConfigurationAndGpuExecutorsTheirDiscoveryScript() throws IOException {
    List<String> c = command("""
        cfpipe.submit {
          master = yarn
          deploy-mode = cluster
          executor { gpus = 1, task-gpus = 1 }
        }
        """, "pipeline");

    assertEquals("cluster", after(c, "--deploy-mode"));
    List<String> files = Arrays.asList(after(c, "--files").split(","));
    assertTrue(files.contains(dir.resolve("env.conf").toString()), files.toString());
    assertTrue(files.contains("conf/get-gpus-resources.sh"), files.toString());
    // The driver reads the shipped copy, in its working directory.
    assertEquals("env.conf", c.get(c.indexOf("pipeline") + 2));
    assertEquals("1", after(c, "spark.executor.resource.gpu.amount"));
    assertEquals("1", after(c, "spark.task.resource.gpu.amount"));
    assertEquals("./get-gpus-resources.sh", after(c, "spark.executor.resource.gpu.discoveryScript"));
    assertFalse(c.contains("spark.cores.max=2"), "spark.cores.max is for standalone masters");
  }

  @Test
  void setsChangeTheSubmissionAndBadValuesNameTheirKey() throws IOException {
    List<String> c = command("cfpipe.submit.master = \"local[2]\"\n", "encode",
        "cfpipe.submit.executor.instances=0");
    assertEquals(null, after(c, "spark.executor.instances"));

    SettingsException memory = assertThrows(SettingsException.class,
        () -> command("cfpipe.submit.executor.memory = lots\n", "train"));
    assertTrue(memory.getMessage().contains("cfpipe.submit.executor.memory"), memory.getMessage());
    SettingsException job = assertThrows(SettingsException.class, () -> command("", "trian"));
    assertTrue(job.getMessage().contains("unknown job 'trian'"), job.getMessage());
    SettingsException typo = assertThrows(SettingsException.class,
        () -> command("cfpipe.submit.executor.memroy = 2g\n", "train"));
    assertTrue(typo.getMessage().contains("cfpipe.submit.executor.memroy"), typo.getMessage());
  }

  @Test
  void theJobsAreTheSubcommandsOfCfPipe() {
    assertEquals(new picocli.CommandLine(new CfPipe()).getSubcommands().keySet().stream().toList(),
        SubmitCommand.jobs());
    assertTrue(new File("../conf/get-gpus-resources.sh").isFile());
  }
}
