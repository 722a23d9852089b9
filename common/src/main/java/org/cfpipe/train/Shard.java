package org.cfpipe.train;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;
import org.apache.spark.sql.Row;
import org.cfpipe.model.FactorModel;

/**
 * One worker's share of a distributed engine (the sparse engine's, the dl4j engine's sparse
 * embeddings): the ratings of a set of users, with those
 * users' parameter rows and optimizer state, which never leave the executor during training.
 * Users are renumbered 0..n-1 locally; items keep their global index. Immutable between rounds:
 * a round returns a new shard, so Spark can recompute a lost one from its parent.
 */
public final class Shard implements Serializable {
  private static final long serialVersionUID = 1L;

  public final int id;
  /** Global index of each local user, ascending. */
  public final int[] users;
  public final TrainingSet ratings;
  public final TrainingSet validation;
  public final ParameterTable userTable;

  public Shard(int id, int[] users, TrainingSet ratings, TrainingSet validation,
      ParameterTable userTable) {
    this.id = id;
    this.users = users;
    this.ratings = ratings;
    this.validation = validation;
    this.userTable = userTable;
  }

  /**
   * Builds a shard from one partition of (user_index, item_index, rating) training and validation
   * rows, sorted so that the shard does not depend on the order rows arrived in, and with each
   * user's row initialised exactly as {@link FactorModel#initUniform} would.
   */
  public static Shard build(int id, Iterator<Row> train, Iterator<Row> valid, int width,
      int stride, double initRange, long seed) {
    Packed trainRows = Packed.of(train);
    Packed validRows = Packed.of(valid);
    int[] users = Arrays.stream(trainRows.keys).mapToInt(k -> (int) (k >>> 32)).distinct()
        .toArray();
    ParameterTable table = new ParameterTable(users.length, width, stride,
        new float[Math.multiplyExact(users.length, stride)]);
    for (int local = 0; local < users.length; local++) {
      FactorModel.initRow(table.data(), local * stride, width, initRange,
          FactorModel.rowSeed(seed, FactorModel.USERS, users[local]));
    }
    return new Shard(id, users, trainRows.local(users), validRows.local(users), table);
  }

  /**
   * Replaces the random start of this shard's users that {@code rows} (index, bias, factors:
   * last night's rows, partitioned as the ratings are) knows; returns this shard.
   */
  public Shard startFrom(Iterator<Row> rows, int factors, int width, int stride) {
    WarmStart.copyRows(rows, factors, width, index -> {
      int local = Arrays.binarySearch(users, index);
      return local < 0 ? -1 : local * stride;
    }, userTable.data());
    return this;
  }

  /** Rows as sorted (user << 32 | item) keys with their ratings. */
  private record Packed(long[] keys, float[] ratings) {

    static Packed of(Iterator<Row> rows) {
      TrainingSet sorted = TrainingSet.sorted(rows);
      long[] keys = new long[sorted.size()];
      for (int n = 0; n < keys.length; n++) {
        keys[n] = ((long) sorted.users()[n] << 32) | (sorted.items()[n] & 0xFFFFFFFFL);
      }
      return new Packed(keys, sorted.ratings());
    }

    /** The rows of {@code users} (sorted global indices), renumbered to local user indices. */
    TrainingSet local(int[] users) {
      int[] u = new int[keys.length];
      int[] i = new int[keys.length];
      float[] r = new float[keys.length];
      int kept = 0;
      for (int n = 0; n < keys.length; n++) {
        int local = Arrays.binarySearch(users, (int) (keys[n] >>> 32));
        if (local >= 0) {
          u[kept] = local;
          i[kept] = (int) keys[n];
          r[kept] = ratings[n];
          kept++;
        }
      }
      return new TrainingSet(Arrays.copyOf(u, kept), Arrays.copyOf(i, kept),
          Arrays.copyOf(r, kept));
    }
  }
}
