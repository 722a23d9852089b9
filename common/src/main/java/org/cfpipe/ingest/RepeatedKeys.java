package org.cfpipe.ingest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
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
 * of this size (30 MB at 25M ratings) touches a line per hash function. Adding 25M keys with
 * Spark's sketch, one cache miss after another, took about a fifth of ingest's first pass.
 */
final class RepeatedKeys implements Serializable {
  private static final long serialVersionUID = 2L;
  /** The false positive rate of {@code seen} alone. */
  private static final double FPP = 0.05;

  private transient BlockSplitBloomFilter seen;
  private transient BlockSplitBloomFilter twice;

  /** Empty filters for about {@code expected} keys; every pair to merge needs the same. */
  RepeatedKeys(long expected) {
    int bytes = BlockSplitBloomFilter.optimalNumOfBits(expected, FPP) / 8;
    this.seen = new BlockSplitBloomFilter(bytes, BlockSplitBloomFilter.UPPER_BOUND_BYTES);
    this.twice = new BlockSplitBloomFilter(bytes, BlockSplitBloomFilter.UPPER_BOUND_BYTES);
  }

  /** Adds a key of this pair's partition; the key is a 64-bit hash. */
  void add(long key) {
    if (seen.findHash(key)) {
      // Met before (or a false positive of seen).
      twice.insertHash(key);
    } else {
      seen.insertHash(key);
    }
  }

  /** Merges other into this: twice |= other.twice | (seen & other.seen); seen |= other.seen. */
  RepeatedKeys merge(RepeatedKeys other) {
    try {
      byte[] both = bits(seen);
      byte[] theirs = bits(other.seen);
      for (int b = 0; b < both.length; b++) {
        both[b] &= theirs[b];
      }
      twice.merge(other.twice);
      twice.merge(new BlockSplitBloomFilter(both));
      seen.merge(other.seen);
      return this;
    } catch (IOException e) {
      throw new IllegalStateException("repeated-key filters made with different sizes", e);
    }
  }

  /** False for every key that occurs once, but for a few; true for every key that repeats. */
  boolean mightRepeat(long key) {
    return twice.findHash(key);
  }

  private static byte[] bits(BlockSplitBloomFilter filter) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(filter.getBitsetSize());
    try {
      filter.writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private void writeObject(ObjectOutputStream out) throws IOException {
    for (BlockSplitBloomFilter filter : new BlockSplitBloomFilter[] {seen, twice}) {
      out.writeInt(filter.getBitsetSize());
      filter.writeTo(out);
    }
  }

  private void readObject(ObjectInputStream in) throws IOException {
    seen = read(in);
    twice = read(in);
  }

  private static BlockSplitBloomFilter read(ObjectInputStream in) throws IOException {
    byte[] bits = new byte[in.readInt()];
    in.readFully(bits);
    return new BlockSplitBloomFilter(bits);
  }
}
