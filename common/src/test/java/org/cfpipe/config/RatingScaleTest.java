package org.cfpipe.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The rating scale and what follows from it: the y-range, the relevance threshold. */
class RatingScaleTest {
  static final RatingScale HALF_STARS = new RatingScale(0.5, 5, 0.5);
  static final RatingScale ZERO_TO_TEN = new RatingScale(0, 10, 1);

  static ModelSettings model(String... sets) {
    List<String> all = new ArrayList<>(List.of("cfpipe.input.ratings=r.csv"));
    all.addAll(List.of(sets));
    return PipelineSettings.from(ConfigLoader.load(Optional.empty(), all), "2024-01-01").model();
  }

  @Test
  void yRangeIsOneStepBeyondEachEnd() {
    assertEquals(new ModelSettings.Range(0, 5.5), HALF_STARS.yRange());
    assertEquals(new ModelSettings.Range(0, 6), new RatingScale(1, 5, 1).yRange());
    assertEquals(new ModelSettings.Range(-1, 11), ZERO_TO_TEN.yRange());
    assertEquals(new ModelSettings.Range(-0.1, 1.1), new RatingScale(0, 1, 0).yRange());
  }

  @Test
  void relevanceFollowsTheScale() {
    assertEquals(4.0, HALF_STARS.relevantRating());
    assertEquals(4.0, new RatingScale(1, 5, 1).relevantRating());
    assertEquals(7.0, ZERO_TO_TEN.relevantRating());
    assertEquals(8.0, new RatingScale(1, 10, 1).relevantRating());
    assertEquals(7.0, new EvalSettings(java.util.List.of(10), null, 0, 42).relevantRating(ZERO_TO_TEN));
    assertEquals(3.0, new EvalSettings(java.util.List.of(10), 3.0, 0, 42).relevantRating(ZERO_TO_TEN));
  }

  @Test
  void snapRoundsToTheGridAndClamps() {
    assertEquals(3.5, HALF_STARS.snap(3.6));
    assertEquals(0.5, HALF_STARS.snap(-2));
    assertEquals(10, ZERO_TO_TEN.snap(12.3));
    assertEquals(2.37, new RatingScale(0, 5, 0).snap(2.37));
  }

  @Test
  void defaultYRangeComesFromTheDataAndAutoIsOffForGibbs() {
    ModelSettings defaults = model();
    assertEquals(Optional.of(new ModelSettings.Range(-1, 11)),
        defaults.forData(ZERO_TO_TEN, TrainSettings.Engine.SPARSE).yRange());
    assertEquals(Optional.of(new ModelSettings.Range(0, 5.5)),
        defaults.forData(HALF_STARS, TrainSettings.Engine.DL4J).yRange());
    assertEquals(Optional.empty(),
        defaults.forData(ZERO_TO_TEN, TrainSettings.Engine.GIBBS).yRange());
    assertEquals(Optional.empty(), model("cfpipe.model.y-range.enabled=false")
        .forData(ZERO_TO_TEN, TrainSettings.Engine.SPARSE).yRange());
  }

  @Test
  void aSetYRangeThatCannotReachTheRatingsNamesBoth() {
    ModelSettings set = model("cfpipe.model.y-range.min=0", "cfpipe.model.y-range.max=5.5");
    assertEquals(Optional.of(new ModelSettings.Range(0, 5.5)),
        set.forData(HALF_STARS, TrainSettings.Engine.SPARSE).yRange());
    SettingsException e = assertThrows(SettingsException.class,
        () -> set.forData(ZERO_TO_TEN, TrainSettings.Engine.SPARSE));
    assertTrue(e.getMessage().contains("(0.0, 5.5)") && e.getMessage().contains("[0, 10]"),
        e.getMessage());
    // A bound equal to a rating cannot be reached by a sigmoid either.
    ModelSettings tight = model("cfpipe.model.y-range.min=0.5", "cfpipe.model.y-range.max=5.5");
    assertThrows(SettingsException.class,
        () -> tight.forData(HALF_STARS, TrainSettings.Engine.SPARSE));
    assertThrows(SettingsException.class, () -> model("cfpipe.model.y-range.min=0"));
    assertThrows(SettingsException.class, () -> model("cfpipe.model.y-range.enabled=true")
        .forData(HALF_STARS, TrainSettings.Engine.GIBBS));
  }
}
