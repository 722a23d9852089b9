package org.cfpipe.spark;

import java.util.List;
import scala.collection.JavaConverters;
import scala.collection.immutable.Seq;

/** Joins on columns of equal names, which keep one copy of each key column. */
public final class Joins {
  private Joins() {}

  /** The key columns for {@code Dataset.join(other, using(...), type)}. */
  public static Seq<String> using(String... names) {
    return JavaConverters.asScalaBuffer(List.of(names)).toList();
  }
}
