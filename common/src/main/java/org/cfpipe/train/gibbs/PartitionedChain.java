package org.cfpipe.train.gibbs;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.SerializableConfiguration;
import org.cfpipe.config.ModelSettings;
import org.cfpipe.config.TrainSettings;
import org.cfpipe.model.FactorModel;
import org.cfpipe.spark.HadoopFiles;
import org.cfpipe.train.Checkpoints;
import org.cfpipe.train.EpochStats;
import org.cfpipe.train.Seeds;
import org.cfpipe.train.TrainResult;
import org.cfpipe.train.WarmStart;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * One gibbs chain whose sweeps run on the executors ({@code gibbs.distributed = sweeps}), the
 * way Spark's ALS distributes an iteration: users and items are each split into P =
 * {@code distributed.workers} blocks ({@link RowBlock}) that stay on the executors; a sweep
 * draws every user given the items, each block on its own (the item rows its ratings rate are
 * shipped to it, once each), then every item given the users ({@link HalfSweep}). Only the
 * hyperparameters, the noise precision and the global mean are drawn on the driver, from sums the
 * blocks return; the tables are never whole on the driver until the model is. The model is the
 * one-JVM engine's without the implicit prior (whose y_j couple every user of an item, see
 * docs/engines.md): the same priors, row noise scales, Rao-Blackwellised and aligned posterior
 * mean, and each row's draws from a stream of its own, so the chain does not depend on P but
 * for the order of the driver's sums.
 *
 * <p>Every twentieth of the sweeps (at most every tenth sweep) the blocks' parameters are
 * written to the checkpoint folder
 * and the chain continues from those files, which also cuts the lineage Spark would otherwise
 * grow by a step per half-sweep; {@code resume} continues from the newest complete checkpoint.
 * The validation RMSE of the mean so far is computed there too, in the items' blocks. The chain
 * runs every sweep: the Monte Carlo stopping rule is the one-JVM engine's alone.
 */
public final class PartitionedChain {
  private static final Logger LOG = LoggerFactory.getLogger(PartitionedChain.class);
  private static final int VERSION = 1;
  /** Sweeps at least between two checkpoints. */
  private static final int CHECKPOINT_GAP = 10;

  private final ModelSettings modelSettings;
  private final TrainSettings settings;

  public PartitionedChain(ModelSettings modelSettings, TrainSettings settings) {
    this.modelSettings = modelSettings;
    this.settings = settings;
  }

  /**
   * @param checkpointDir a folder every executor and the driver reach
   * @param resume continue from the newest complete checkpoint in it
   */
  public TrainResult<FactorModel> train(SparkSession spark, Dataset<Row> ratings,
      Dataset<Row> validation, int users, int items, String checkpointDir, boolean resume,
      WarmStart warm) {
    long start = System.nanoTime();
    TrainSettings.Gibbs gibbs = settings.gibbs();
    if (gibbs.implicit()) {
      LOG.warn("cfpipe.train.gibbs.implicit: the implicit prior is left out of a chain whose "
          + "sweeps run on the executors (gibbs.distributed = sweeps)");
    }
    if (gibbs.stopAtMcError() > 0) {
      LOG.info("cfpipe.train.gibbs.stop-at-mc-error: a chain whose sweeps run on the executors "
          + "runs all {} sweeps", gibbs.sweeps());
    }
    if (warm.warm()) {
      LOG.warn("warm start: a chain whose sweeps run on the executors starts cold");
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    String description = jsc.getLocalProperty(JOB_DESCRIPTION);
    jsc.setJobDescription("gibbs blocks");
    Run run = new Run(jsc, ratings, validation, users, items, checkpointDir, resume);
    try {
      run.sample();
      jsc.setJobDescription("gibbs model");
      FactorModel model = run.model();
      double seconds = (System.nanoTime() - start) / 1e9;
      return new TrainResult<>(model, run.history, run.history.size(), seconds);
    } finally {
      run.release();
      jsc.setLocalProperty(JOB_DESCRIPTION, description);
    }
  }

  /** One chain's run: its blocks on the executors, its scalars here. */
  private final class Run {
    final JavaSparkContext jsc;
    final int blocks;
    final int k;
    final int users;
    final int items;
    final long ratingCount;
    final boolean biases;
    final boolean globalMean;
    final HashPartitioner partitioner;
    final String dir;
    final SerializableConfiguration conf;
    final List<EpochStats> history = new ArrayList<>();
    /** The cached RDD behind each side's blocks (users', items'), unpersisted once replaced. */
    final JavaRDD<?>[] cached = new JavaRDD<?>[2];
    JavaRDD<RowBlock> userBlocks;
    JavaRDD<RowBlock> itemBlocks;
    double[] userSums;
    double[] itemSums;
    double[] userMu;
    double[] userLambda;
    double[] itemMu;
    double[] itemLambda;
    int sweepsDone;
    double w0;
    double alpha = 1.0;
    double w0Sum;
    double w0Block;
    int samples;
    int blockSamples;
    /** A block of samples closed in the last sweep, to fold in first, and its rotation. */
    boolean pending;
    double[] rotation;
    double validRmse = Double.NaN;
    double validMae = Double.NaN;

    Run(JavaSparkContext jsc, Dataset<Row> ratings, Dataset<Row> validation, int users,
        int items, String checkpointDir, boolean resume) {
      this.jsc = jsc;
      this.blocks = settings.distributed().workers();
      this.k = modelSettings.factors();
      this.users = users;
      this.items = items;
      this.biases = modelSettings.type().hasBiases();
      this.globalMean = biases && modelSettings.globalMean();
      this.partitioner = new HashPartitioner(blocks);
      this.dir = checkpointDir + "/sweeps";
      this.conf = new SerializableConfiguration(jsc.hadoopConfiguration());
      Dataset<Row> train = ratings.select(col("user_index"), col("item_index"),
          col("rating").cast("float"));
      // The count and the mean (the global mean's start) in one pass over the ratings.
      Row totals = train.agg(count(lit(1)), avg("rating")).first();
      this.ratingCount = totals.getLong(0);
      userMu = new double[k + 1];
      itemMu = new double[k + 1];
      userLambda = ones(k + 1);
      itemLambda = ones(k + 1);
      int newest = resume ? newestCheckpoint() : -1;
      if (newest >= 0) {
        restore(newest);
        LOG.info("train: resuming the partitioned chain after sweep {}", sweepsDone);
      } else {
        files().delete(dir);
        build(train, validation.select(col("user_index"), col("item_index"),
            col("rating").cast("float")));
        w0 = globalMean ? totals.getDouble(1) : 0.0;
      }
      LOG.info("train: {} ratings; one chain's sweeps over {} blocks of users and of items",
          ratingCount, blocks);
    }

    HadoopFiles files() {
      return new HadoopFiles(conf.value());
    }

    /** Groups the ratings into the blocks, tells each block what to send where, and caches. */
    void build(Dataset<Row> train, Dataset<Row> valid) {
      int p = blocks;
      int kk = k;
      long seed = settings.seed();
      double initStd = settings.gibbs().initStd();
      int u = users;
      int i = items;
      JavaRDD<RowBlock> rawUsers = grouped(train, null, FactorModel.USERS).mapPartitionsWithIndex(
          (index, it) -> {
            List<Chunk> chunks = collected(it);
            return single(logged(new RowBlock(FactorModel.USERS, index, p, kk, u, i,
                triples(chunks, 0), RowBlock.Triples.NONE, seed, initStd)));
          }, true).persist(StorageLevel.MEMORY_AND_DISK());
      JavaRDD<RowBlock> rawItems = grouped(train, valid, FactorModel.ITEMS)
          .mapPartitionsWithIndex((index, it) -> {
            List<Chunk> chunks = collected(it);
            return single(logged(new RowBlock(FactorModel.ITEMS, index, p, kk, i, u,
                triples(chunks, 0), triples(chunks, 1), seed, initStd)));
          }, true).persist(StorageLevel.MEMORY_AND_DISK());
      replace(FactorModel.USERS, routed(rawUsers, rawItems));
      replace(FactorModel.ITEMS, routed(rawItems, rawUsers));
      userSums = sum(userBlocks.map(RowBlock::columnSums).collect());
      itemSums = sum(itemBlocks.map(RowBlock::columnSums).collect());
      writeRatings();
      rawUsers.unpersist(false);
      rawItems.unpersist(false);
    }

    /**
     * The ratings keyed by block of {@code side} (and with {@code valid}, its ratings too,
     * marked 1), partitioned so that partition p holds block p.
     */
    JavaPairRDD<Integer, Chunk> grouped(Dataset<Row> train, Dataset<Row> valid, int side) {
      JavaPairRDD<Integer, Chunk> chunks = chunks(train, side, 0);
      if (valid != null) {
        chunks = chunks.union(chunks(valid, side, 1));
      }
      return chunks.partitionBy(partitioner);
    }

    JavaPairRDD<Integer, Chunk> chunks(Dataset<Row> table, int side, int kind) {
      int p = blocks;
      return table.javaRDD().mapPartitionsToPair(rows -> {
        Chunk[] out = new Chunk[p];
        for (int b = 0; b < p; b++) {
          out[b] = new Chunk(kind);
        }
        while (rows.hasNext()) {
          Row row = rows.next();
          int user = row.getInt(0);
          int item = row.getInt(1);
          int own = side == FactorModel.USERS ? user : item;
          out[own % p].add(own, side == FactorModel.USERS ? item : user, row.getFloat(2));
        }
        List<Tuple2<Integer, Chunk>> list = new ArrayList<>();
        for (int b = 0; b < p; b++) {
          list.add(new Tuple2<>(b, out[b]));
        }
        return list.iterator();
      });
    }

    /** The blocks with, for each block of the other side, the rows it needs of them. */
    JavaRDD<RowBlock> routed(JavaRDD<RowBlock> own, JavaRDD<RowBlock> other) {
      int p = blocks;
      JavaPairRDD<Integer, Tuple2<Integer, int[]>> wanted = ship(other,
          (b, q) -> new Tuple2<>(b.index, b.need[q]));
      return own.zipPartitions(wanted, (mine, wants) -> {
        RowBlock block = mine.next().next();
        block.sendTo = new int[p][];
        while (wants.hasNext()) {
          Tuple2<Integer, int[]> want = wants.next()._2();
          block.sendTo[want._1()] = want._2();
        }
        return single(block);
      });
    }

    /**
     * What each element of {@code from} (a block, or a block with its rows) sends to each block
     * q of the other side, {@code part(element, q)}: (the sending block, the payload), in the
     * partition of block q.
     */
    <T, V> JavaPairRDD<Integer, Tuple2<Integer, V>> ship(JavaRDD<T> from,
        Function2<T, Integer, Tuple2<Integer, V>> part) {
      int p = blocks;
      return from.flatMapToPair(element -> {
        List<Tuple2<Integer, Tuple2<Integer, V>>> list = new ArrayList<>();
        for (int q = 0; q < p; q++) {
          list.add(new Tuple2<>(q, part.call(element, q)));
        }
        return list.iterator();
      }).partitionBy(partitioner);
    }

    /** Runs the sweeps left. */
    void sample() {
      TrainSettings.Gibbs gibbs = settings.gibbs();
      int sweeps = gibbs.sweeps();
      int logEvery = Math.max(1, sweeps / 20);
      // A checkpoint writes every parameter, the running sums too (350 MB at MovieLens-25M's
      // shape): at most every tenth sweep, at a log point.
      int checkpointEvery = logEvery * (int) Math.ceil(CHECKPOINT_GAP / (double) logEvery);
      long first = System.nanoTime();
      int firstSweep = sweepsDone;
      double before = history.isEmpty() ? 0 : history.get(history.size() - 1).elapsedSeconds();
      for (int sweep = sweepsDone + 1; sweep <= sweeps; sweep++) {
        long sweepStart = System.nanoTime();
        boolean sampled = sweep > gibbs.burnIn();
        boolean closes = sampled && (blockSamples + 1 == GibbsSampler.ALIGN_BLOCK
            || sweep == sweeps);
        // Each side's hyperparameters from its column sums of the sweep before.
        drawHypers(userMu, userLambda, userSums, users, sweep, 0);
        drawHypers(itemMu, itemLambda, itemSums, items, sweep, 1);
        jsc.setJobDescription("gibbs sweep " + sweep);
        double[][] drawn = sweep(
            new HalfSweep(settings.seed(), sweep, userMu, userLambda, alpha, w0, biases,
                gibbs.rowNoiseShape(), gibbs.raoBlackwell(), sampled, closes, pending, rotation),
            new HalfSweep(settings.seed(), sweep, itemMu, itemLambda, alpha, w0, biases,
                gibbs.rowNoiseShape(), gibbs.raoBlackwell(), sampled, closes, pending, rotation));
        userSums = Arrays.copyOf(drawn[0], 2 * (k + 1));
        double[] stats = drawn[1];
        itemSums = Arrays.copyOf(stats, 2 * (k + 1));
        pending = false;
        rotation = null;
        int at = 2 * (k + 1);
        double mse = stats[at] / ratingCount;
        alpha = GibbsSampler.gamma((1.0 + ratingCount) / 2, (1.0 + stats[at + 1]) / 2,
            stream(sweep, -2));
        if (globalMean) {
          double precision = alpha * stats[at + 2];
          w0 = stats[at + 3] / stats[at + 2]
              + stream(sweep, -1).nextGaussian() / Math.sqrt(precision);
        }
        if (sampled) {
          samples++;
          blockSamples++;
          w0Block += w0;
          if (closes) {
            double[] cross = new double[k * k];
            for (double[] part : drawn) {
              for (int j = 0; j < k * k; j++) {
                cross[j] += part[at + HalfSweep.RATING_STATS + j];
              }
            }
            rotation = gibbs.alignSamples() && samples > blockSamples
                ? GibbsSampler.nearestRotation(GibbsSampler.square(cross, k)) : null;
            pending = true;
            w0Sum += w0Block;
            w0Block = 0;
            blockSamples = 0;
          }
        }
        sweepsDone = sweep;
        double seconds = (System.nanoTime() - sweepStart) / 1e9;
        boolean logged = sweep % logEvery == 0 || sweep == sweeps;
        if (logged) {
          jsc.setJobDescription("gibbs validation after sweep " + sweep);
          score();
        }
        double elapsed = before + (System.nanoTime() - first) / 1e9;
        history.add(new EpochStats(sweep, mse, validRmse, validMae, 0.0,
            ratingCount / seconds, elapsed));
        if (logged) {
          double perSweep = (System.nanoTime() - first) / 1e9 / (sweep - firstSweep);
          LOG.info(String.format(Locale.ROOT, "sweep %d/%d  train_mse %.4f  valid_rmse %.4f "
                  + "(%s)  noise_sd %.3f  %,.0f ratings/s  elapsed %.1f s  eta %.1f s", sweep,
              sweeps, mse, validRmse, folded() > 0 ? "mean of " + folded() + " samples"
                  : "burn-in sample", 1 / Math.sqrt(alpha), ratingCount / seconds, elapsed,
              perSweep * (sweeps - sweep)));
          if (sweep < sweeps && sweep % checkpointEvery == 0) {
            jsc.setJobDescription("gibbs checkpoint after sweep " + sweep);
            checkpoint();
          }
        }
      }
    }

    /** Samples in the sums, with a pending block counted as folded. */
    int folded() {
      return samples - blockSamples;
    }

    /**
     * One sweep as one Spark job of three stages: the items' rows shipped to the users' blocks;
     * the users' blocks drawn given them, and in the same tasks their new rows shipped to the
     * items' blocks; the items' blocks drawn. Returns the users' and the items' summed
     * statistics (the cross products in block order); the new blocks stay cached.
     */
    double[][] sweep(HalfSweep usersHalf, HalfSweep itemsHalf) {
      JavaRDD<Tuple2<RowBlock, double[]>> drawnUsers = drawn(userBlocks, itemBlocks, usersHalf);
      JavaRDD<RowBlock> nextUsers = drawnUsers.map(Tuple2::_1);
      JavaRDD<Tuple2<RowBlock, double[]>> drawnItems = drawn(itemBlocks, nextUsers, itemsHalf);
      double[] itemStats = sum(drawnItems.map(Tuple2::_2).collect());
      // From the cache: the job above drew them.
      double[] userStats = sum(drawnUsers.map(Tuple2::_2).collect());
      unpersist(FactorModel.USERS);
      unpersist(FactorModel.ITEMS);
      cached[FactorModel.USERS] = drawnUsers;
      cached[FactorModel.ITEMS] = drawnItems;
      userBlocks = nextUsers;
      itemBlocks = drawnItems.map(Tuple2::_1);
      return new double[][] {userStats, itemStats};
    }

    /** The blocks {@code own} drawn given the rows of {@code other} their ratings rate. */
    JavaRDD<Tuple2<RowBlock, double[]>> drawn(JavaRDD<RowBlock> own, JavaRDD<RowBlock> other,
        HalfSweep half) {
      JavaPairRDD<Integer, Tuple2<Integer, double[]>> messages = ship(other,
          (b, q) -> new Tuple2<>(b.index, b.message(q)));
      return own.zipPartitions(messages, half::run).persist(StorageLevel.MEMORY_AND_DISK());
    }

    void release() {
      unpersist(FactorModel.USERS);
      unpersist(FactorModel.ITEMS);
    }

    void unpersist(int side) {
      if (cached[side] != null) {
        cached[side].unpersist(false);
        cached[side] = null;
      }
    }

    /** Makes {@code blocks} the side's blocks, cached, in place of the ones before. */
    void replace(int side, JavaRDD<RowBlock> blocks) {
      JavaRDD<RowBlock> kept = blocks.persist(StorageLevel.MEMORY_AND_DISK());
      kept.count();
      unpersist(side);
      cached[side] = kept;
      if (side == FactorModel.USERS) {
        userBlocks = kept;
      } else {
        itemBlocks = kept;
      }
    }

    /** The model's rows now: the posterior mean of the folded samples, or the sample. */
    JavaRDD<Tuple2<RowBlock, double[]>> modelRows(JavaRDD<RowBlock> side) {
      double scale = folded() > 0 ? 1.0 / folded() : 0.0;
      boolean withBlock = pending;
      double[] r = rotation;
      return side.map(b -> new Tuple2<>(b, b.modelRows(scale, withBlock, r)));
    }

    double modelW0() {
      return folded() > 0 ? w0Sum / folded() : w0;
    }

    /** The validation RMSE and MAE of the model now, scored in the items' blocks. */
    void score() {
      int width = k + 1;
      JavaPairRDD<Integer, Tuple2<Integer, double[]>> messages = ship(modelRows(userBlocks),
          (t, q) -> new Tuple2<>(t._1().index, t._1().select(t._2(), q, width)));
      double bias = modelW0();
      double[] errors = sum(modelRows(itemBlocks).zipPartitions(messages, (own, in) -> {
        Tuple2<RowBlock, double[]> t = own.next();
        return single(t._1().scoreValidation(t._2(), in, bias));
      }).collect());
      validRmse = errors[2] > 0 ? Math.sqrt(errors[0] / errors[2]) : Double.NaN;
      validMae = errors[2] > 0 ? errors[1] / errors[2] : Double.NaN;
    }

    /** The posterior mean, gathered into the model (as every engine hands its model over). */
    FactorModel model() {
      FactorModel model = new FactorModel(k, biases, users, items, modelW0(),
          modelSettings.yRange());
      int width = k + (biases ? 1 : 0);
      int p = blocks;
      for (JavaRDD<RowBlock> side : List.of(userBlocks, itemBlocks)) {
        // Only the rows come back, a block at a time, never the blocks' ratings.
        List<Tuple2<Integer, double[]>> tables = modelRows(side)
            .map(t -> new Tuple2<>(t._1().index, t._2())).collect();
        float[] target = side == userBlocks ? model.userRows() : model.itemRows();
        for (Tuple2<Integer, double[]> t : tables) {
          double[] values = t._2();
          for (int r = 0; r < values.length / (k + 1); r++) {
            int g = r * p + t._1();
            for (int f = 0; f < width; f++) {
              target[g * width + f] = (float) values[r * (k + 1) + f];
            }
          }
        }
      }
      return model;
    }

    /** Draws the side's hyperparameters, bias (column k) first, from its column sums. */
    void drawHypers(double[] mu, double[] lambda, double[] sums, int rows, int sweep,
        int side) {
      for (int f = biases ? k : k - 1; f >= 0; f--) {
        GibbsSide.drawHyperFromSums(mu, lambda, f, rows, sums[2 * f], sums[2 * f + 1],
            stream(sweep, 2 * f + side));
      }
    }

    SplittableRandom stream(int sweep, int column) {
      return new SplittableRandom(Seeds.mix(Seeds.mix(settings.seed(), sweep, column), -1, 0));
    }

    /** Each block writes its file {@code name} (a folder's name: its ratings, or a sweep's). */
    void writeBlocks(String name, BlockWriter writer) {
      SerializableConfiguration c = conf;
      String d = dir;
      for (JavaRDD<RowBlock> side : List.of(userBlocks, itemBlocks)) {
        side.foreach(b -> new HadoopFiles(c.value()).writeAtomically(
            blockPath(d, name, b.side, b.index), raw -> {
              DataOutputStream out = new DataOutputStream(new BufferedOutputStream(raw, 1 << 20));
              writer.write(b, out);
              out.flush();
            }));
      }
    }

    void writeRatings() {
      writeBlocks(RATINGS, RowBlock::writeRatings);
    }

    /**
     * Writes every block's parameters and then the driver's scalars (which mark the checkpoint
     * complete), and continues from the files: the blocks' lineage starts there again.
     */
    void checkpoint() {
      String name = "sweep-" + sweepsDone;
      writeBlocks(name, RowBlock::writeState);
      files().writeAtomically(dir + "/" + name + "/driver", raw -> {
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(raw));
        writeDriver(out);
        out.flush();
      });
      for (String old : files().list(dir)) {
        String base = old.substring(old.lastIndexOf('/') + 1);
        if (base.startsWith("sweep-") && !base.equals(name)) {
          files().delete(old);
        }
      }
      replace(FactorModel.USERS, readBlocks(FactorModel.USERS, name));
      replace(FactorModel.ITEMS, readBlocks(FactorModel.ITEMS, name));
    }

    JavaRDD<RowBlock> readBlocks(int side, String name) {
      SerializableConfiguration c = conf;
      String d = dir;
      int p = blocks;
      int kk = k;
      List<Integer> indices = IntStream.range(0, p).boxed().toList();
      return jsc.parallelize(indices, p).map(index -> {
        HadoopFiles files = new HadoopFiles(c.value());
        RowBlock block;
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(
            files.open(blockPath(d, RATINGS, side, index)), 1 << 20))) {
          block = RowBlock.read(side, index, p, kk, in);
        }
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(
            files.open(blockPath(d, name, side, index)), 1 << 20))) {
          block.readState(in);
        }
        return block;
      });
    }

    void writeDriver(DataOutputStream out) throws IOException {
      out.writeInt(VERSION);
      for (long value : shape()) {
        out.writeLong(value);
      }
      out.writeInt(sweepsDone);
      for (double value : new double[] {w0, alpha, w0Sum, w0Block}) {
        out.writeDouble(value);
      }
      out.writeInt(samples);
      out.writeInt(blockSamples);
      out.writeBoolean(pending);
      out.writeBoolean(rotation != null);
      if (rotation != null) {
        Checkpoints.writeDoubles(out, rotation);
      }
      for (double[] values : new double[][] {userSums, itemSums, userMu, userLambda, itemMu,
          itemLambda}) {
        Checkpoints.writeDoubles(out, values);
      }
      out.writeDouble(validRmse);
      out.writeDouble(validMae);
      Checkpoints.writeHistory(out, history);
    }

    /** What a checkpoint must have been written with to be continued. */
    long[] shape() {
      TrainSettings.Gibbs gibbs = settings.gibbs();
      return new long[] {blocks, k, users, items, ratingCount, settings.seed(), gibbs.sweeps(),
          gibbs.burnIn(), biases ? 1 : 0, globalMean ? 1 : 0,
          Double.doubleToLongBits(gibbs.rowNoiseShape()), gibbs.alignSamples() ? 1 : 0,
          gibbs.raoBlackwell() ? 1 : 0};
    }

    int newestCheckpoint() {
      HadoopFiles files = files();
      if (!files.exists(dir)) {
        return -1;
      }
      int newest = -1;
      for (String path : files.list(dir)) {
        String base = path.substring(path.lastIndexOf('/') + 1);
        if (base.startsWith("sweep-") && files.exists(path + "/driver")) {
          newest = Math.max(newest, Integer.parseInt(base.substring("sweep-".length())));
        }
      }
      return newest;
    }

    void restore(int sweep) {
      String name = "sweep-" + sweep;
      String path = dir + "/" + name + "/driver";
      try (DataInputStream in = new DataInputStream(new BufferedInputStream(
          files().open(path)))) {
        if (in.readInt() != VERSION) {
          throw new IOException("written by another version of the engine");
        }
        for (long value : shape()) {
          if (in.readLong() != value) {
            throw new IOException("written with other data or settings (workers, factors, "
                + "ratings, seed, sweeps, burn-in or the model); run without --resume");
          }
        }
        sweepsDone = in.readInt();
        w0 = in.readDouble();
        alpha = in.readDouble();
        w0Sum = in.readDouble();
        w0Block = in.readDouble();
        samples = in.readInt();
        blockSamples = in.readInt();
        pending = in.readBoolean();
        rotation = null;
        if (in.readBoolean()) {
          rotation = new double[k * k];
          Checkpoints.readDoubles(in, rotation);
        }
        userSums = new double[2 * (k + 1)];
        itemSums = new double[2 * (k + 1)];
        // The hyperparameters too: the next draw of each is about its mean before.
        for (double[] values : new double[][] {userSums, itemSums, userMu, userLambda, itemMu,
            itemLambda}) {
          Checkpoints.readDoubles(in, values);
        }
        validRmse = in.readDouble();
        validMae = in.readDouble();
        history.addAll(Checkpoints.readHistory(in));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot resume from " + path + ": " + e.getMessage(), e);
      }
      replace(FactorModel.USERS, readBlocks(FactorModel.USERS, name));
      replace(FactorModel.ITEMS, readBlocks(FactorModel.ITEMS, name));
    }
  }

  /**
   * Spark's job description (its UI and event log show it): the chain's jobs say what they are
   * ("gibbs sweep 12", "gibbs validation after sweep 12", ...).
   */
  private static final String JOB_DESCRIPTION = "spark.job.description";

  /** The folder of the blocks' ratings, written once, beside each sweep's folder. */
  private static final String RATINGS = "ratings";

  /** A block's file in folder {@code name} of the chain's folder {@code dir}. */
  private static String blockPath(String dir, String name, int side, int index) {
    return dir + "/" + name + "/" + (side == FactorModel.USERS ? "users-" : "items-") + index;
  }

  /** How a block writes one of its files. */
  @FunctionalInterface
  interface BlockWriter extends java.io.Serializable {
    void write(RowBlock block, DataOutputStream out) throws IOException;
  }

  /** One task's ratings of one block, as they come (kind 0 training, 1 validation). */
  static final class Chunk implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final int kind;
    int[] row = new int[16];
    int[] other = new int[16];
    float[] rating = new float[16];
    int size;

    Chunk(int kind) {
      this.kind = kind;
    }

    void add(int r, int o, float value) {
      if (size == row.length) {
        row = Arrays.copyOf(row, size * 2);
        other = Arrays.copyOf(other, size * 2);
        rating = Arrays.copyOf(rating, size * 2);
      }
      row[size] = r;
      other[size] = o;
      rating[size] = value;
      size++;
    }
  }

  private static List<Chunk> collected(Iterator<Tuple2<Integer, Chunk>> keyed) {
    List<Chunk> chunks = new ArrayList<>();
    keyed.forEachRemaining(t -> chunks.add(t._2()));
    return chunks;
  }

  /** A block's chunks of one kind, concatenated. */
  private static RowBlock.Triples triples(List<Chunk> chunks, int kind) {
    int size = 0;
    for (Chunk c : chunks) {
      size += c.kind == kind ? c.size : 0;
    }
    int[] row = new int[size];
    int[] other = new int[size];
    float[] rating = new float[size];
    int at = 0;
    for (Chunk c : chunks) {
      if (c.kind == kind) {
        System.arraycopy(c.row, 0, row, at, c.size);
        System.arraycopy(c.other, 0, other, at, c.size);
        System.arraycopy(c.rating, 0, rating, at, c.size);
        at += c.size;
      }
    }
    return new RowBlock.Triples(row, other, rating, size);
  }

  /** Logs a block built, in the executor that built it. */
  private static RowBlock logged(RowBlock block) {
    LOG.info("{} block {}/{}: {} rows, {} ratings, {} validation ratings",
        block.side == FactorModel.USERS ? "users'" : "items'", block.index + 1, block.blocks,
        block.rows, block.ratings(), block.vrating.length);
    return block;
  }

  private static <T> Iterator<T> single(T value) {
    return List.of(value).iterator();
  }

  private static double[] ones(int n) {
    double[] values = new double[n];
    Arrays.fill(values, 1.0);
    return values;
  }

  /** Element-wise sum of the arrays in order (the blocks' statistics, summed by block). */
  private static double[] sum(List<double[]> parts) {
    double[] total = new double[parts.get(0).length];
    for (double[] part : parts) {
      for (int j = 0; j < total.length; j++) {
        total[j] += part[j];
      }
    }
    return total;
  }
}
