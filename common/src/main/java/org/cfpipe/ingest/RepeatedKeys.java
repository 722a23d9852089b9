package org.cfpipe.ingest;

import java.io.Serializable;
import org.apache.parquet.column.values.bloomfilter.BlockSplitBloomFilter;

/**
 * The keys that may occur more than once in a set of partitions, as a pair of Bloom filters:
 * {@code seen} holds every key, {@code twice} every key met again in its partition, and merging
 * two partitions' pairs adds to {@code twice} the bits set in both {@code seen}. A key that occurs
 * twice, in one partition or in two, therefore always answers {@link #mightRepeat} true; a key
 * that occurs once answers true only when all its bits fall on bits set in two partitions'
 * filters or met again: 26,269 of the 22.4M single keys (0.12%) of 25M planted ratings, with
 * 1.04M keys repeated (docs/benchmarks/pipeline.md; Spark's sketch then).
 *
 * <p>The filters are Parquet's split-block Bloom filters (the ones Parquet writes into its
 * files): all the bits of a key lie in one 32-byte block, one cache line, where a classic filter
 * of this size (30 MB at 25M ratings) touches a line per hash function. A filter is at most
 * Parquet's 128 MB, whatever the number of keys. The pair is its two bit arrays, which any Spark
 * serializer writes as they are; the filters over them are made where they are used, one per
 * thread, since a filter keeps scratch state of its own.
 */
final class RepeatedKeys implements Serializable {
  private static final long serialVersionUID = 3L;
  /** The false positive rate of {@code seen} alone. */
  private static final double FPP = 0.05;
  /**
   * Up to this size a filter has 8 bytes a key, where single keys are almost never flagged (the
   * bundled sample's 100k flagged 211 with the 128 KB the rate above asks, none with 2 MB), so
   * the window is skipped on small inputs without repeats; from half a million keys on, the
   * rate's size, as before.
   */
  static final int FLOOR_BYTES = 4 << 20;
  private static final int FLOOR_BYTES_PER_KEY = 8;
  /** Parquet's block: eight 32-bit words. */
  private static final int BLOCK_BYTES = 32;

  /** The bits of seen, null once {@link #repeatedOnly} dropped them, and of twice. */
  private byte[] seen;
  private byte[] twice;
  private transient BlockSplitBloomFilter seenFilter;
  private transient BlockSplitBloomFilter twiceFilter;
  private transient volatile ThreadLocal<BlockSplitBloomFilter> probes;

  /** Empty filters for about {@code expected} keys; every pair to merge needs the same. */
  RepeatedKeys(long expected) {
    int bytes = bytes(expected);
    this.seen = new byte[bytes];
    this.twice = new byte[bytes];
  }

  /** Parquet's size for the keys: a power of two between its bounds. */
  static int bytes(long expected) {
    long wanted = Math.max(Math.max(BlockSplitBloomFilter.LOWER_BOUND_BYTES,
            Math.min(FLOOR_BYTES, FLOOR_BYTES_PER_KEY * expected)),
        Math.min(BlockSplitBloomFilter.UPPER_BOUND_BYTES,
            BlockSplitBloomFilter.optimalNumOfBits(expected, FPP) / 8L));
    int bytes = Integer.highestOneBit((int) wanted);
    return bytes == wanted ? bytes : Math.min(bytes << 1, BlockSplitBloomFilter.UPPER_BOUND_BYTES);
  }

  /** Adds a key of this pair's partition, in one thread; the key is a 64-bit hash. */
  void add(long key) {
    if (seenFilter == null) {
      seenFilter = new BlockSplitBloomFilter(seen);
      twiceFilter = new BlockSplitBloomFilter(twice);
    }
    if (seenFilter.findHash(key)) {
      // Met before (or a false positive of seen).
      twiceFilter.insertHash(key);
    } else {
      seenFilter.insertHash(key);
    }
  }

  /** Merges other into this: twice |= other.twice | (seen & other.seen); seen |= other.seen. */
  RepeatedKeys merge(RepeatedKeys other) {
    if (seen == null || other.seen == null || seen.length != other.seen.length) {
      throw new IllegalStateException("repeated-key filters of different sizes, or without "
          + "their seen keys");
    }
    for (int b = 0; b < seen.length; b++) {
      twice[b] |= (byte) (other.twice[b] | (seen[b] & other.seen[b]));
      seen[b] |= other.seen[b];
    }
    return this;
  }

  /**
   * Whether {@link #mightRepeat} is false for every key. A key's bits are one in each of the
   * eight 32-bit words of one 32-byte block, so only a block with a bit in each of its words can
   * answer true. Merging sets the bits two partitions' {@code seen} share, scattered (a few
   * thousand of 32M at the bundled sample's size), which rarely fill a block's eight words.
   */
  boolean noneRepeat() {
    for (int block = 0; block < twice.length; block += BLOCK_BYTES) {
      boolean full = true;
      for (int word = block; word < block + BLOCK_BYTES && full; word += 4) {
        full = (twice[word] | twice[word + 1] | twice[word + 2] | twice[word + 3]) != 0;
      }
      if (full) {
        return false;
      }
    }
    return true;
  }

  /** Drops seen, which only merging needs: half the bytes to send. */
  RepeatedKeys repeatedOnly() {
    seen = null;
    seenFilter = null;
    return this;
  }

  /** False for every key that occurs once, but for a few; true for every key that repeats. */
  boolean mightRepeat(long key) {
    ThreadLocal<BlockSplitBloomFilter> local = probes;
    if (local == null) {
      synchronized (this) {
        if (probes == null) {
          byte[] bits = twice;
          probes = ThreadLocal.withInitial(() -> new BlockSplitBloomFilter(bits));
        }
        local = probes;
      }
    }
    return local.get().findHash(key);
  }
}
