package org.cfpipe.train;

import static org.apache.spark.sql.functions.col;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;

/**
 * Ratings as three parallel primitive arrays (user index, item index, rating): 12 bytes a rating,
 * the form the trainers iterate over.
 */
public final class TrainingSet implements java.io.Serializable {
  private static final long serialVersionUID = 1L;

  private final int[] users;
  private final int[] items;
  private final float[] ratings;

  public TrainingSet(int[] users, int[] items, float[] ratings) {
    if (users.length != items.length || users.length != ratings.length) {
      throw new IllegalArgumentException("arrays of different lengths");
    }
    this.users = users;
    this.items = items;
    this.ratings = ratings;
  }

  /**
   * Brings (user_index, item_index, rating) of {@code table} to the driver, packed per partition
   * into one byte array rather than a Row per rating, and sorted by user, item and rating, so the
   * set is the same whatever order the files were read in. Each partition is sorted where it is
   * ({@link #order}) and the driver merges them: a global sort would shuffle every rating first
   * (a sampling job and a shuffle, most of the 32 s this took for 23M ratings).
   */
  public static TrainingSet collect(Dataset<Row> table) {
    List<byte[]> blocks = table
        .select(col("user_index"), col("item_index"), col("rating").cast("float"))
        .mapPartitions((MapPartitionsFunction<Row, byte[]>) TrainingSet::pack, Encoders.BINARY())
        .collectAsList();
    int size = 0;
    for (byte[] block : blocks) {
      size = Math.addExact(size, block.length / 12);
    }
    int[] users = new int[size];
    int[] items = new int[size];
    float[] ratings = new float[size];
    // A k-way merge: the heap holds each unfinished block, ordered by its next rating.
    ByteBuffer[] cursors = blocks.stream().map(ByteBuffer::wrap).toArray(ByteBuffer[]::new);
    PriorityQueue<ByteBuffer> heap = new PriorityQueue<>(Math.max(1, cursors.length),
        TrainingSet::compareNext);
    for (ByteBuffer cursor : cursors) {
      if (cursor.hasRemaining()) {
        heap.add(cursor);
      }
    }
    for (int n = 0; n < size; n++) {
      ByteBuffer next = heap.poll();
      users[n] = next.getInt();
      items[n] = next.getInt();
      ratings[n] = next.getFloat();
      if (next.hasRemaining()) {
        heap.add(next);
      }
    }
    return new TrainingSet(users, items, ratings);
  }

  /** Orders two blocks by the (user, item, rating) at their positions, as Spark sorted them. */
  private static int compareNext(ByteBuffer a, ByteBuffer b) {
    int at = a.position();
    int bt = b.position();
    int c = Integer.compare(a.getInt(at), b.getInt(bt));
    if (c == 0) {
      c = Integer.compare(a.getInt(at + 4), b.getInt(bt + 4));
    }
    return c != 0 ? c : Float.compare(a.getFloat(at + 8), b.getFloat(bt + 8));
  }

  /** A partition's rows, sorted ({@link #order}), as 12 bytes a rating. */
  private static Iterator<byte[]> pack(Iterator<Row> rows) {
    TrainingSet set = sorted(rows);
    ByteBuffer bytes = ByteBuffer.allocate(Math.multiplyExact(set.size(), 12));
    for (int n = 0; n < set.size(); n++) {
      bytes.putInt(set.users[n]).putInt(set.items[n]).putFloat(set.ratings[n]);
    }
    return List.of(bytes.array()).iterator();
  }

  /**
   * The (user_index int, item_index int, rating float) rows of one partition, sorted by user,
   * item and rating, so that the set does not depend on the order the rows arrived in.
   */
  public static TrainingSet sorted(Iterator<Row> rows) {
    int size = 0;
    int[] u = new int[1024];
    int[] i = new int[1024];
    float[] r = new float[1024];
    while (rows.hasNext()) {
      Row row = rows.next();
      if (size == u.length) {
        int grown = Math.max(size + 1, (int) Math.min(Integer.MAX_VALUE - 8, 2L * size));
        u = Arrays.copyOf(u, grown);
        i = Arrays.copyOf(i, grown);
        r = Arrays.copyOf(r, grown);
      }
      u[size] = row.getInt(0);
      i[size] = row.getInt(1);
      r[size] = row.getFloat(2);
      size++;
    }
    return new TrainingSet(u, i, r).ordered(order(u, i, r, size), size);
  }

  /**
   * The order of the first {@code size} ratings by user, then item, then rating (as
   * {@link Float#compare}): a stable least-significant-digit radix sort, 16 bits a pass, rating
   * first and user last, a pass skipped where every rating shares its digit. Spark's
   * sortWithinPartitions on the three columns took 60% of the collect's 35 s at 23M ratings,
   * in its TimSort's comparisons of rows.
   */
  static int[] order(int[] users, int[] items, float[] ratings, int size) {
    int[] order = new int[size];
    for (int n = 0; n < size; n++) {
      order[n] = n;
    }
    int[] keys = new int[size];
    int[] scratch = new int[size];
    int[] counts = new int[1 << 16];
    for (int column = 0; column < 3; column++) {
      for (int n = 0; n < size; n++) {
        // Flipped so that unsigned order is the column's order.
        keys[n] = switch (column) {
          case 0 -> {
            int bits = Float.floatToIntBits(ratings[n]);
            yield bits ^ (bits >> 31 | Integer.MIN_VALUE);
          }
          case 1 -> items[n] ^ Integer.MIN_VALUE;
          default -> users[n] ^ Integer.MIN_VALUE;
        };
      }
      for (int shift = 0; shift < 32; shift += 16) {
        Arrays.fill(counts, 0);
        for (int n = 0; n < size; n++) {
          counts[keys[n] >>> shift & 0xFFFF]++;
        }
        if (size == 0 || counts[keys[0] >>> shift & 0xFFFF] == size) {
          continue;
        }
        for (int d = 0, sum = 0; d < counts.length; d++) {
          int c = counts[d];
          counts[d] = sum;
          sum += c;
        }
        for (int n = 0; n < size; n++) {
          int at = order[n];
          scratch[counts[keys[at] >>> shift & 0xFFFF]++] = at;
        }
        int[] swap = order;
        order = scratch;
        scratch = swap;
      }
    }
    return order;
  }

  /** The ratings at {@code order[0]} to {@code order[count - 1]}, in that order. */
  public TrainingSet ordered(int[] order, int count) {
    int[] u = new int[count];
    int[] i = new int[count];
    float[] r = new float[count];
    for (int n = 0; n < count; n++) {
      u[n] = users[order[n]];
      i[n] = items[order[n]];
      r[n] = ratings[order[n]];
    }
    return new TrainingSet(u, i, r);
  }

  /** A copy, so that shuffling it leaves this set as it was. */
  public TrainingSet copy() {
    return new TrainingSet(users.clone(), items.clone(), ratings.clone());
  }

  /**
   * The ratings grouped by user in increasing user order, each user's in their order here (a
   * stable counting sort over {@code userCount} users); this set itself when already so.
   */
  public TrainingSet byUser(int userCount) {
    boolean grouped = true;
    for (int n = 1; n < users.length && grouped; n++) {
      grouped = users[n - 1] <= users[n];
    }
    if (grouped) {
      return this;
    }
    int[] next = new int[userCount + 1];
    for (int u : users) {
      next[u + 1]++;
    }
    for (int u = 0; u < userCount; u++) {
      next[u + 1] += next[u];
    }
    int[] sortedUsers = new int[users.length];
    int[] sortedItems = new int[users.length];
    float[] sortedRatings = new float[users.length];
    for (int n = 0; n < users.length; n++) {
      int to = next[users[n]]++;
      sortedUsers[to] = users[n];
      sortedItems[to] = items[n];
      sortedRatings[to] = ratings[n];
    }
    return new TrainingSet(sortedUsers, sortedItems, sortedRatings);
  }

  /** Fisher-Yates shuffle of the three arrays together, in place. */
  public void shuffle(SplittableRandom random) {
    for (int j = users.length - 1; j > 0; j--) {
      int k = random.nextInt(j + 1);
      int u = users[j];
      users[j] = users[k];
      users[k] = u;
      int i = items[j];
      items[j] = items[k];
      items[k] = i;
      float r = ratings[j];
      ratings[j] = ratings[k];
      ratings[k] = r;
    }
  }

  public int size() {
    return users.length;
  }

  public int[] users() {
    return users;
  }

  public int[] items() {
    return items;
  }

  public float[] ratings() {
    return ratings;
  }

  /** Mean of the ratings. */
  public double mean() {
    double sum = 0;
    for (float r : ratings) {
      sum += r;
    }
    return users.length == 0 ? Double.NaN : sum / users.length;
  }
}
