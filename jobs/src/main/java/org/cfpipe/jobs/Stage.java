package org.cfpipe.jobs;

import java.util.Locale;
import org.apache.spark.sql.SparkSession;
import org.cfpipe.analysis.AnalyzeStage;
import org.cfpipe.config.PipelineSettings;
import org.cfpipe.eval.EvaluateStage;
import org.cfpipe.ids.EncodeStage;
import org.cfpipe.ingest.IngestStage;
import org.cfpipe.io.ExportStage;
import org.cfpipe.spark.RunLayout;
import org.cfpipe.split.SplitStage;
import org.cfpipe.train.TrainStage;

/** The pipeline's stages in their order; each reads what the ones before it wrote. */
public enum Stage {
  INGEST {
    @Override
    void run(SparkSession spark, PipelineSettings s, RunLayout layout) {
      IngestStage.run(spark, s.input(), s.ingest(), layout);
    }
  },
  ENCODE {
    @Override
    void run(SparkSession spark, PipelineSettings s, RunLayout layout) {
      EncodeStage.run(spark, layout, s.input().validationRatings().isPresent(), s.ids());
    }
  },
  SPLIT {
    @Override
    void run(SparkSession spark, PipelineSettings s, RunLayout layout) {
      SplitStage.run(spark, s.split(), layout, s.input().validationRatings().isPresent(),
          s.ingest());
    }
  },
  TRAIN {
    @Override
    void run(SparkSession spark, PipelineSettings s, RunLayout layout) {
      TrainStage.run(spark, s.model(), s.train(), s.ranking(), s.eval(), layout);
    }
  },
  EVALUATE {
    @Override
    void run(SparkSession spark, PipelineSettings s, RunLayout layout) {
      EvaluateStage.run(spark, layout, s.eval());
    }
  },
  EXPORT {
    @Override
    void run(SparkSession spark, PipelineSettings s, RunLayout layout) {
      ExportStage.run(spark, layout, s.resolvedConfig());
    }
  },
  ANALYZE {
    @Override
    void run(SparkSession spark, PipelineSettings s, RunLayout layout) {
      AnalyzeStage.run(spark, layout, s.analyze());
    }
  };

  abstract void run(SparkSession spark, PipelineSettings settings, RunLayout layout);

  public String spelling() {
    return name().toLowerCase(Locale.ROOT);
  }
}
