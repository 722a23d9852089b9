package org.cfpipe.train.dl4j;

import java.util.Locale;
import org.apache.spark.SparkConf;
import org.cfpipe.config.ModelSettings;
import org.cfpipe.config.SettingsException;
import org.cfpipe.config.TrainSettings;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the Deeplearning4j stack needs from the JVM and from Spark before it trains: where
 * JavaCPP unpacks its natives, a time source that does not query an NTP server, Kryo registration
 * of ND4J arrays, and a warning when dense updates of large embedding tables will be slow.
 */
final class Dl4jRuntime {
  private static final Logger LOG = LoggerFactory.getLogger(Dl4jRuntime.class);
  static final String JAVACPP_CACHE_PROPERTY = "org.bytedeco.javacpp.cachedir";
  static final String TIME_SOURCE_PROPERTY = "org.deeplearning4j.spark.time.TimeSource";
  static final String SYSTEM_CLOCK = "org.deeplearning4j.spark.time.SystemClockTimeSource";
  static final String KRYO_REGISTRATOR = "org.nd4j.kryo.Nd4jRegistrator";
  /**
   * Nanoseconds per parameter of one dense Adam step on the embedding tables, measured by
   * {@code submit-scripts/benchmark.sh --only dl4j} on the 2-core reference machine
   * (docs/benchmarks/dl4j-engine.md: 88 ms for 10.2M parameters).
   */
  static final double ADAM_NANOS_PER_PARAMETER = 8.5;
  /** SGD with momentum keeps one state array to Adam's two: estimated, not measured. */
  static final double SGD_NANOS_PER_PARAMETER = 4.0;

  private Dl4jRuntime() {}

  /** Sets the JVM properties and ND4J's threads; call before the first use of ND4J. */
  static void prepare(TrainSettings.Dl4j settings) {
    if (settings.nativeCacheDir() != null && System.getProperty(JAVACPP_CACHE_PROPERTY) == null) {
      System.setProperty(JAVACPP_CACHE_PROPERTY, settings.nativeCacheDir());
    }
    if (System.getProperty(TIME_SOURCE_PROPERTY) == null) {
      System.setProperty(TIME_SOURCE_PROPERTY, SYSTEM_CLOCK);
    }
    threads(settings.opThreads());
  }

  /** Threads of one ND4J operation, in this JVM (the driver, or an executor's task). */
  static void threads(int count) {
    if (count > 0) {
      Nd4j.getEnvironment().setMaxThreads(count);
      Nd4j.getEnvironment().setMaxMasterThreads(count);
      // OpenMP inside libnd4j and the BLAS keep their own counts.
      NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(count);
      Nd4j.factory().blas().setMaxThreads(count);
    }
  }

  /** Estimated milliseconds of one dense update of the embedding tables. */
  static double denseStepMillis(ModelSettings model, TrainSettings train, long users,
      long items) {
    double nanos = train.optimizer() == TrainSettings.Optimizer.ADAM
        ? ADAM_NANOS_PER_PARAMETER : SGD_NANOS_PER_PARAMETER;
    return GraphParameters.embeddingParameters(model, users, items) * nanos / 1e6;
  }

  /** Logs a warning when the dense updates are expected to dominate each step. */
  static void warnIfDense(ModelSettings model, TrainSettings train, long users, long items,
      long stepsPerEpoch) {
    double millis = denseStepMillis(model, train, users, items);
    if (millis > train.dl4j().denseWarningMillis()) {
      LOG.warn(String.format(Locale.ROOT, "dl4j engine: the embedding tables hold %,d "
              + "parameters (%,d users, %,d items) and DL4J updates all of them at every step: "
              + "about %.0f ms a step, %.0f s an epoch of %,d steps, before any gradient work. "
              + "The sparse engine (cfpipe.train.engine = sparse) updates only the rows of each "
              + "batch, for dot and dot-bias.",
          GraphParameters.embeddingParameters(model, users, items), users, items, millis,
          millis * stepsPerEpoch / 1e3, stepsPerEpoch));
    }
  }

  /** Fails when Spark serialises with Kryo without ND4J's registrator (arrays would break). */
  static void checkKryo(SparkConf conf) {
    String serializer = conf.get("spark.serializer", "");
    String registrators = conf.get("spark.kryo.registrator", "");
    if (serializer.contains("KryoSerializer") && !registrators.contains(KRYO_REGISTRATOR)) {
      throw new SettingsException("spark.serializer is Kryo, so the dl4j engine needs "
          + "spark.kryo.registrator=" + KRYO_REGISTRATOR + " (got '" + registrators + "')");
    }
  }
}
