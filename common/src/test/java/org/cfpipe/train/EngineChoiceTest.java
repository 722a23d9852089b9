package org.cfpipe.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.cfpipe.config.ConfigLoader;
import org.cfpipe.config.PipelineSettings;
import org.cfpipe.config.RatingScale;
import org.cfpipe.config.TrainSettings.Engine;
import org.junit.jupiter.api.Test;

/** engine = auto: gibbs while its estimated cost fits the budget, sparse beyond it. */
class EngineChoiceTest {
  static final RatingScale SCALE = new RatingScale(1, 5, 1);

  static EngineChoice choose(long ratings, long rows, String... sets) {
    List<String> all = new ArrayList<>(List.of("cfpipe.input.ratings=r.csv"));
    all.addAll(List.of(sets));
    PipelineSettings s = PipelineSettings.from(ConfigLoader.load(Optional.empty(), all),
        "2024-01-01");
    return EngineChoice.of(s.model(), s.train(), SCALE, ratings, rows, 2);
  }

  @Test
  void smallDataGetsTheGibbsEngineWithoutAYRange() {
    EngineChoice c = choose(80_000, 2_600);
    assertEquals(Engine.GIBBS, c.train().engine());
    assertEquals(Optional.empty(), c.model().yRange());
    // 600 sweeps x (80k x 2000 ns + 2.6k x 20 us) / 2 cores.
    assertEquals(600 * (80_000 * 2e-6 + 2_600 * 20e-6) / 2, c.gibbsEstimateSeconds(), 1e-9);
    assertTrue(c.reason().contains("fit cfpipe.train.budget"), c.reason());
  }

  @Test
  void dataBeyondTheBudgetGetsTheSparseEngineWithTheScalesYRange() {
    EngineChoice c = choose(20_000_000, 219_000);
    assertEquals(Engine.SPARSE, c.train().engine());
    assertEquals(0.0, c.model().yRange().orElseThrow().min());
    assertEquals(6.0, c.model().yRange().orElseThrow().max());
    assertTrue(c.reason().contains("exceed"), c.reason());
    assertEquals(Engine.SPARSE, choose(80_000, 2_600, "cfpipe.train.budget=0").train().engine());
  }

  @Test
  void theBudgetCountsChainsSpreadOverWorkers() {
    double one = choose(1_000_000, 10_000).gibbsEstimateSeconds();
    assertEquals(4 * one, choose(1_000_000, 10_000, "cfpipe.train.gibbs.chains=4")
        .gibbsEstimateSeconds(), 1e-9);
    assertEquals(2 * one, choose(1_000_000, 10_000, "cfpipe.train.gibbs.chains=4",
        "cfpipe.train.distributed.workers=2").gibbsEstimateSeconds(), 1e-9);
    assertEquals(one / 2, choose(1_000_000, 10_000, "cfpipe.train.gibbs.implicit=false")
        .gibbsEstimateSeconds(), 1e-9);
    // One chain's sweeps over 4 workers' blocks, a core each, without the implicit prior: half
    // the cost, over 4 cores instead of this machine's 2.
    assertEquals(one / 4, choose(1_000_000, 10_000, "cfpipe.train.distributed.workers=4",
        "cfpipe.train.distributed.gibbs=sweeps").gibbsEstimateSeconds(), 1e-9);
  }

  @Test
  void aNamedEngineOrTheNeuralModelIsKept() {
    assertEquals(Engine.SPARSE, choose(80_000, 2_600, "cfpipe.train.engine=sparse")
        .train().engine());
    assertEquals(Engine.DL4J, choose(80_000, 2_600, "cfpipe.model.type=neural")
        .train().engine());
    // A y-range asked for explicitly rules the linear gibbs model out, rather than failing.
    EngineChoice ranged = choose(80_000, 2_600, "cfpipe.model.y-range.enabled=true");
    assertEquals(Engine.SPARSE, ranged.train().engine());
    assertEquals(6.0, ranged.model().yRange().orElseThrow().max());
  }
}
