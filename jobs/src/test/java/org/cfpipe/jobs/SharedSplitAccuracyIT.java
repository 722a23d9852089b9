package org.cfpipe.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.cfpipe.config.ConfigLoader;
import org.cfpipe.config.PipelineSettings;
import org.cfpipe.io.RunMetrics;
import org.cfpipe.spark.SparkFixture;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The default settings (and the sparse engine), through the whole pipeline, on the team's fixed
 * seed-42 80/20 splits (the files Spark ALS was measured on), read from ../shared beside the
 * checkout. The bounds guard the accuracy recorded in docs/accuracy.md against regressions
 * (the defaults' at issue 3's targets). Those files are not part of the project; where they
 * are absent the test is reported as skipped, with the reason.
 */
class SharedSplitAccuracyIT extends SparkFixture {
  static final Path SPLITS = Path.of("../../shared/splits");

  private static final List<Stage> UP_TO_EXPORT = Arrays.stream(Stage.values())
      .filter(stage -> stage != Stage.ANALYZE).toList();

  @TempDir
  Path out;

  @ParameterizedTest(name = "{0}, {1} {5}: RMSE <= {4}")
  @CsvSource({
      // The defaults: auto chooses the gibbs engine for data this size (0.8439 and 0.8889 on
      // 2026-12-06, docs/benchmarks/accuracy.md), against issue 3's targets 0.855 and 0.890.
      // The top-N model (cfpipe.ranking's defaults) above implicit Spark ALS tuned on the
      // training ratings, P@10 and NDCG@10 (0.2000 / 0.2722 and 0.2658 / 0.3661; it measured
      // 0.2157 / 0.2881 and 0.2803 / 0.3919 on 2026-12-07, docs/benchmarks/top-n.md), and at
      // least 1.3 times the most-rated items' (issue 19).
      "dot-bias, ml-latest-small, 80083, 19921, 0.855, '', 0.2000, 0.2722",
      "dot-bias, ml-100k, 80079, 19921, 0.890, '', 0.2658, 0.3661",
      "neural, ml-latest-small, 80083, 19921, 0.885, '', 0, 0",
      "neural, ml-100k, 80079, 19921, 0.920, '', 0, 0",
      // The sparse engine, which auto takes beyond its budget, with its y-range from the scale.
      "dot-bias, ml-latest-small, 80083, 19921, 0.865, cfpipe.train.engine=sparse, 0, 0",
      "dot-bias, ml-100k, 80079, 19921, 0.905, cfpipe.train.engine=sparse, 0, 0"})
  void defaultsReachTheRecordedAccuracy(String model, String data, long trainRows,
      long testRows, double bound, String sets, double precisionBar, double ndcgBar) {
    Path split = SPLITS.resolve(data);
    assumeTrue(Files.isRegularFile(split.resolve("train.csv")),
        "shared split not found at " + split.toAbsolutePath());
    PipelineSettings settings = PipelineSettings.from(ConfigLoader.load(Optional.empty(),
        Stream.concat(Stream.of("cfpipe.input.ratings=" + split.resolve("train.csv"),
            "cfpipe.input.validation-ratings=" + split.resolve("test.csv"),
            "cfpipe.model.type=" + model,
            "cfpipe.output.dir=" + out.resolve(data),
            // The rows that do not check the top-N model leave it out.
            "cfpipe.ranking.enabled=" + (precisionBar > 0)),
            Arrays.stream(sets.split(" ")).filter(x -> !x.isEmpty())).toList()), "2024-01-01");

    // Up to export, which writes the metrics read here; the report is AnalyzeIT's.
    RunMetrics metrics = CfPipe.run(spark, settings, UP_TO_EXPORT);

    assertEquals(trainRows, metrics.trainRows());
    assertEquals(testRows, metrics.validRows() + metrics.validRowsDropped());
    assertTrue(metrics.validRmse() <= bound,
        model + " on " + data + ": valid RMSE " + metrics.validRmse() + " > " + bound);
    if (precisionBar > 0) {
      var ranking = metrics.ranking();
      double precision = ranking.get("implicit_precision_at_10");
      double ndcg = ranking.get("implicit_ndcg_at_10");
      assertTrue(precision > precisionBar && ndcg > ndcgBar, data + ": top-N model P@10 "
          + precision + ", NDCG@10 " + ndcg + ", not above tuned implicit ALS's " + precisionBar
          + " / " + ndcgBar);
      assertTrue(precision >= 1.3 * ranking.get("popularity_precision_at_10")
          && ndcg >= 1.3 * ranking.get("popularity_ndcg_at_10"), data + ": " + ranking);
      assertTrue(ranking.get("implicit_coverage_at_10") > 0, ranking.toString());
    }
  }
}
