package org.cfpipe.jobs;

import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.cfpipe.config.ConfigLoader;
import org.cfpipe.config.SettingsException;
import org.cfpipe.config.SubmitSettings;
import org.cfpipe.config.SubmitSettings.DeployMode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Unmatched;

/**
 * Builds the spark-submit command of a job from its configuration ({@code cfpipe.submit}), so one
 * file in {@code conf/} drives both Spark and the job. submit-scripts/submit.sh runs it and
 * executes what it prints: the arguments, each ended by a NUL byte.
 */
@Command(name = "cfpipe-submit", mixinStandardHelpOptions = true,
    description = "Prints the spark-submit command of a cfpipe job, NUL-separated.")
public final class SubmitCommand implements Callable<Integer> {
  static final String MAIN_CLASS = "org.cfpipe.jobs.CfPipe";

  @Parameters(index = "0", paramLabel = "JOB", description = "The cfpipe subcommand to run.")
  String job;

  @Option(names = "--conf", required = true, paramLabel = "FILE",
      description = "The environment's configuration: the job's settings and cfpipe.submit.")
  File conf;

  @Option(names = "--run-date", required = true, paramLabel = "YYYY-MM-DD")
  String runDate;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Repeatable; the job gets "
      + "them too, and cfpipe.submit.* keys change the submission.")
  List<String> sets = new ArrayList<>();

  @Unmatched
  List<String> jobArguments = new ArrayList<>();

  public static void main(String[] args) {
    CommandLine cli = new CommandLine(new SubmitCommand());
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      commandLine.getErr().println("cfpipe-submit: " + e.getMessage());
      return 1;
    });
    System.exit(cli.execute(args));
  }

  @Override
  public Integer call() {
    SubmitSettings submit = SubmitSettings.from(ConfigLoader.load(Optional.of(conf), sets));
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    for (String argument : command(submit)) {
      out.print(argument);
      out.print('\0');
    }
    out.flush();
    return 0;
  }

  /** The spark-submit command line: Spark's options, the jar, then the job and its arguments. */
  List<String> command(SubmitSettings submit) {
    List<String> jobs = jobs();
    if (!jobs.contains(job)) {
      throw new SettingsException("unknown job '" + job + "'; the jobs are " + jobs);
    }
    boolean cluster = submit.deployMode() == DeployMode.CLUSTER;
    List<String> files = new ArrayList<>(submit.files());
    // In cluster mode the driver runs elsewhere: ship the configuration and read the copy.
    String confArgument = conf.getPath();
    if (cluster) {
      files.add(conf.getPath());
      confArgument = conf.getName();
    }
    List<String> c = new ArrayList<>(List.of(submit.sparkSubmit(),
        "--master", submit.master(),
        "--deploy-mode", submit.deployMode().name().toLowerCase(java.util.Locale.ROOT),
        "--name", "cfpipe-" + job + "-" + runDate,
        "--class", MAIN_CLASS,
        "--driver-memory", submit.driverMemory(),
        "--executor-memory", submit.executorMemory()));
    conf(c, "spark.executor.cores", String.valueOf(submit.executorCores()));
    if (submit.executors() > 0) {
      conf(c, "spark.executor.instances", String.valueOf(submit.executors()));
      if (submit.standalone()) {
        conf(c, "spark.cores.max", String.valueOf(submit.executors() * submit.executorCores()));
      }
    }
    if (!submit.driverJavaOptions().isEmpty()) {
      conf(c, "spark.driver.extraJavaOptions", submit.driverJavaOptions());
    }
    if (!submit.executorJavaOptions().isEmpty()) {
      conf(c, "spark.executor.extraJavaOptions", submit.executorJavaOptions());
    }
    if (submit.gpus() > 0) {
      File script = new File(submit.gpuDiscoveryScript());
      files.add(script.getPath());
      conf(c, "spark.executor.resource.gpu.amount", String.valueOf(submit.gpus()));
      conf(c, "spark.task.resource.gpu.amount", String.valueOf(submit.taskGpus()));
      conf(c, "spark.executor.resource.gpu.discoveryScript", "./" + script.getName());
    }
    for (Map.Entry<String, String> property : submit.sparkConf().entrySet()) {
      conf(c, property.getKey(), property.getValue());
    }
    if (!files.isEmpty()) {
      c.add("--files");
      c.add(String.join(",", files));
    }
    if (!submit.jars().isEmpty()) {
      c.add("--jars");
      c.add(String.join(",", submit.jars()));
    }
    c.add(submit.jar());
    c.addAll(List.of(job, "--conf", confArgument, "--run-date", runDate));
    for (String set : sets) {
      c.add("--set");
      c.add(set);
    }
    c.addAll(jobArguments);
    return c;
  }

  /**
   * The subcommands of {@link CfPipe}, from its annotation: the class itself is not initialised,
   * since its logger is Spark's slf4j, which this launcher's class path does not have.
   */
  static List<String> jobs() {
    List<String> names = new ArrayList<>();
    for (Class<?> subcommand : CfPipe.class.getAnnotation(Command.class).subcommands()) {
      names.add(subcommand.getAnnotation(Command.class).name());
    }
    return names;
  }

  private static void conf(List<String> command, String key, String value) {
    command.add("--conf");
    command.add(key + "=" + value);
  }
}
