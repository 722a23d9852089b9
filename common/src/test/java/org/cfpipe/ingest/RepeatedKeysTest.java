package org.cfpipe.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.JavaSerializer;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.Serializer;
import org.apache.spark.serializer.SerializerInstance;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import org.junit.jupiter.api.Test;

class RepeatedKeysTest {
  @Test
  void everyRepeatedKeyIsFlaggedWhetherItsCopiesShareAPartitionOrNotAndFewSingleKeysAre() {
    int partitions = 4;
    int singles = 200_000;
    long expected = 2L * singles;
    RepeatedKeys[] parts = new RepeatedKeys[partitions];
    for (int p = 0; p < partitions; p++) {
      parts[p] = new RepeatedKeys(expected);
    }
    SplittableRandom random = new SplittableRandom(7);
    // Keys 0..singles-1 occur once; keys 10^9 + j twice, in the same partition (j even) or in
    // two partitions (j odd).
    for (long key = 0; key < singles; key++) {
      parts[random.nextInt(partitions)].add(mix(key));
    }
    for (long j = 0; j < 2000; j++) {
      long key = mix(1_000_000_000L + j);
      int first = random.nextInt(partitions);
      parts[first].add(key);
      parts[j % 2 == 0 ? first : (first + 1) % partitions].add(key);
    }
    RepeatedKeys merged = parts[0].merge(parts[1]).merge(parts[2].merge(parts[3]));

    for (long j = 0; j < 2000; j++) {
      assertTrue(merged.mightRepeat(mix(1_000_000_000L + j)), "repeated key " + j);
    }
    long flagged = 0;
    for (long key = 0; key < singles; key++) {
      flagged += merged.mightRepeat(mix(key)) ? 1 : 0;
    }
    // Half the filters' capacity used: a single key is flagged with probability well under 1%.
    assertTrue(flagged < singles / 100, flagged + " of " + singles + " single keys flagged");
  }

  @Test
  void aPairSentToAnotherJvmAnswersAsItDid() throws Exception {
    RepeatedKeys keys = new RepeatedKeys(10_000);
    for (long key = 0; key < 5_000; key++) {
      keys.add(mix(key % 4_000));
    }
    // Spark's two serializers: Java's, and Kryo (which users may set, conf/yarn.conf does).
    SparkConf conf = new SparkConf();
    for (Serializer serializer : List.of(new JavaSerializer(conf), new KryoSerializer(conf))) {
      SerializerInstance instance = serializer.newInstance();
      ClassTag<RepeatedKeys> tag = ClassTag$.MODULE$.apply(RepeatedKeys.class);
      RepeatedKeys copy = instance.deserialize(instance.serialize(keys, tag), tag);
      long repeated = 0;
      for (long key = 0; key < 20_000; key++) {
        assertEquals(keys.mightRepeat(mix(key)), copy.mightRepeat(mix(key)), "key " + key);
        repeated += copy.mightRepeat(mix(key)) ? 1 : 0;
      }
      // Keys 0..999 were added twice; a few others may answer true.
      assertTrue(repeated >= 1_000 && repeated < 1_200, serializer + ": " + repeated
          + " keys answer true");
    }
  }

  @Test
  void theFiltersAreAPowerOfTwoWithinParquetsBounds() {
    assertEquals(32, RepeatedKeys.bytes(1));
    assertEquals(1 << 21, RepeatedKeys.bytes(150_000));
    assertEquals(4 << 20, RepeatedKeys.bytes(2_000_000));
    assertEquals(16 << 20, RepeatedKeys.bytes(10_000_000));
    assertEquals(128 << 20, RepeatedKeys.bytes(5_000_000_000L));
  }

  @Test
  void smallInputsWithoutRepeatsFlagNoKey() {
    // The bundled sample's size: with the floor's 4 MB no single key answers true, and the
    // pair says that nothing repeats, so ingest orders no rows.
    RepeatedKeys[] parts = {new RepeatedKeys(150_000), new RepeatedKeys(150_000)};
    for (long key = 0; key < 100_000; key++) {
      parts[(int) (key % 2)].add(mix(key));
    }
    RepeatedKeys merged = parts[0].merge(parts[1]).repeatedOnly();
    assertTrue(merged.noneRepeat());
    for (long key = 0; key < 100_000; key++) {
      assertFalse(merged.mightRepeat(mix(key)), "key " + key);
    }
    RepeatedKeys again = new RepeatedKeys(150_000);
    again.add(mix(1));
    again.add(mix(1));
    assertFalse(again.noneRepeat());
  }

  /** The pipeline's keys are 64-bit hashes; spread the test's counters likewise. */
  private static long mix(long x) {
    x = (x ^ (x >>> 33)) * 0xff51afd7ed558ccdL;
    x = (x ^ (x >>> 33)) * 0xc4ceb9fe1a85ec53L;
    return x ^ (x >>> 33);
  }
}
