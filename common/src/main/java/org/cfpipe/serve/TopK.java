package org.cfpipe.serve;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import scala.Tuple2;

/**
 * The k best candidates for each query (items for a user, or items for an item) without ever
 * holding queries x candidates anywhere: both sides are cut into blocks of at most
 * {@code blockSize} rows, each pair of blocks is scored in one task keeping only a bounded heap
 * per query, and the per-block winners are merged by key. The design of Spark ALS's
 * recommendForAll, with any scorer. Ties go to the smaller candidate key, so results are
 * deterministic.
 */
public final class TopK {
  private TopK() {}

  /** A query row: its vector, bias and the sorted candidate keys it must not get. */
  public record Query(int key, float[] vector, float bias, int[] exclude) implements Serializable {}

  /** A candidate row. */
  public record Candidate(int key, float[] vector, float bias) implements Serializable {}

  /** Scores one query row against one candidate row; higher is better. */
  @FunctionalInterface
  public interface Scorer extends Serializable {
    double score(float[] query, float queryBias, float[] candidate, float candidateBias);
  }

  /** Best first: candidate keys and their scores. */
  public record Ranked(int[] keys, double[] scores) implements Serializable {
    public int size() {
      return keys.length;
    }
  }

  public static JavaPairRDD<Integer, Ranked> of(JavaRDD<Query> queries,
      JavaRDD<Candidate> candidates, Scorer scorer, int k, int blockSize) {
    JavaRDD<List<Query>> queryBlocks = queries.mapPartitions(rows -> blocks(rows, blockSize));
    JavaRDD<List<Candidate>> candidateBlocks =
        candidates.mapPartitions(rows -> blocks(rows, blockSize));
    return queryBlocks.cartesian(candidateBlocks)
        .flatMapToPair(pair -> best(pair._1(), pair._2(), scorer, k).iterator())
        .reduceByKey((a, b) -> merge(a, b, k));
  }

  private static <T> Iterator<List<T>> blocks(Iterator<T> rows, int blockSize) {
    List<List<T>> out = new ArrayList<>();
    List<T> block = new ArrayList<>(blockSize);
    while (rows.hasNext()) {
      block.add(rows.next());
      if (block.size() == blockSize) {
        out.add(block);
        block = new ArrayList<>(blockSize);
      }
    }
    if (!block.isEmpty()) {
      out.add(block);
    }
    return out.iterator();
  }

  /**
   * Each query's k best candidates of one block. The k kept so far are a heap in two primitive
   * arrays, the worst on top: a candidate costs its score and, when it beats the worst, one
   * sift, and no allocation (at 25M ratings the block pairs score billions of candidates).
   */
  static List<Tuple2<Integer, Ranked>> best(List<Query> queries, List<Candidate> candidates,
      Scorer scorer, int k) {
    List<Tuple2<Integer, Ranked>> out = new ArrayList<>(queries.size());
    int[] keys = new int[k];
    double[] scores = new double[k];
    for (Query q : queries) {
      int size = 0;
      for (Candidate c : candidates) {
        if (Arrays.binarySearch(q.exclude(), c.key()) >= 0) {
          continue;
        }
        double score = scorer.score(q.vector(), q.bias(), c.vector(), c.bias());
        if (size < k) {
          siftUp(keys, scores, size++, c.key(), score);
        } else if (worse(keys[0], scores[0], c.key(), score)) {
          siftDown(keys, scores, k, c.key(), score);
        }
      }
      if (size > 0) {
        List<Hit> hits = new ArrayList<>(size);
        for (int j = 0; j < size; j++) {
          hits.add(new Hit(keys[j], scores[j]));
        }
        out.add(new Tuple2<>(q.key(), ranked(hits)));
      }
    }
    return out;
  }

  /** Whether hit (key a, score x) is worse than (key b, score y), as {@link Hit#worseFirst}. */
  private static boolean worse(int a, double x, int b, double y) {
    int byScore = Double.compare(x, y);
    return byScore != 0 ? byScore < 0 : a > b;
  }

  /** Adds a hit at the end of a heap of {@code at} hits and moves it up to its place. */
  private static void siftUp(int[] keys, double[] scores, int at, int key, double score) {
    while (at > 0) {
      int parent = (at - 1) / 2;
      if (!worse(key, score, keys[parent], scores[parent])) {
        break;
      }
      keys[at] = keys[parent];
      scores[at] = scores[parent];
      at = parent;
    }
    keys[at] = key;
    scores[at] = score;
  }

  /** Replaces the worst hit of a full heap of {@code size} with a better one. */
  private static void siftDown(int[] keys, double[] scores, int size, int key, double score) {
    int at = 0;
    while (true) {
      int child = 2 * at + 1;
      if (child >= size) {
        break;
      }
      if (child + 1 < size && worse(keys[child + 1], scores[child + 1], keys[child],
          scores[child])) {
        child++;
      }
      if (!worse(keys[child], scores[child], key, score)) {
        break;
      }
      keys[at] = keys[child];
      scores[at] = scores[child];
      at = child;
    }
    keys[at] = key;
    scores[at] = score;
  }

  static Ranked merge(Ranked a, Ranked b, int k) {
    List<Hit> hits = new ArrayList<>(a.size() + b.size());
    for (Ranked r : List.of(a, b)) {
      for (int j = 0; j < r.size(); j++) {
        hits.add(new Hit(r.keys()[j], r.scores()[j]));
      }
    }
    return ranked(hits.size() > k ? best(hits, k) : hits);
  }

  private static List<Hit> best(List<Hit> hits, int k) {
    hits.sort((x, y) -> Hit.worseFirst(y, x));
    return hits.subList(0, k);
  }

  private static Ranked ranked(List<Hit> hits) {
    hits.sort((x, y) -> Hit.worseFirst(y, x));
    int[] keys = new int[hits.size()];
    double[] scores = new double[hits.size()];
    for (int j = 0; j < keys.length; j++) {
      keys[j] = hits.get(j).key();
      scores[j] = hits.get(j).score();
    }
    return new Ranked(keys, scores);
  }

  private record Hit(int key, double score) {
    /** Orders the worse hit first: lower score, then on a tie the larger key. */
    static int worseFirst(Hit x, Hit y) {
      int byScore = Double.compare(x.score(), y.score());
      return byScore != 0 ? byScore : Integer.compare(y.key(), x.key());
    }
  }
}
