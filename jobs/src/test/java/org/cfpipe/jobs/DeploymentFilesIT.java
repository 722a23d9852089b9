package org.cfpipe.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.cfpipe.config.ConfigLoader;
import org.cfpipe.config.SubmitSettings;
import org.junit.jupiter.api.Test;

/**
 * The files that launch the jobs outside Maven (submit-scripts/, conf/, the Airflow DAG) refer
 * only to classes, jars and stages that exist, and parse. Runs after {@code package}, against the
 * built jars.
 */
class DeploymentFilesIT {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern CLASS_NAME =
      Pattern.compile("\\b((?:org\\.cfpipe|org\\.apache\\.spark|org\\.nd4j|org\\.deeplearning4j)"
          + "(?:\\.[a-z0-9_]+)*\\.[A-Z][A-Za-z0-9_$]*)");
  private static final Pattern JAR_NAME = Pattern.compile("\\b(cfpipe-jobs[a-z-]*\\.jar)");

  private static List<Path> launchFiles() throws IOException {
    List<Path> files = new ArrayList<>();
    for (String folder : List.of("submit-scripts", "conf", "airflow/dags")) {
      try (Stream<Path> listed = Files.list(ROOT.resolve(folder))) {
        listed.filter(Files::isRegularFile).forEach(files::add);
      }
    }
    return files;
  }

  private static Process run(File workDir, String... command) throws IOException {
    return new ProcessBuilder(command).directory(workDir).redirectErrorStream(true).start();
  }

  private static String output(Process process) throws IOException, InterruptedException {
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    process.waitFor();
    return out;
  }

  @Test
  void everyClassAndJarTheLaunchFilesNameExists() throws Exception {
    TreeSet<String> classes = new TreeSet<>();
    TreeSet<String> jars = new TreeSet<>();
    for (Path file : launchFiles()) {
      String text = Files.readString(file, StandardCharsets.ISO_8859_1);
      Matcher c = CLASS_NAME.matcher(text);
      while (c.find()) {
        classes.add(c.group(1));
      }
      Matcher j = JAR_NAME.matcher(text);
      while (j.find()) {
        jars.add(j.group(1));
      }
    }
    // The names this project depends on, so that an empty scan cannot pass.
    assertTrue(classes.containsAll(List.of("org.cfpipe.jobs.CfPipe",
        "org.cfpipe.jobs.SubmitCommand", "org.apache.spark.deploy.SparkSubmit",
        "org.nd4j.kryo.Nd4jRegistrator")), classes.toString());
    assertTrue(jars.contains("cfpipe-jobs-spark.jar"), jars.toString());
    ClassLoader loader = getClass().getClassLoader();
    for (String name : classes) {
      if (name.startsWith("org.cfpipe.")) {
        // Ours may live in a module this one does not depend on (bench): find its source.
        String source = name.replaceAll("\\$.*", "").replace('.', '/') + ".java";
        assertTrue(Stream.of("common", "jobs", "bench")
            .anyMatch(m -> Files.isRegularFile(ROOT.resolve(m + "/src/main/java/" + source))),
            name + " is named in the launch files but has no source");
      } else {
        Class.forName(name, false, loader);
      }
    }
    for (String jar : jars) {
      assertTrue(Files.isRegularFile(ROOT.resolve("jobs/target").resolve(jar)),
          jar + " is named in the launch files but mvn package did not build it");
    }
  }

  @Test
  void theNightlyScriptAndTheDagRunTheStagesInPipelineOrder() throws IOException {
    List<String> stages = Arrays.stream(Stage.values()).map(Stage::spelling).toList();
    String nightly = Files.readString(ROOT.resolve("submit-scripts/nightly.sh"));
    Matcher loop = Pattern.compile("for stage in ([a-z ]+); do").matcher(nightly);
    assertTrue(loop.find(), "nightly.sh has no stage loop");
    assertEquals(stages, List.of(loop.group(1).trim().split(" +")));
    String dag = Files.readString(ROOT.resolve("airflow/dags/cfpipe_nightly.py"));
    Matcher list = Pattern.compile("STAGES = \\[([^]]+)]").matcher(dag);
    assertTrue(list.find(), "the DAG has no STAGES list");
    assertEquals(stages, Arrays.stream(list.group(1).split(","))
        .map(s -> s.trim().replace("\"", "")).toList());
  }

  @Test
  void nightlyShStopsAtTheFirstFailedStageWithItsExitStatus() throws Exception {
    Path out = Files.createTempDirectory("nightly");
    Process p = run(ROOT.toFile(), "submit-scripts/nightly.sh", "2024-05-01",
        "--set", "cfpipe.input.ratings=" + out.resolve("missing.csv"),
        "--set", "cfpipe.output.dir=" + out.resolve("output"));
    String log = output(p);
    assertEquals(2, p.exitValue(), log);
    assertTrue(log.contains("input not found: " + out.resolve("missing.csv")), log);
    assertTrue(log.contains("nightly.sh: ingest failed with exit status 2"), log);
    assertFalse(log.contains("nightly.sh: encode"), log);
  }

  @Test
  void nightlyShRunsARangeOfNightsInDateOrderAndStopsAtTheFirstFailure() throws Exception {
    Path out = Files.createTempDirectory("nightly-range");
    Process p = run(ROOT.toFile(), "submit-scripts/nightly.sh", "2024-05-01", "2024-05-03",
        "--set", "cfpipe.input.ratings=" + out.resolve("missing.csv"),
        "--set", "cfpipe.output.dir=" + out.resolve("output"));
    String log = output(p);
    assertEquals(2, p.exitValue(), log);
    assertTrue(log.contains("nightly.sh: ingest for 2024-05-01"), log);
    assertTrue(log.contains("later stages and nights not run"), log);
    assertFalse(log.contains("2024-05-02"), log);

    Process backwards = run(ROOT.toFile(), "submit-scripts/nightly.sh", "2024-05-03",
        "2024-05-01");
    String refused = output(backwards);
    assertEquals(1, backwards.exitValue(), refused);
    assertTrue(refused.contains("2024-05-01 is before 2024-05-03"), refused);
  }

  @Test
  void theDagCompiles() throws Exception {
    Path pyc = Files.createTempDirectory("dag-pyc");
    Process p = new ProcessBuilder("python3", "-c", "import py_compile, sys; "
        + "py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)",
        ROOT.resolve("airflow/dags/cfpipe_nightly.py").toString(),
        pyc.resolve("dag.pyc").toString()).redirectErrorStream(true).start();
    String out = output(p);
    assertEquals(0, p.exitValue(), out);
  }

  @Test
  void everyEnvironmentFileParsesAndSubmitShBuildsItsCommand() throws Exception {
    List<Path> confs;
    try (Stream<Path> listed = Files.list(ROOT.resolve("conf"))) {
      confs = listed.filter(f -> f.toString().endsWith(".conf")).sorted().toList();
    }
    assertEquals(List.of("k8s.conf", "local.conf", "standalone.conf", "yarn.conf"),
        confs.stream().map(f -> f.getFileName().toString()).toList());
    for (Path conf : confs) {
      SubmitSettings submit = SubmitSettings.from(ConfigLoader.load(Optional.of(conf.toFile()),
          List.of()));
      Process p = run(ROOT.toFile(), "submit-scripts/submit.sh", "--dry-run", "pipeline",
          "--conf", conf.toString(), "--run-date", "2024-05-01");
      String out = output(p).trim();
      assertEquals(0, p.exitValue(), conf + ": " + out);
      assertTrue(out.startsWith(submit.sparkSubmit() + " --master "), conf + ": " + out);
      assertTrue(out.contains(" pipeline --conf "), conf + ": " + out);
    }
  }

  @Test
  void theSparkPropertiesFilesParseAndSetOnlySparkProperties() throws IOException {
    for (String name : List.of("spark-dl4j.properties", "spark-gpu.properties",
        "spark-s3a.properties")) {
      java.util.Properties properties = new java.util.Properties();
      try (var in = Files.newBufferedReader(ROOT.resolve("conf").resolve(name))) {
        properties.load(in);
      }
      assertFalse(properties.isEmpty(), name);
      for (String key : properties.stringPropertyNames()) {
        assertTrue(key.startsWith("spark."), name + ": " + key);
        assertFalse(properties.getProperty(key).isBlank(), name + ": " + key);
      }
    }
  }

  @Test
  void theGpuDiscoveryScriptPrintsValidJsonWithoutGpus() throws Exception {
    Process p = run(ROOT.toFile(), "bash", "conf/get-gpus-resources.sh");
    String out = output(p);
    assertEquals(0, p.exitValue(), out);
    JsonNode json = new ObjectMapper().readTree(out);
    assertEquals("gpu", json.get("name").asText());
    assertTrue(json.get("addresses").isArray(), out);
    // These machines have no GPU (and no nvidia-smi): Spark would see zero addresses.
    assertFalse(json.get("addresses").elements().hasNext() && !hasNvidiaSmi(), out);
  }

  private static boolean hasNvidiaSmi() {
    return Stream.of(System.getenv("PATH").split(File.pathSeparator))
        .anyMatch(d -> Files.isExecutable(Path.of(d, "nvidia-smi")));
  }
}
