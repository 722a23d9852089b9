package org.cfpipe.train;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cfpipe.config.ModelSettings;
import org.cfpipe.config.TrainSettings;
import org.cfpipe.model.FactorModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gibbs engine on Spark executors: its chains ({@code gibbs.chains}) are independent, so
 * they run as Spark tasks, {@code distributed.workers} of them, each task running its share of
 * the chains one after another on the whole training set (broadcast). Each chain sends back the
 * sums of its samples, and the driver combines them in chain order exactly as the single-JVM
 * engine does: the model is the same, bit for bit, and the wall time is that of the largest
 * task's chains. A lost task is run again from its chains' start by Spark; there are no
 * checkpoints and no resume.
 */
public final class DistributedChains {
  private static final Logger LOG = LoggerFactory.getLogger(DistributedChains.class);

  private final ModelSettings modelSettings;
  private final TrainSettings settings;

  public DistributedChains(ModelSettings modelSettings, TrainSettings settings) {
    this.modelSettings = modelSettings;
    this.settings = settings;
  }

  public TrainResult<FactorModel> train(SparkSession spark, Dataset<Row> ratings,
      Dataset<Row> validation, int users, int items) {
    long start = System.nanoTime();
    int chains = settings.gibbs().chains();
    int tasks = Math.min(settings.distributed().workers(), chains);
    if (tasks < settings.distributed().workers()) {
      LOG.warn("cfpipe.train.distributed.workers = {} but cfpipe.train.gibbs.chains = {}: "
          + "{} tasks, one chain each", settings.distributed().workers(), chains, tasks);
    }
    TrainingSet train = TrainingSet.collect(ratings);
    TrainingSet valid = TrainingSet.collect(validation);
    LOG.info("train: {} ratings, {} validation; {} chains in {} tasks", train.size(),
        valid.size(), chains, tasks);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<TrainingSet> trainShared = jsc.broadcast(train);
    Broadcast<TrainingSet> validShared = jsc.broadcast(valid);
    List<Integer> indices = new ArrayList<>();
    for (int c = 0; c < chains; c++) {
      indices.add(c);
    }
    ModelSettings model = modelSettings;
    TrainSettings trainSettings = settings;
    try {
      // parallelize gives each task a contiguous run of chain indices.
      List<GibbsSampler.ChainMeans> finished = jsc.parallelize(indices, tasks)
          .mapPartitions(own -> {
            List<Integer> mine = new ArrayList<>();
            own.forEachRemaining(mine::add);
            List<GibbsSampler.ChainMeans> out = new ArrayList<>();
            GibbsSampler sampler = new GibbsSampler(model, trainSettings);
            for (int j = 0; j < mine.size(); j++) {
              out.add(sampler.sampleChain(trainShared.value(), validShared.value(), users,
                  items, mine.get(j), mine.size() - j - 1));
            }
            return out.iterator();
          })
          .collect();
      double seconds = (System.nanoTime() - start) / 1e9;
      return new GibbsSampler(modelSettings, settings).combine(finished, valid, seconds);
    } finally {
      trainShared.destroy();
      validShared.destroy();
    }
  }
}
