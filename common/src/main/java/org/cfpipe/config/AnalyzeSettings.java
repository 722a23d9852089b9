package org.cfpipe.config;

import com.typesafe.config.Config;
import java.io.Serializable;

/**
 * What the analyze stage's report shows ({@code cfpipe.analyze}).
 *
 * @param mostRated the item bias ranking and the PCA look at this many most-rated items
 * @param biasItems items at each end of the bias ranking
 * @param componentItems items at each end of each principal component
 * @param scatterItems titled items drawn on the components 1 and 2 scatter plot
 * @param als whether the comparison table also trains Spark ALS on the run's split
 */
public record AnalyzeSettings(int mostRated, int biasItems, int componentItems,
    int scatterItems, boolean als) implements Serializable {

  public static final AnalyzeSettings DEFAULT = new AnalyzeSettings(3000, 15, 10, 50, false);

  public static AnalyzeSettings from(Config config) {
    return new AnalyzeSettings(
        Checks.intIn(config, "cfpipe.analyze.most-rated", 10, 10_000_000),
        Checks.intIn(config, "cfpipe.analyze.bias-items", 1, 1000),
        Checks.intIn(config, "cfpipe.analyze.component-items", 1, 1000),
        Checks.intIn(config, "cfpipe.analyze.scatter-items", 2, 1000),
        Checks.bool(config, "cfpipe.analyze.als"));
  }
}
