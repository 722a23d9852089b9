package org.cfpipe.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.cfpipe.config.ConfigLoader;
import org.cfpipe.config.GenerateSettings;
import org.cfpipe.config.PipelineSettings;
import org.cfpipe.ingest.GenerateStage;
import org.cfpipe.io.RunMetrics;
import org.cfpipe.spark.RunLayout;
import org.cfpipe.spark.SparkFixture;
import org.cfpipe.train.TrainReport;
import org.cfpipe.train.TrainStage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nights that follow each other, on two nights of planted ratings: the second adds about 4% of
 * ratings, new users and new items among them. With {@code cfpipe.train.warm-start = auto} the
 * second night starts from the first night's model and, in a fraction of the epochs or sweeps,
 * scores about as well as a cold night with all of them, and clearly better than a cold night of
 * as few. A night whose previous night started but did not commit refuses to encode.
 */
class NightsIT extends SparkFixture {
  private static final List<Stage> UP_TO_EXPORT = List.of(Stage.INGEST, Stage.ENCODE,
      Stage.SPLIT, Stage.TRAIN, Stage.EVALUATE, Stage.EXPORT);

  @TempDir
  static Path dir;
  static Path night1;
  static Path night2;

  @BeforeAll
  static void twoNights() throws IOException {
    Path planted = dir.resolve("planted");
    GenerateStage.run(spark, GenerateSettings.from(ConfigLoader.load(Optional.empty(), List.of(
        "cfpipe.generate.users=800", "cfpipe.generate.items=400",
        "cfpipe.generate.ratings=40000", "cfpipe.generate.rank=5",
        "cfpipe.generate.noise=0.5"))), planted.toString());
    List<String> all = new ArrayList<>();
    try (Stream<Path> parts = Files.list(planted.resolve("ratings"))) {
      for (Path part : parts.filter(p -> p.toString().endsWith(".csv")).sorted().toList()) {
        Files.readAllLines(part).stream().filter(line -> !line.startsWith("userId"))
            .forEach(all::add);
      }
    }
    String header = "userId,movieId,rating,timestamp";
    List<String> first = new ArrayList<>(List.of(header));
    for (String line : all) {
      String[] f = line.split(",");
      int user = Integer.parseInt(f[0]);
      int item = Integer.parseInt(f[1]);
      // New on night 2: users and items whose id ends in 0 (of 50) and 2% of the other ratings.
      if (user % 50 != 0 && item % 50 != 0 && (user * 31 + item * 17) % 50 != 0) {
        first.add(line);
      }
    }
    List<String> second = new ArrayList<>(List.of(header));
    second.addAll(all);
    night1 = Files.write(dir.resolve("night1.csv"), first);
    night2 = Files.write(dir.resolve("night2.csv"), second);
  }

  private static PipelineSettings night(Path ratings, Path out, String date, String... sets) {
    List<String> all = new ArrayList<>(List.of("cfpipe.input.ratings=" + ratings,
        "cfpipe.output.dir=" + out));
    all.addAll(List.of(sets));
    return PipelineSettings.from(ConfigLoader.load(Optional.empty(), all), date);
  }

  private static JsonNode metadata(PipelineSettings settings) throws IOException {
    return new ObjectMapper().readTree(Files.readString(
        Path.of(RunLayout.of(settings).published().metadataJson())));
  }

  /** Trains tonight's ratings again with other settings: the train stage alone. */
  private static TrainReport retrain(PipelineSettings settings) {
    return TrainStage.run(spark, settings.model(), settings.train(), RunLayout.of(settings));
  }

  @Test
  void theSparseEngineStartsFromLastNight() throws IOException {
    Path out = dir.resolve("sparse");
    PipelineSettings first = night(night1, out, "2024-05-01", "cfpipe.train.engine=sparse");
    CfPipe.run(spark, first, UP_TO_EXPORT);
    PipelineSettings warmSettings = night(night2, out, "2024-05-02",
        "cfpipe.train.engine=sparse", "cfpipe.train.warm-start=auto",
        "cfpipe.train.early-stopping.enabled=false");
    RunMetrics warm = CfPipe.run(spark, warmSettings, UP_TO_EXPORT);

    JsonNode choice = metadata(warmSettings).at("/choice/warm_start");
    assertEquals(RunLayout.of(first).runDir(), choice.get("from").asText(), choice.toString());
    // Every id of night 1 with training ratings is known; the new ones are not.
    assertEquals(spark.read().parquet(RunLayout.of(first).published().userFactors()).count(),
        choice.get("users").asLong());
    assertTrue(warm.users() > choice.get("users").asLong(), "night 2 has new users");
    assertEquals(3, warm.epochs());
    // Night 2 trains night 1's tuned top-N choice again, without tuning
    // (cfpipe.ranking.reuse-tuning-days).
    JsonNode tuned = metadata(first).path("ranking");
    JsonNode reused = metadata(warmSettings).path("ranking");
    assertEquals("2024-05-01", tuned.path("tuned_on").asText(), tuned.toString());
    assertTrue(tuned.path("tuning").isObject(), tuned.toString());
    assertEquals(RunLayout.of(first).runDir(), reused.path("reused_from").asText(),
        reused.toString());
    assertEquals("2024-05-01", reused.path("tuned_on").asText(), reused.toString());
    assertTrue(reused.path("tuning").isNull() || reused.path("tuning").isMissingNode());
    for (String key : List.of("model", "factors", "regularization", "weighting", "alpha")) {
      assertEquals(tuned.path(key), reused.path(key), key);
    }

    // The same night from scratch: all 12 epochs, and as few as the warm night's.
    TrainReport cold = retrain(night(night2, out, "2024-05-02", "cfpipe.train.engine=sparse",
        "cfpipe.train.early-stopping.enabled=false"));
    assertEquals("cfpipe.train.warm-start = off", cold.choice().warmStart().reason());
    TrainReport short3 = retrain(night(night2, out, "2024-05-02", "cfpipe.train.engine=sparse",
        "cfpipe.train.epochs=3", "cfpipe.train.early-stopping.enabled=false"));
    assertTrue(warm.validRmse() < cold.finalValidRmse() + 0.01,
        "warm " + warm.validRmse() + " against cold " + cold.finalValidRmse());
    assertTrue(warm.validRmse() < short3.finalValidRmse() - 0.02,
        "warm " + warm.validRmse() + " against 3 cold epochs " + short3.finalValidRmse());

    // On the executors: each shard joins last night's rows of its users.
    TrainReport distributed = retrain(night(night2, out, "2024-05-02",
        "cfpipe.train.engine=sparse", "cfpipe.train.warm-start=auto",
        "cfpipe.train.distributed.workers=2", "cfpipe.train.early-stopping.enabled=false"));
    assertEquals(RunLayout.of(first).runDir(), distributed.choice().warmStart().from());
    assertTrue(distributed.finalValidRmse() < short3.finalValidRmse() - 0.02,
        "distributed warm " + distributed.finalValidRmse() + " against 3 cold epochs "
            + short3.finalValidRmse());
    assertTrue(distributed.finalValidRmse() < cold.finalValidRmse() + 0.01,
        "distributed warm " + distributed.finalValidRmse() + " against cold "
            + cold.finalValidRmse());

    // A model of another shape is no start.
    TrainReport other = retrain(night(night2, out, "2024-05-02", "cfpipe.train.engine=sparse",
        "cfpipe.train.epochs=2", "cfpipe.model.factors=8", "cfpipe.train.warm-start=auto"));
    assertEquals(null, other.choice().warmStart().from());
    assertTrue(other.choice().warmStart().reason().contains("it has 50 factors, tonight 8"),
        other.choice().warmStart().reason());
    assertEquals(2, other.epochs(), "a cold night trains its full epochs");
  }

  @Test
  void theGibbsEngineContinuesLastNightsChain() throws IOException {
    Path out = dir.resolve("gibbs");
    String[] gibbs = {"cfpipe.train.engine=gibbs", "cfpipe.model.factors=10",
        "cfpipe.train.gibbs.sweeps=200", "cfpipe.train.gibbs.burn-in=50",
        "cfpipe.train.gibbs.stop-at-mc-error=0"};
    PipelineSettings first = night(night1, out, "2024-05-01", gibbs);
    RunMetrics one = CfPipe.run(spark, first, UP_TO_EXPORT);
    assertTrue(Files.isRegularFile(Path.of(RunLayout.of(first).published().chainState())),
        "the run publishes its chain's last state");
    PipelineSettings warmSettings = night(night2, out, "2024-05-02", "cfpipe.train.engine=gibbs",
        "cfpipe.model.factors=10", "cfpipe.train.warm-start=auto",
        "cfpipe.train.warm-start-gibbs.sweeps=80", "cfpipe.train.warm-start-gibbs.burn-in=10",
        "cfpipe.train.gibbs.stop-at-mc-error=0");
    RunMetrics warm = CfPipe.run(spark, warmSettings, UP_TO_EXPORT);
    assertEquals(80, warm.epochs());
    assertTrue(metadata(warmSettings).at("/choice/warm_start/reason").asText()
        .contains("last chain state"));
    // The chain goes on where night 1's ended: its first sweep fits as closely as night 1's
    // last, where a chain from the posterior mean starts at over twice that error and a chain
    // from scratch at many times it.
    double lastNight = one.history().get(one.history().size() - 1).trainLoss();
    assertTrue(warm.history().get(0).trainLoss() < 1.5 * lastNight,
        "first warm sweep " + warm.history().get(0).trainLoss() + " against night 1's last "
            + lastNight);

    // Its chain on an executor is the same chain, to the last bit.
    TrainReport onExecutor = retrain(night(night2, out, "2024-05-02",
        "cfpipe.train.engine=gibbs", "cfpipe.model.factors=10", "cfpipe.train.warm-start=auto",
        "cfpipe.train.warm-start-gibbs.sweeps=80", "cfpipe.train.warm-start-gibbs.burn-in=10",
        "cfpipe.train.gibbs.stop-at-mc-error=0", "cfpipe.train.distributed.workers=1"));
    assertEquals(warm.history().get(79).validRmse(), onExecutor.finalValidRmse(), 1e-12);

    TrainReport cold = retrain(night(night2, out, "2024-05-02", gibbs));
    TrainReport short80 = retrain(night(night2, out, "2024-05-02", "cfpipe.train.engine=gibbs",
        "cfpipe.model.factors=10", "cfpipe.train.gibbs.sweeps=80",
        "cfpipe.train.gibbs.burn-in=10", "cfpipe.train.gibbs.stop-at-mc-error=0"));
    assertTrue(cold.history().get(0).trainLoss() > 3 * lastNight,
        "a cold chain's first sweep " + cold.history().get(0).trainLoss());
    assertTrue(warm.validRmse() < cold.finalValidRmse() + 0.005,
        "warm " + warm.validRmse() + " against cold " + cold.finalValidRmse());
    assertTrue(warm.validRmse() < short80.finalValidRmse(),
        "warm " + warm.validRmse() + " against 80 cold sweeps " + short80.finalValidRmse());
  }

  @Test
  void aNightWaitsForThePreviousNightToCommit() throws IOException {
    Path out = dir.resolve("order");
    String[] fast = {"cfpipe.train.engine=sparse", "cfpipe.train.epochs=1"};
    CfPipe.run(spark, night(night1, out, "2024-05-01", fast), UP_TO_EXPORT);
    PipelineSettings second = night(night2, out, "2024-05-02", fast);
    // The second night fails after encode (say, in train): started, not committed.
    CfPipe.run(spark, second, List.of(Stage.INGEST, Stage.ENCODE));
    PipelineSettings third = night(night2, out, "2024-05-03", fast);

    RuntimeException refused = assertThrows(RuntimeException.class,
        () -> CfPipe.run(spark, third, List.of(Stage.INGEST, Stage.ENCODE)));
    assertTrue(refused.getMessage().contains("the night of 2024-05-02 started"),
        refused.getMessage());
    assertTrue(refused.getMessage().contains("the id maps of 2024-05-01"), refused.getMessage());

    // Once the second night has committed, the third extends its maps.
    CfPipe.run(spark, second, UP_TO_EXPORT);
    CfPipe.run(spark, third, List.of(Stage.INGEST, Stage.ENCODE));
    JsonNode encode = new ObjectMapper().readTree(Files.readString(
        Path.of(RunLayout.of(third).report("encode"))));
    assertEquals(RunLayout.of(second).runDir(), encode.get("extended").asText());
  }
}
