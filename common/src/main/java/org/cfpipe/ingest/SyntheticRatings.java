package org.cfpipe.ingest;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cfpipe.config.GenerateSettings;
import org.cfpipe.config.RatingScale;

/**
 * MovieLens-shaped synthetic ratings drawn from a {@link PlantedRatings} truth inside Spark: each
 * partition draws its share with its own seed, so the same settings give the same ratings on any
 * cluster. A rating is mean + spread x planted score + noise, rounded to the scale's step and
 * clamped to its bounds (half stars in [0.5, 5] by default); {@code truth} is mean + spread x
 * planted score clamped the same way, so the RMSE of truth against rating is the noise floor a
 * model of the planted truth would reach.
 */
public final class SyntheticRatings {
  public static final StructType SCHEMA = new StructType()
      .add("user_id", DataTypes.IntegerType, false)
      .add("item_id", DataTypes.IntegerType, false)
      .add("rating", DataTypes.DoubleType, false)
      .add("timestamp", DataTypes.LongType, false)
      .add("truth", DataTypes.DoubleType, false);
  private static final long FIRST_TIMESTAMP = 1_500_000_000L;

  private SyntheticRatings() {}

  /** Ratings with ids 1..users and 1..items (id - 1 is the planted index). */
  public static Dataset<Row> generate(SparkSession spark, GenerateSettings s) {
    PlantedRatings truth = PlantedRatings.plant(s.users(), s.items(), s.rank(), s.seed());
    Broadcast<PlantedRatings> planted = JavaSparkContext.fromSparkContext(spark.sparkContext())
        .broadcast(truth);
    int partitions = (int) Math.max(1, (s.ratings() + s.ratingsPerPartition() - 1)
        / s.ratingsPerPartition());
    List<Integer> indices = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      indices.add(p);
    }
    JavaRDD<Row> rows = JavaSparkContext.fromSparkContext(spark.sparkContext())
        .parallelize(indices, partitions)
        .flatMap(p -> partition(planted.value(), s, p, partitions).iterator());
    return spark.createDataFrame(rows, SCHEMA);
  }

  private static List<Row> partition(PlantedRatings truth, GenerateSettings s, int p,
      int partitions) {
    long from = s.ratings() * p / partitions;
    int count = (int) (s.ratings() * (p + 1) / partitions - from);
    // The sample's noise is drawn in units of the planted score, then stretched with it.
    double spread = s.spread();
    PlantedRatings.Sample sample = truth.sample(count, s.userExponent(), s.itemExponent(),
        s.noise() / spread, s.seed() * 31 + p + 1);
    RatingScale scale = s.scale();
    List<Row> rows = new ArrayList<>(count);
    for (int n = 0; n < count; n++) {
      int u = sample.users()[n];
      int i = sample.items()[n];
      double expected = clamp(scale, s.mean() + spread * truth.truth(u, i));
      double rating = scale.snap(s.mean() + spread * sample.ratings()[n]);
      rows.add(RowFactory.create(u + 1, i + 1, rating, FIRST_TIMESTAMP + from + n, expected));
    }
    return rows;
  }

  private static double clamp(RatingScale scale, double rating) {
    return Math.min(scale.max(), Math.max(scale.min(), rating));
  }
}
