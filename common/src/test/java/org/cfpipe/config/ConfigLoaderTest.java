package org.cfpipe.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  private static PipelineSettings settings(String... sets) {
    List<String> all = new java.util.ArrayList<>(List.of("cfpipe.input.ratings=r.csv"));
    all.addAll(List.of(sets));
    return PipelineSettings.from(ConfigLoader.load(Optional.empty(), all), "2024-03-01");
  }

  @Test
  void defaultsComeFromReferenceConf() {
    PipelineSettings s = settings();
    assertEquals(LocalDate.of(2024, 3, 1), s.runDate());
    assertEquals("r.csv", s.input().ratings());
    assertEquals(InputSettings.InputFormat.MOVIELENS_CSV, s.input().format());
    assertTrue(s.input().validationRatings().isEmpty());
    assertEquals(0.2, s.split().validationFraction());
    assertEquals(ModelSettings.Type.DOT_BIAS, s.model().type());
    // The y-range and the ingest bounds come from the data: nothing is fixed before it is seen.
    assertThrows(IllegalStateException.class, () -> s.model().yRange());
    assertEquals(Double.NEGATIVE_INFINITY, s.ingest().ratingMin());
    assertEquals(Double.POSITIVE_INFINITY, s.ingest().ratingMax());
    assertEquals(TrainSettings.Engine.SPARSE, s.train().engine());
    assertTrue(s.train().auto().chosen());
  }

  @Test
  void setOverridesConfFileWhichOverridesReference(@TempDir Path dir) throws Exception {
    File conf = dir.resolve("env.conf").toFile();
    Files.writeString(conf.toPath(), "cfpipe.train.epochs = 3\ncfpipe.model.factors = 7\n");
    Config config = ConfigLoader.load(Optional.of(conf),
        List.of("cfpipe.input.ratings=x", "cfpipe.train.epochs=9"));
    PipelineSettings s = PipelineSettings.from(config, "2024-01-01");
    assertEquals(9, s.train().epochs());
    assertEquals(7, s.model().factors());
    assertEquals(Double.NEGATIVE_INFINITY, s.ingest().ratingMin());
  }

  @Test
  void rankingCutoffsAreOneNumberOrAList() {
    assertEquals(List.of(10, 20), settings().eval().k());
    assertEquals(List.of(5), settings("cfpipe.eval.k=5").eval().k());
    assertEquals(List.of(), settings("cfpipe.eval.k=0").eval().k());
    assertEquals(List.of(5, 50), settings("cfpipe.eval.k=[50, 5, 50]").eval().k());
    SettingsException e = assertThrows(SettingsException.class,
        () -> settings("cfpipe.eval.k=[10, 0]"));
    assertEquals("cfpipe.eval.k must hold cutoffs in [1, 1000], got [10, 0]", e.getMessage());
  }

  @Test
  void unknownKeyIsRejectedByName() {
    SettingsException e = assertThrows(SettingsException.class,
        () -> settings("cfpipe.train.epoch=3"));
    assertTrue(e.getMessage().contains("cfpipe.train.epoch"), e.getMessage());
  }

  @Test
  void outOfRangeValueNamesKeyAndRange() {
    SettingsException e = assertThrows(SettingsException.class,
        () -> settings("cfpipe.train.epochs=0"));
    assertEquals("cfpipe.train.epochs must be in [1, 100000], got 0", e.getMessage());
  }

  @Test
  void wrongTypeNamesKey() {
    SettingsException e = assertThrows(SettingsException.class,
        () -> settings("cfpipe.model.factors=many"));
    assertTrue(e.getMessage().startsWith("cfpipe.model.factors"), e.getMessage());
  }

  @Test
  void enumValuesAreListedWhenWrong() {
    SettingsException e = assertThrows(SettingsException.class,
        () -> settings("cfpipe.input.format=xlsx"));
    assertEquals("cfpipe.input.format must be one of movielens-csv, movielens-tsv, movielens-dat, parquet, delimited, got 'xlsx'",
        e.getMessage());
  }

  @Test
  void missingRatingsAndBadRunDateAreClear() {
    SettingsException missing = assertThrows(SettingsException.class, () -> PipelineSettings
        .from(ConfigLoader.load(Optional.empty(), List.of()), "2024-01-01"));
    assertTrue(missing.getMessage().contains("--ratings"), missing.getMessage());
    SettingsException date = assertThrows(SettingsException.class, () -> PipelineSettings
        .from(ConfigLoader.load(Optional.empty(), List.of("cfpipe.input.ratings=x")), "today"));
    assertTrue(date.getMessage().contains("--run-date"), date.getMessage());
  }

  @Test
  void theModelNameDefaultsToTheTypeAndMustBeAFolderName() {
    assertEquals("dot-bias", settings().modelName());
    assertEquals("neural", settings("cfpipe.model.type=neural").modelName());
    assertEquals("nightly_v2", settings("cfpipe.output.model-name=nightly_v2").modelName());
    SettingsException e = assertThrows(SettingsException.class,
        () -> settings("cfpipe.output.model-name=../x"));
    assertEquals("cfpipe.output.model-name must be letters, digits, '.', '-' or '_' (it names "
        + "a folder), got '../x'", e.getMessage());
  }

  @Test
  void crossFieldChecksNameBothKeys() {
    SettingsException e = assertThrows(SettingsException.class,
        () -> settings("cfpipe.ingest.rating-min=5", "cfpipe.ingest.rating-max=1"));
    assertTrue(e.getMessage().contains("rating-min") && e.getMessage().contains("rating-max"));
  }

  @Test
  void disabledYRangeIsEmpty() {
    assertFalse(settings("cfpipe.model.y-range.enabled=false").model().yRange().isPresent());
  }

  @Test
  void renderedSettingsRedactCredentials() {
    Config config = ConfigLoader.load(Optional.empty(), List.of("cfpipe.input.ratings=x"))
        .withValue("cfpipe.input.secret-key",
            com.typesafe.config.ConfigValueFactory.fromAnyRef("hunter2"));
    String rendered = ConfigLoader.redactedRender(config);
    assertFalse(rendered.contains("hunter2"), rendered);
    assertTrue(rendered.contains("***"), rendered);
  }

  @Test
  void engineFollowsTheModelAndTheNeuralModelTakesItsOwnTrainingKeys() {
    PipelineSettings factors = settings();
    assertEquals(TrainSettings.Engine.SPARSE, factors.train().engine());
    assertEquals(0.005, factors.train().learningRate());

    PipelineSettings neural = settings("cfpipe.model.type=neural",
        "cfpipe.train.neural.learning-rate=0.002", "cfpipe.train.learning-rate=0.5");
    assertEquals(TrainSettings.Engine.DL4J, neural.train().engine());
    assertEquals(0.002, neural.train().learningRate());
    assertEquals(0.05, neural.train().l2());
    // Keys the neural block does not name keep their common values.
    assertEquals(factors.train().seed(), neural.train().seed());
    assertEquals(50, neural.model().neural().userFactors());

    assertEquals(TrainSettings.Engine.DL4J,
        settings("cfpipe.train.engine=dl4j").train().engine());
    SettingsException e = assertThrows(SettingsException.class,
        () -> settings("cfpipe.model.type=neural", "cfpipe.train.engine=sparse"));
    assertTrue(e.getMessage().contains("cfpipe.train.engine"), e.getMessage());
  }

  @Test
  void resumeIsRefusedWithDistributedDl4jTraining() {
    assertTrue(settings("cfpipe.train.distributed.workers=2", "cfpipe.train.resume=true").train()
        .resume());
    SettingsException e = assertThrows(SettingsException.class,
        () -> settings("cfpipe.train.distributed.workers=2", "cfpipe.train.resume=true",
            "cfpipe.train.engine=dl4j"));
    assertTrue(e.getMessage().contains("cfpipe.train.resume"), e.getMessage());
  }

  @Test
  void timeCutoffSplitNeedsADate() {
    SettingsException e = assertThrows(SettingsException.class,
        () -> settings("cfpipe.split.mode=time-cutoff"));
    assertTrue(e.getMessage().contains("cfpipe.split.cutoff"), e.getMessage());
    assertEquals(1_704_067_200L, settings("cfpipe.split.mode=time-cutoff",
        "cfpipe.split.cutoff=2024-01-01").split().cutoffSeconds());
  }
}
