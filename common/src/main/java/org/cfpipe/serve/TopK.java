package org.cfpipe.serve;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.PriorityQueue;
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

  /** Each query's k best candidates of one block. */
  static List<Tuple2<Integer, Ranked>> best(List<Query> queries, List<Candidate> candidates,
      Scorer scorer, int k) {
    List<Tuple2<Integer, Ranked>> out = new ArrayList<>(queries.size());
    for (Query q : queries) {
      // The worst kept hit on top, to be replaced by a better one.
      PriorityQueue<Hit> heap = new PriorityQueue<>(k + 1, Hit::worseFirst);
      for (Candidate c : candidates) {
        if (Arrays.binarySearch(q.exclude(), c.key()) >= 0) {
          continue;
        }
        Hit hit = new Hit(c.key(), scorer.score(q.vector(), q.bias(), c.vector(), c.bias()));
        if (heap.size() < k) {
          heap.add(hit);
        } else if (Hit.worseFirst(heap.peek(), hit) < 0) {
          heap.poll();
          heap.add(hit);
        }
      }
      if (!heap.isEmpty()) {
        out.add(new Tuple2<>(q.key(), ranked(new ArrayList<>(heap))));
      }
    }
    return out;
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
