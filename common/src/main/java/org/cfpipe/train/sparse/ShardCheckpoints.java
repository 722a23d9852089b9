package org.cfpipe.train.sparse;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.util.SerializableConfiguration;
import org.cfpipe.model.FactorModel;
import org.cfpipe.spark.HadoopFiles;
import org.cfpipe.train.Checkpoints;
import org.cfpipe.train.ParameterTable;
import org.cfpipe.train.Seeds;
import org.cfpipe.train.Shard;
import org.cfpipe.train.TrainingSet;

/**
 * The distributed engine's user rows on a shared file system, one file per shard and epoch
 * ({@code shards-epoch-N/shard-I}), written by the executors that hold them. After each epoch the
 * shards are rebuilt from the ratings and these files, so a lost shard costs one epoch's rounds
 * to recompute (Spark's lineage back to the files), never the whole training, and a restarted
 * driver resumes from the newest epoch whose files and driver checkpoint are complete.
 */
final class ShardCheckpoints implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Pattern FOLDER = Pattern.compile("shards-epoch-(\\d+)$");

  private final String dir;
  private final SerializableConfiguration conf;

  ShardCheckpoints(String dir, SerializableConfiguration conf) {
    this.dir = dir;
    this.conf = conf;
  }

  String folder(int epoch) {
    return dir + "/shards-epoch-" + epoch;
  }

  private String file(int epoch, int shard) {
    return folder(epoch) + "/shard-" + shard;
  }

  /** Each executor writes its shards' users and user table (parameters and optimizer state). */
  void write(JavaRDD<Shard> shards, int epoch) {
    shards.foreach(s -> write(s, epoch));
  }

  private void write(Shard shard, int epoch) throws IOException {
    Path path = new Path(file(epoch, shard.id));
    FileSystem fs = path.getFileSystem(conf.value());
    try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
        fs.create(path, true), 1 << 20))) {
      out.writeInt(shard.users.length);
      for (int user : shard.users) {
        out.writeInt(user);
      }
      Checkpoints.writeFloats(out, shard.userTable.data());
    }
  }

  /**
   * The shards as they were after {@code epoch}: each base shard (its ratings as built) with its
   * user table read back, and its ratings shuffled as epochs 1..epoch shuffled them.
   */
  JavaRDD<Shard> restore(JavaRDD<Shard> base, int epoch, long seed) {
    return base.map(s -> restore(s, epoch, seed));
  }

  private Shard restore(Shard base, int epoch, long seed) {
    Path path = new Path(file(epoch, base.id));
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(
        path.getFileSystem(conf.value()).open(path), 1 << 20))) {
      int[] users = readUserIds(in);
      if (!Arrays.equals(users, base.users)) {
        throw new IOException(path + " holds other users than shard " + base.id
            + ": was it written with another number of workers?");
      }
      ParameterTable table = base.userTable.copy();
      Checkpoints.readFloats(in, table.data());
      TrainingSet ratings = base.ratings;
      for (int e = 1; e <= epoch; e++) {
        ratings = ratings.copy();
        ratings.shuffle(new SplittableRandom(Seeds.mix(seed, e, base.id)));
      }
      return new Shard(base.id, base.users, ratings, base.validation, table);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot restore shard " + base.id + " after epoch " + epoch
          + ": " + e.getMessage(), e);
    }
  }

  /** Copies the first {@code width} floats of every user row of {@code epoch} into the model. */
  void readUsers(int epoch, int shards, FactorModel model, int stride) {
    HadoopFiles files = new HadoopFiles(conf.value());
    int width = model.rowWidth();
    for (int shard = 0; shard < shards; shard++) {
      try (DataInputStream in = new DataInputStream(new BufferedInputStream(
          files.open(file(epoch, shard)), 1 << 20))) {
        int[] users = readUserIds(in);
        float[] table = Checkpoints.readFloats(in);
        for (int local = 0; local < users.length; local++) {
          System.arraycopy(table, local * stride, model.userRows(), users[local] * width, width);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the user rows of shard " + shard
            + " after epoch " + epoch, e);
      }
    }
  }

  /** A shard file's first part: the global index of each of its users. */
  private static int[] readUserIds(DataInputStream in) throws IOException {
    int[] users = new int[in.readInt()];
    for (int j = 0; j < users.length; j++) {
      users[j] = in.readInt();
    }
    return users;
  }

  /** Removes the shard files of every epoch but {@code keep}. */
  void deleteAllBut(int... keep) {
    HadoopFiles files = new HadoopFiles(conf.value());
    for (String path : files.list(dir)) {
      Matcher m = FOLDER.matcher(path);
      if (m.find() && Arrays.stream(keep).noneMatch(e -> e == Integer.parseInt(m.group(1)))) {
        files.delete(path);
      }
    }
  }
}
