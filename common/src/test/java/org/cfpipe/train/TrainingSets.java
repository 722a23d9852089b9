package org.cfpipe.train;

import java.util.Arrays;
import org.cfpipe.ingest.PlantedRatings;

/** Training sets cut from planted ratings, for the engines' tests. */
public final class TrainingSets {
  private TrainingSets() {}

  /** Ratings [from, to) of {@code planted}. */
  public static TrainingSet slice(PlantedRatings.Sample planted, int from, int to) {
    return new TrainingSet(Arrays.copyOfRange(planted.users(), from, to),
        Arrays.copyOfRange(planted.items(), from, to),
        Arrays.copyOfRange(planted.ratings(), from, to));
  }
}
