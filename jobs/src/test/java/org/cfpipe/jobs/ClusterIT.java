package org.cfpipe.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A real Spark standalone cluster: a master and two workers as separate JVMs on 127.0.0.1, from
 * the Maven-resolved Spark jars (a Spark home whose jars/ links to them), and the pipeline
 * submitted to it by submit-scripts/submit.sh, through Spark's own SparkSubmit, with training
 * distributed over both workers; the gibbs engine's chains as tasks on both; then the first run
 * with the driver killed and resumed, and with a worker killed in the middle of training.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {
  static final Path ROOT = DeploymentFilesIT.ROOT;
  static final Path HOME = ROOT.resolve("jobs/target/cluster");
  private static final List<Process> DAEMONS = new ArrayList<>();
  private static int masterPort;
  private static JsonNode undisturbed;

  @BeforeAll
  static void startCluster() throws Exception {
    String classpath = Files.readString(ROOT.resolve("jobs/target/runtime-classpath.txt")).trim();
    // Executor folders of an earlier run would answer for this one.
    for (String old : List.of("work1", "work2")) {
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
    DAEMONS.forEach(ClusterIT::kill);
  }

  /** SIGKILL to a process and everything it started (a worker's executors, a driver's JVM). */
  private static void kill(Process process) {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
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
          # Long enough to kill something in the middle, the same for every run here.
          train {
            distributed { workers = 2, rounds-per-epoch = 2 }
            # The sparse engine's epochs: auto would pick gibbs for a sample this small.
            engine = sparse
            epochs = 20
            early-stopping.enabled = false
          }
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

  /** Starts submit.sh with the pipeline on the bundled sample, logging to dir/submit.log. */
  private static Process submit(Path dir, String... more) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        ROOT.resolve("submit-scripts/submit.sh").toString(), "pipeline",
        "--conf", conf(dir, dir.resolve("output")).toString(), "--run-date", "2024-01-01",
        "--ratings", ROOT.resolve("data/ml-latest-small/ratings.csv").toString(),
        "--set", "cfpipe.input.items=" + ROOT.resolve("data/ml-latest-small/movies.csv")));
    command.addAll(List.of(more));
    return new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("submit.log").toFile()))
        .start();
  }

  private static void succeeds(Process submit, Path dir) throws InterruptedException {
    assertTrue(submit.waitFor(8, TimeUnit.MINUTES), "the pipeline did not end in 8 minutes");
    assertEquals(0, submit.exitValue(), "submit.sh failed; see " + dir.resolve("submit.log"));
  }

  /**
   * Starts the pipeline in a fresh {@code dir} and returns once the driver has logged the end of
   * {@code epoch}, the run still going.
   */
  private static Process submitUntilEpoch(Path dir, int epoch) throws Exception {
    deleteAndCreate(dir);
    Process submit = submit(dir);
    String line = "epoch " + epoch + "/20";
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (!Files.readString(dir.resolve("submit.log")).contains(line)) {
      assertTrue(submit.isAlive(), "the pipeline ended before " + line);
      assertTrue(System.nanoTime() < deadline, "no " + line + " within 5 minutes");
      Thread.sleep(100);
    }
    return submit;
  }

  private static JsonNode metrics(Path dir) throws IOException {
    Path run = dir.resolve("output/run_date=2024-01-01/model=dot-bias");
    assertTrue(Files.exists(run.resolve("_SUCCESS")), "no committed run in " + run);
    return new ObjectMapper().readTree(run.resolve("metrics.json").toFile());
  }

  private static void deleteAndCreate(Path dir) throws IOException {
    deleteTree(dir);
    Files.createDirectories(dir);
  }

  @Test
  @Order(1)
  void thePipelineRunsOnTwoWorkersThroughSubmitSh() throws Exception {
    Path dir = HOME.resolve("run-undisturbed");
    deleteAndCreate(dir);
    succeeds(submit(dir), dir);

    Path run = dir.resolve("output/run_date=2024-01-01/model=dot-bias");
    assertTrue(Files.exists(run.resolve("report/report.html")));
    JsonNode metrics = metrics(dir);
    assertEquals(100_004, metrics.get("input_rows").asLong());
    assertEquals(100_004, metrics.get("train_rows").asLong()
        + metrics.get("valid_rows").asLong() + metrics.get("valid_rows_dropped").asLong());
    // One JVM reaches 0.8485 on this split; parameter averaging over 2 shards lands close.
    undisturbed = metrics;
    double rmse = metrics.get("valid_rmse").asDouble();
    assertTrue(rmse < 0.87, "valid RMSE " + rmse);
    // Both workers ran executors of the application, and both executors ran tasks.
    for (int w = 1; w <= 2; w++) {
      assertTrue(ranTasks(HOME.resolve("work" + w)), "worker " + w + " ran no task");
    }
  }

  /** The gibbs engine's chains run as tasks on the executors, and the driver combines them. */
  @Test
  @Order(2)
  void theGibbsEnginesChainsRunOnTheExecutors() throws Exception {
    Path dir = HOME.resolve("run-gibbs-chains");
    deleteAndCreate(dir);
    succeeds(submit(dir, "--set", "cfpipe.train.engine=gibbs",
        "--set", "cfpipe.model.y-range.enabled=false", "--set", "cfpipe.train.gibbs.chains=2",
        "--set", "cfpipe.train.gibbs.sweeps=60", "--set", "cfpipe.train.gibbs.burn-in=20"), dir);

    String driver = Files.readString(dir.resolve("submit.log"));
    assertTrue(driver.contains("sampling chains [0, 1] in 2 task(s)"),
        "see " + dir.resolve("submit.log"));
    assertTrue(driver.contains("chain 2 added"), "see " + dir.resolve("submit.log"));
    // Sampled in the executors' JVMs, not in the driver's.
    for (String chain : List.of("chain 1/2  sweep 60/60", "chain 2/2  sweep 60/60")) {
      assertFalse(driver.contains(chain), "the driver ran " + chain);
      assertTrue(executorLogsContain(chain), "no executor ran " + chain);
    }
    double rmse = metrics(dir).get("valid_rmse").asDouble();
    assertTrue(rmse < 0.87, "valid RMSE " + rmse);
  }

  /**
   * One gibbs chain's sweeps over blocks of users and items, each block built and drawn in an
   * executor, the driver drawing only the hyperparameters.
   */
  @Test
  @Order(2)
  void oneGibbsChainsSweepsRunOnTheExecutors() throws Exception {
    Path dir = HOME.resolve("run-gibbs-sweeps");
    deleteAndCreate(dir);
    succeeds(submit(dir, "--set", "cfpipe.train.engine=gibbs",
        "--set", "cfpipe.model.y-range.enabled=false",
        "--set", "cfpipe.train.distributed.gibbs=sweeps",
        "--set", "cfpipe.train.gibbs.implicit=false",
        "--set", "cfpipe.train.gibbs.sweeps=60", "--set", "cfpipe.train.gibbs.burn-in=20"), dir);

    String driver = Files.readString(dir.resolve("submit.log"));
    assertTrue(driver.contains("one chain's sweeps over 2 blocks")
        && driver.contains("sweep 60/60"), "see " + dir.resolve("submit.log"));
    for (String block : List.of("users' block 1/2", "users' block 2/2", "items' block 1/2",
        "items' block 2/2")) {
      assertFalse(driver.contains(block), "the driver built the " + block);
      assertTrue(executorLogsContain(block), "no executor built the " + block);
    }
    double rmse = metrics(dir).get("valid_rmse").asDouble();
    assertTrue(rmse < 0.88, "valid RMSE " + rmse);
  }

  /**
   * The driver (the SparkSubmit JVM, in client mode) killed once it has logged epoch 5; the
   * pipeline submitted again with --resume continues from the newest checkpoint (epoch 4 or 5)
   * instead of epoch 1.
   */
  @Test
  @Order(3)
  void aKilledDriverResumesFromTheLastCheckpoint() throws Exception {
    Path dir = HOME.resolve("run-driver-killed");
    Process first = submitUntilEpoch(dir, 5);
    kill(first);
    first.waitFor();

    succeeds(submit(dir, "--resume"), dir);
    String log = Files.readString(dir.resolve("submit.log"));
    java.util.regex.Matcher resumed = java.util.regex.Pattern
        .compile("resumed from the checkpoint after epoch (\\d+)").matcher(log);
    assertTrue(resumed.find(), "the second run did not resume");
    // Epoch 5 is logged before its checkpoint is written: the kill may come between the two.
    assertTrue(Integer.parseInt(resumed.group(1)) >= 4, resumed.group());
    String second = log.substring(resumed.end());
    assertTrue(!second.contains("epoch 1/20") && second.contains("epoch 20/20"), "the second run "
        + "did not continue from the checkpoint to the last epoch");
    assertSameOutcome(metrics(dir));
  }

  /** One of the two workers (and its executor) killed after epoch 5: the job still completes. */
  @Test
  @Order(4)
  void theJobSurvivesAWorkerKilledMidTraining() throws Exception {
    Path dir = HOME.resolve("run-worker-killed");
    Process submit = submitUntilEpoch(dir, 5);
    kill(DAEMONS.get(2));

    succeeds(submit, dir);
    assertTrue(Files.readString(dir.resolve("submit.log")).contains("Lost executor"),
        "the driver never noticed the lost executor");
    assertSameOutcome(metrics(dir));
  }

  private static void assertSameOutcome(JsonNode metrics) {
    assertTrue(undisturbed != null, "the undisturbed run did not pass");
    for (String count : List.of("input_rows", "train_rows", "valid_rows", "users", "items")) {
      assertEquals(undisturbed.get(count).asLong(), metrics.get(count).asLong(), count);
    }
    double rmse = metrics.get("valid_rmse").asDouble();
    double reference = undisturbed.get("valid_rmse").asDouble();
    assertTrue(Math.abs(rmse - reference) <= 0.01, "valid RMSE " + rmse + " against "
        + reference + " undisturbed");
  }

  private static boolean ranTasks(Path workDir) throws IOException {
    return logsContain(workDir, "Running task");
  }

  private static boolean executorLogsContain(String text) throws IOException {
    return logsContain(HOME.resolve("work1"), text) || logsContain(HOME.resolve("work2"), text);
  }

  /** Whether an executor's stderr under a worker's work directory contains {@code text}. */
  private static boolean logsContain(Path workDir, String text) throws IOException {
    if (!Files.isDirectory(workDir)) {
      return false;
    }
    try (Stream<Path> files = Files.walk(workDir)) {
      return files.filter(f -> f.getFileName().toString().equals("stderr")).anyMatch(f -> {
        try {
          return Files.readString(f).contains(text);
        } catch (IOException e) {
          return false;
        }
      });
    }
  }
}
