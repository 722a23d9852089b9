package org.cfpipe.train.dl4j;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * The neural model's embedding tables trained outside the network, by sparse-embedding steps:
 * on threads of this JVM ({@link SparseWorkers}) or on Spark executors ({@link SparseShards}).
 */
interface SparseEmbeddings extends AutoCloseable {

  /** How many workers (threads or shards) step side by side. */
  int workers();

  /** Optimizer steps of one epoch, on every worker. */
  int stepsPerEpoch();

  /** Steps taken (by each worker). */
  int steps();

  /** Every worker starts from {@code net}'s values (a {@link ModelGraph} of the model). */
  void load(ComputationGraph net);

  /** Everything a resumed run needs (written after an epoch). */
  void save(DataOutputStream out) throws IOException;

  void restore(DataInputStream in) throws IOException;

  @Override
  void close();
}
