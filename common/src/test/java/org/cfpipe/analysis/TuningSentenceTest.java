package org.cfpipe.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** The report's sentence on how the top-N model was chosen, from metadata.json's ranking. */
class TuningSentenceTest {
  private static JsonNode json(String text) throws Exception {
    return new ObjectMapper().readTree(text);
  }

  @Test
  void aTuningOnASampleOfTheUsersSaysSo() throws Exception {
    String sentence = AnalyzeStage.Sections.tuning(json("""
        {"tuning": {"chosen": {"model": "implicit", "factors": 32, "regularization": 300.0,
          "weighting": "constant", "alpha": 3.0, "ndcg": 0.0851},
          "tried": [{"model": "most-rated", "ndcg": 0.0823}],
          "fit_ratings": 802073, "held_ratings": 199367, "scored_users": 5000,
          "sample_users": 8782, "rated_users": 162000},
         "tuned_on": "2024-01-01", "reused_from": null}"""));
    assertTrue(sentence.startsWith("The top-N model was chosen on the training ratings of a "
        + "seeded sample of 8,782 of the 162,000 users"), sentence);
    assertTrue(sentence.contains("0.0851 against 0.0823"), sentence);
  }

  @Test
  void aReusedChoiceNamesItsNightAndItsRun() throws Exception {
    String sentence = AnalyzeStage.Sections.tuning(json("""
        {"tuning": null, "tuned_on": "2024-05-01",
         "reused_from": "out/run_date=2024-05-01/model=dot-bias"}"""));
    assertEquals("The top-N model's settings are those a tuning chose on 2024-05-01, reused "
        + "from out/run_date=2024-05-01/model=dot-bias (cfpipe.ranking.reuse-tuning-days); "
        + "they were trained on tonight's training ratings.", sentence);
  }

  @Test
  void noTuningNoSentence() throws Exception {
    assertEquals("", AnalyzeStage.Sections.tuning(json("""
        {"tuning": null, "tuned_on": null, "reused_from": null}""")));
  }
}
