package org.cfpipe.train.dl4j;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Optional;
import org.apache.spark.SparkConf;
import org.cfpipe.config.ConfigLoader;
import org.cfpipe.config.PipelineSettings;
import org.cfpipe.config.SettingsException;
import org.junit.jupiter.api.Test;

/** The dl4j engine's checks of its environment. */
class Dl4jRuntimeTest {

  @Test
  void kryoWithoutNd4jsRegistratorIsRefused() {
    SparkConf kryo = new SparkConf(false)
        .set("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
    assertThrows(SettingsException.class, () -> Dl4jRuntime.checkKryo(kryo));
    assertDoesNotThrow(() -> Dl4jRuntime.checkKryo(
        kryo.clone().set("spark.kryo.registrator", Dl4jRuntime.KRYO_REGISTRATOR)));
    assertDoesNotThrow(() -> Dl4jRuntime.checkKryo(new SparkConf(false)));
  }

  @Test
  void denseUpdateEstimateCountsEveryEmbeddingParameter() {
    PipelineSettings s = PipelineSettings.from(ConfigLoader.load(Optional.empty(), List.of(
        "cfpipe.input.ratings=x", "cfpipe.model.type=dot-bias", "cfpipe.model.factors=10",
        "cfpipe.train.engine=dl4j")), "2024-01-01");
    // (1000 users + 500 items) x (10 factors + 1 bias) parameters, Adam.
    assertEquals(16_500 * Dl4jRuntime.ADAM_NANOS_PER_PARAMETER / 1e6,
        Dl4jRuntime.denseStepMillis(s.model(), s.train(), 1000, 500), 1e-12);
  }
}
