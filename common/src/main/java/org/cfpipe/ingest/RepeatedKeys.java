package org.cfpipe.ingest;

import java.io.Serializable;
import org.apache.spark.util.sketch.BloomFilter;
import org.apache.spark.util.sketch.IncompatibleMergeException;

/**
 * The keys that may occur more than once in a set of partitions, as a pair of Bloom filters
 * (Spark's sketch): {@code seen} holds every key, {@code twice} every key met again in its
 * partition, and merging two partitions' pairs adds to {@code twice} the bits set in both
 * {@code seen}. A key that occurs twice, in one partition or in two, therefore always answers
 * {@link #mightRepeat} true; a key that occurs once answers true only when all its bits fall on
 * bits set in two partitions' filters or met again: 26,269 of the 22.4M single keys (0.12%) of
 * 25M planted ratings, with 1.04M keys repeated (docs/benchmarks/pipeline.md).
 */
final class RepeatedKeys implements Serializable {
  private static final long serialVersionUID = 1L;
  /** The false positive rate of {@code seen} alone. */
  private static final double FPP = 0.05;

  private final long expected;
  private final BloomFilter seen;
  private final BloomFilter twice;

  /** Empty filters for about {@code expected} keys; every pair to merge needs the same. */
  RepeatedKeys(long expected) {
    this.expected = expected;
    this.seen = BloomFilter.create(expected, FPP);
    this.twice = BloomFilter.create(expected, FPP);
  }

  /** Adds a key of this pair's partition. */
  void add(long key) {
    // put is false when every bit of the key was set already: met before (or a false positive).
    if (!seen.putLong(key)) {
      twice.putLong(key);
    }
  }

  /** Merges other into this: twice |= other.twice | (seen & other.seen); seen |= other.seen. */
  RepeatedKeys merge(RepeatedKeys other) {
    try {
      BloomFilter both = BloomFilter.create(expected, FPP);
      both.mergeInPlace(seen).intersectInPlace(other.seen);
      twice.mergeInPlace(other.twice).mergeInPlace(both);
      seen.mergeInPlace(other.seen);
      return this;
    } catch (IncompatibleMergeException e) {
      throw new IllegalStateException("repeated-key filters made with different sizes", e);
    }
  }

  /** False for every key that occurs once, but for a few; true for every key that repeats. */
  boolean mightRepeat(long key) {
    return twice.mightContainLong(key);
  }
}
