package org.cfpipe.train.gibbs;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import org.apache.spark.util.SerializableConfiguration;
import org.cfpipe.spark.HadoopFiles;
import org.cfpipe.train.Checkpoints;

/**
 * The finished chains of {@link DistributedChains} on a shared file system, one file each
 * ({@code chain-N}), written whole by the executor that sampled the chain. The driver reads them
 * back one at a time, so it never holds more than one chain's sums, and a resumed run samples
 * only the chains whose file is missing.
 */
final class ChainFiles implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final int VERSION = 2;

  private final String dir;
  private final SerializableConfiguration conf;
  /**
   * What a file must have been written with to be reused: sweeps, burn-in, factors, users, items
   * and the stopping rule's fraction in millionths.
   */
  private final int[] shape;
  private final long seed;

  ChainFiles(String dir, SerializableConfiguration conf, int[] shape, long seed) {
    this.dir = dir;
    this.conf = conf;
    this.shape = shape.clone();
    this.seed = seed;
  }

  String path(int chain) {
    return dir + "/chain-" + chain;
  }

  boolean exists(int chain) {
    return new HadoopFiles(conf.value()).exists(path(chain));
  }

  void write(GibbsSampler.ChainMeans chain) {
    new HadoopFiles(conf.value()).writeAtomically(path(chain.index()), raw -> {
      DataOutputStream out = new DataOutputStream(new BufferedOutputStream(raw, 1 << 20));
      out.writeInt(VERSION);
      for (int value : shape) {
        out.writeInt(value);
      }
      out.writeLong(seed);
      out.writeInt(chain.index());
      out.writeInt(chain.samples());
      out.writeDouble(chain.w0());
      for (double[] values : new double[][] {chain.userFactors(), chain.itemFactors(),
          chain.userBias(), chain.itemBias()}) {
        Checkpoints.writeDoubles(out, values);
      }
      Checkpoints.writeHistory(out, chain.history());
      out.flush();
    });
  }

  GibbsSampler.ChainMeans read(int chain) {
    String path = path(chain);
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(
        new HadoopFiles(conf.value()).open(path), 1 << 20))) {
      if (in.readInt() != VERSION) {
        throw new IOException("written by another version of the engine");
      }
      for (int value : shape) {
        if (in.readInt() != value) {
          throw new IOException("written with other settings or data (sweeps, burn-in, "
              + "factors, users, items or stop-at-mc-error); run without --resume");
        }
      }
      if (in.readLong() != seed || in.readInt() != chain) {
        throw new IOException("written with another seed or for another chain; run without "
            + "--resume");
      }
      int samples = in.readInt();
      double w0 = in.readDouble();
      int k = shape[2];
      double[] userFactors = new double[shape[3] * k];
      double[] itemFactors = new double[shape[4] * k];
      double[] userBias = new double[shape[3]];
      double[] itemBias = new double[shape[4]];
      for (double[] values : new double[][] {userFactors, itemFactors, userBias, itemBias}) {
        Checkpoints.readDoubles(in, values);
      }
      return new GibbsSampler.ChainMeans(chain, samples, userFactors, itemFactors, userBias,
          itemBias, w0, Checkpoints.readHistory(in));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read chain " + chain + " from " + path + ": "
          + e.getMessage(), e);
    }
  }
}
