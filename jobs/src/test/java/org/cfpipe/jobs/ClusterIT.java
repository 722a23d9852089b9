package org.cfpipe.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real Spark standalone cluster: a master and two workers as separate JVMs on 127.0.0.1, from
 * the Maven-resolved Spark jars (a Spark home whose jars/ links to them), and the pipeline
 * submitted to it by submit-scripts/submit.sh, through Spark's own SparkSubmit, with training
 * distributed over both workers.
 */
class ClusterIT {
  static final Path ROOT = DeploymentFilesIT.ROOT;
  static final Path HOME = ROOT.resolve("jobs/target/cluster");
  private static final List<Process> DAEMONS = new ArrayList<>();
  private static int masterPort;

  @BeforeAll
  static void startCluster() throws Exception {
    String classpath = Files.readString(ROOT.resolve("jobs/target/runtime-classpath.txt")).trim();
    // Executor folders of an earlier run would answer for this one.
    for (String old : List.of("work1", "work2", "run-undisturbed")) {
      deleteTree(HOME.resolve(old));
    }
    Path jars = HOME.resolve("spark-home/jars");
    Files.createDirectories(jars);
    Set<String> names = new HashSet<>();
    for (String jar : classpath.split(File.pathSeparator)) {
      Path link = jars.resolve(Path.of(jar).getFileName());
      if (names.add(link.getFileName().toString()) && Files.notExists(link)) {
        Files.createSymbolicLink(link, Path.of(jar));
      }
    }
    masterPort = freePort();
    Path log = HOME.resolve("master.log");
    DAEMONS.add(daemon(classpath, log, "org.apache.spark.deploy.master.Master",
        "--host", "127.0.0.1", "--port", String.valueOf(masterPort), "--webui-port", "0"));
    for (int w = 1; w <= 2; w++) {
      DAEMONS.add(daemon(classpath, HOME.resolve("worker" + w + ".log"),
          "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "1",
          "--memory", "1536m", "--webui-port", "0", "--work-dir",
          HOME.resolve("work" + w).toString(), "spark://127.0.0.1:" + masterPort));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (registeredWorkers(log) < 2) {
      assertTrue(System.nanoTime() < deadline, "the workers did not register within 90 s: "
          + log);
      Thread.sleep(500);
    }
  }

  @AfterAll
  static void stopCluster() {
    for (Process daemon : DAEMONS) {
      daemon.descendants().forEach(ProcessHandle::destroyForcibly);
      daemon.destroyForcibly();
    }
  }

  private static Process daemon(String classpath, Path log, String mainClass, String... args)
      throws IOException {
    List<String> command = new ArrayList<>(List.of(javaBin(),
        "@" + ROOT.resolve("conf/jvm-module-opens.txt"), "-Xmx512m", "-cp", classpath,
        mainClass));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    // Where executors find Spark: the linked jars, for the Scala version of the artifacts.
    builder.environment().put("SPARK_HOME", HOME.resolve("spark-home").toString());
    builder.environment().put("SPARK_SCALA_VERSION", "2.12");
    return builder.start();
  }

  static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static long registeredWorkers(Path masterLog) throws IOException {
    if (!Files.exists(masterLog)) {
      return 0;
    }
    try (Stream<String> lines = Files.lines(masterLog)) {
      return lines.filter(l -> l.contains("Registering worker")).count();
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (Files.exists(root)) {
      try (Stream<Path> files = Files.walk(root)) {
        for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(f);
        }
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** The environment file of the test cluster, as a user would write it. */
  static Path conf(Path dir, Path output) throws IOException {
    Path conf = dir.resolve("cluster.conf");
    Files.writeString(conf, """
        cfpipe {
          output.dir = "%s"
          train.distributed.workers = 2
          spark.shuffle-partitions = 4
          submit {
            spark-submit = submit-scripts/spark-submit-maven.sh
            master = "spark://127.0.0.1:%d"
            driver.memory = 2g
            executor { instances = 2, cores = 1, memory = 1g }
            spark-conf { "spark.ui.enabled" = "false", "spark.driver.host" = "127.0.0.1" }
          }
        }
        """.formatted(output, masterPort));
    return conf;
  }

  @Test
  void thePipelineRunsOnTwoWorkersThroughSubmitSh() throws Exception {
    Path dir = Files.createDirectories(HOME.resolve("run-undisturbed"));
    Path output = dir.resolve("output");
    Path log = dir.resolve("submit.log");
    Process submit = new ProcessBuilder(ROOT.resolve("submit-scripts/submit.sh").toString(),
        "pipeline", "--conf", conf(dir, output).toString(), "--run-date", "2024-01-01",
        "--ratings", ROOT.resolve("data/ml-latest-small/ratings.csv").toString(),
        "--set", "cfpipe.input.items=" + ROOT.resolve("data/ml-latest-small/movies.csv"))
        .directory(ROOT.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(submit.waitFor(8, TimeUnit.MINUTES), "the pipeline did not end in 8 minutes");
    assertEquals(0, submit.exitValue(), "submit.sh failed; see " + log);

    Path run = output.resolve("run_date=2024-01-01/model=dot-bias");
    assertTrue(Files.exists(run.resolve("_SUCCESS")));
    assertTrue(Files.exists(run.resolve("report/report.html")));
    JsonNode metrics = new ObjectMapper().readTree(run.resolve("metrics.json").toFile());
    assertEquals(100_004, metrics.get("input_rows").asLong());
    assertEquals(100_004, metrics.get("train_rows").asLong()
        + metrics.get("valid_rows").asLong() + metrics.get("valid_rows_dropped").asLong());
    // One JVM reaches 0.8485 on this split; parameter averaging over 2 shards lands close.
    double rmse = metrics.get("valid_rmse").asDouble();
    assertTrue(rmse < 0.86, "valid RMSE " + rmse);
    // Both workers ran executors of the application, and both executors ran tasks.
    for (int w = 1; w <= 2; w++) {
      assertTrue(ranTasks(HOME.resolve("work" + w)), "worker " + w + " ran no task");
    }
  }

  private static boolean ranTasks(Path workDir) throws IOException {
    if (!Files.isDirectory(workDir)) {
      return false;
    }
    try (Stream<Path> files = Files.walk(workDir)) {
      return files.filter(f -> f.getFileName().toString().equals("stderr")).anyMatch(f -> {
        try {
          return Files.readString(f).contains("Running task");
        } catch (IOException e) {
          return false;
        }
      });
    }
  }
}
