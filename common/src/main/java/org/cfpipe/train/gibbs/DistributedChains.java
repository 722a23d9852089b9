package org.cfpipe.train.gibbs;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;
import org.cfpipe.config.ModelSettings;
import org.cfpipe.config.TrainSettings;
import org.cfpipe.model.FactorModel;
import org.cfpipe.train.TrainResult;
import org.cfpipe.train.TrainingSet;
import org.cfpipe.train.WarmStart;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gibbs engine on Spark executors: its chains ({@code gibbs.chains}) are independent, so
 * they run as Spark tasks, {@code distributed.workers} of them, each task running its share of
 * the chains one after another on the whole training set (broadcast). Each chain's sums go to a
 * file of its own ({@link ChainFiles}), and the driver reads them back one at a time and combines
 * them in chain order exactly as the single-JVM engine does: the model is the same, bit for
 * bit, the wall time is that of the largest task's chains, and the driver holds one chain's
 * sums at a time. A lost task is run again by Spark from its chains' start; a resumed run
 * samples only the chains without a file.
 */
public final class DistributedChains {
  private static final Logger LOG = LoggerFactory.getLogger(DistributedChains.class);

  private final ModelSettings modelSettings;
  private final TrainSettings settings;

  public DistributedChains(ModelSettings modelSettings, TrainSettings settings) {
    this.modelSettings = modelSettings;
    this.settings = settings;
  }

  /**
   * @param checkpointDir where the finished chains are written, on a file system every executor
   *     reaches
   * @param resume keep the chains already written there and sample only the others
   */
  public TrainResult<FactorModel> train(SparkSession spark, Dataset<Row> ratings,
      Dataset<Row> validation, int users, int items, String checkpointDir, boolean resume) {
    return train(spark, ratings, validation, users, items, checkpointDir, resume,
        WarmStart.cold("not asked"));
  }

  /**
   * @param warm last night's start, broadcast with the ratings to every task. The chains' last
   *     states stay on the executors, so the next night starts from this one's posterior mean.
   */
  public TrainResult<FactorModel> train(SparkSession spark, Dataset<Row> ratings,
      Dataset<Row> validation, int users, int items, String checkpointDir, boolean resume,
      WarmStart warm) {
    long start = System.nanoTime();
    int chains = settings.gibbs().chains();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    ChainFiles files = new ChainFiles(checkpointDir,
        new SerializableConfiguration(jsc.hadoopConfiguration()),
        new int[] {settings.gibbs().sweeps(), settings.gibbs().burnIn(), modelSettings.factors(),
            users, items, (int) Math.round(settings.gibbs().stopAtMcError() * 1e6),
            warm.warm() ? 1 : 0},
        settings.seed());
    List<Integer> todo = new ArrayList<>();
    for (int c = 0; c < chains; c++) {
      if (!resume || !files.exists(c)) {
        todo.add(c);
      }
    }
    TrainingSet valid = TrainingSet.collect(validation);
    if (!todo.isEmpty()) {
      sample(jsc, TrainingSet.collect(ratings), valid, users, items, todo, files, warm);
    } else {
      LOG.info("every chain was sampled before: combining them");
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return new GibbsSampler(modelSettings, settings).combine(chains, files::read, valid, users,
        items, seconds);
  }

  /** Samples the chains {@code todo} in Spark tasks, each writing its chains' files. */
  private void sample(JavaSparkContext jsc, TrainingSet train, TrainingSet valid, int users,
      int items, List<Integer> todo, ChainFiles files, WarmStart warm) {
    int tasks = Math.min(settings.distributed().workers(), todo.size());
    if (tasks < settings.distributed().workers()) {
      LOG.warn("cfpipe.train.distributed.workers = {}, but the chains to sample are {}: one "
          + "task each", settings.distributed().workers(), todo);
    }
    LOG.info("train: {} ratings, {} validation; sampling chains {} in {} task(s)", train.size(),
        valid.size(), todo, tasks);
    Broadcast<TrainingSet> trainShared = jsc.broadcast(train);
    Broadcast<TrainingSet> validShared = jsc.broadcast(valid);
    Broadcast<WarmStart> warmShared = jsc.broadcast(warm);
    ModelSettings model = modelSettings;
    TrainSettings trainSettings = settings;
    try {
      // parallelize gives each task a contiguous run of the chain indices.
      jsc.parallelize(todo, tasks).foreachPartition(own -> {
        List<Integer> mine = new ArrayList<>();
        own.forEachRemaining(mine::add);
        GibbsSampler sampler = new GibbsSampler(model, trainSettings);
        for (int j = 0; j < mine.size(); j++) {
          files.write(sampler.sampleChain(trainShared.value(), validShared.value(), users,
              items, mine.get(j), mine.size() - j - 1, warmShared.value()));
        }
      });
    } finally {
      trainShared.destroy();
      validShared.destroy();
      warmShared.destroy();
    }
  }
}
