package org.cfpipe.train;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Objects;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cfpipe.config.ModelSettings;
import org.cfpipe.config.TrainSettings;
import org.cfpipe.ids.EncodeReport;
import org.cfpipe.ids.EncodeStage;
import org.cfpipe.model.ModelInfo;
import org.cfpipe.model.ModelStore;
import org.cfpipe.spark.HadoopFiles;
import org.cfpipe.spark.RunLayout;

/**
 * Last night's model as tonight's starting point ({@code cfpipe.train.warm-start}). The encode
 * stage extended the id maps of an earlier committed run; when that run's model has the same
 * type, factors, biases, y-range and engine as tonight's, its published factor rows, joined to
 * tonight's id maps by their original ids, replace the random start of every id it knew. New ids
 * start as on a cold night. The rows are read into the driver, as the single-JVM engines read the
 * ratings, except the users' for the sparse engine on executors, whose shards join them. For the
 * gibbs engine, the previous run's last chain state
 * ({@link RunLayout.Tables#chainState}: every parameter, hyperparameter and noise scale of its last
 * sweep) is read too when it is there, and tonight's chain continues from it, so that its samples
 * are draws from the posterior from the first sweep on rather than drifting away from a
 * posterior mean, which is smoother than any sample.
 */
public final class WarmStart implements java.io.Serializable {
  private static final long serialVersionUID = 1L;
  /**
   * Where a night started, for the log and {@code metadata.json}.
   *
   * @param from the run folder whose model was the start; null for a cold start
   * @param reason why, in words
   * @param users user rows taken from it
   * @param items item rows taken from it
   */
  public record Report(String from, String reason, long users, long items)
      implements java.io.Serializable {}

  private final Report report;
  /**
   * Last night's user rows by tonight's index (index, bias, factors) while they stay on the
   * executors (the sparse engine's shards); null otherwise.
   */
  private final transient Dataset<Row> userTable;
  /** Last night's rows in the driver; users null while they stay on the executors. */
  private final Side users;
  private final Side items;
  private final byte[] chainState;

  /** Known rows of one side: their indices and, per index, factors then bias. */
  private record Side(int[] index, float[] rows) implements java.io.Serializable {}

  private WarmStart(Report report, Dataset<Row> userTable, Side users, Side items,
      byte[] chainState) {
    this.report = report;
    this.userTable = userTable;
    this.users = users;
    this.items = items;
    this.chainState = chainState;
  }

  /** A cold start, with the reason. */
  public static WarmStart cold(String reason) {
    return new WarmStart(new Report(null, reason, 0, 0), null, null, null, null);
  }

  /**
   * Tonight's start: last night's model, or a cold start and why.
   *
   * @param ids the encode stage's report, naming the run whose id maps it extended
   * @param model tonight's model settings, the y-range resolved
   * @param train tonight's settings, the engine resolved
   */
  public static WarmStart of(SparkSession spark, HadoopFiles files, RunLayout layout,
      EncodeReport ids, ModelSettings model, TrainSettings train) {
    if (!train.warmStart().auto()) {
      return cold("cfpipe.train.warm-start = off");
    }
    if (train.engine() == TrainSettings.Engine.DL4J) {
      return cold("the dl4j engine starts from scratch");
    }
    if (ids.extended() == null) {
      return cold("the id maps were fitted afresh: no earlier committed run was extended "
          + "(cfpipe.ids.previous)");
    }
    RunLayout.Tables previous = new RunLayout.Tables(ids.extended());
    String mismatch = mismatch(files, previous, model, train);
    if (mismatch != null) {
      return cold("not from " + ids.extended() + ": " + mismatch);
    }
    int width = model.factors() + (model.type().hasBiases() ? 1 : 0);
    // Tonight's maps as encode staged them, or as export published them when the train stage
    // runs again after the night committed.
    RunLayout.Tables tonight = files.exists(layout.staged().userIds()) ? layout.staged()
        : layout.published();
    Dataset<Row> userRows = rows(spark, previous.userFactors(), tonight.userIds(),
        EncodeStage.USER_ID, EncodeStage.USER_INDEX);
    Side items = collect(rows(spark, previous.itemFactors(), tonight.itemIds(),
        EncodeStage.ITEM_ID, EncodeStage.ITEM_INDEX), model.factors(), width);
    // The sparse engine's shards join the user rows themselves; every other engine holds them.
    boolean usersOnExecutors = train.engine() == TrainSettings.Engine.SPARSE
        && train.distributed().workers() > 0;
    Side users = usersOnExecutors ? null : collect(userRows, model.factors(), width);
    byte[] state = null;
    if (train.engine() == TrainSettings.Engine.GIBBS && files.exists(previous.chainState())) {
      try (java.io.InputStream in = files.open(previous.chainState())) {
        state = in.readAllBytes();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("cannot read " + previous.chainState(), e);
      }
    }
    return new WarmStart(new Report(ids.extended(), state != null
        ? "auto: the last chain state of the run whose id maps were extended"
        : "auto: the model of the run whose id maps were extended",
        users != null ? users.index().length : userRows.count(), items.index().length),
        usersOnExecutors ? userRows : null, users, items, state);
  }

  /** What keeps the previous run's model from being tonight's start; null when nothing. */
  private static String mismatch(HadoopFiles files, RunLayout.Tables previous,
      ModelSettings model, TrainSettings train) {
    ModelInfo info = files.readJson(previous.model() + "/model.json", ModelInfo.class);
    if (!info.type().equals(model.type().spelling())) {
      return "its model is " + info.type() + ", tonight's " + model.type().spelling();
    }
    if (info.factors() != model.factors()) {
      return "it has " + info.factors() + " factors, tonight " + model.factors();
    }
    if (info.biases() != model.type().hasBiases()) {
      return "its biases differ";
    }
    if (!Objects.equals(info.yRange(), model.yRange())) {
      return "its y-range " + info.yRange().map(Object::toString).orElse("off") + " is not "
          + "tonight's " + model.yRange().map(Object::toString).orElse("off");
    }
    try {
      JsonNode engine = HadoopFiles.json().readTree(files.readString(previous.metadataJson()))
          .path("choice").path("engine");
      if (!engine.asText().equals(train.engine().spelling())) {
        return "it was trained by the " + engine.asText() + " engine, tonight by the "
            + train.engine().spelling();
      }
    } catch (java.io.IOException e) {
      return "its metadata.json is unreadable (" + e.getMessage() + ")";
    }
    return null;
  }

  /** The rows of a published factor table, by tonight's index of their original id. */
  private static Dataset<Row> rows(SparkSession spark, String table, String idMap,
      String idColumn, String indexColumn) {
    return spark.read().parquet(table).select(idColumn, ModelStore.BIAS, ModelStore.FACTORS)
        .join(spark.read().parquet(idMap).select(idColumn, indexColumn), idColumn)
        .select(col(indexColumn).as(ModelStore.INDEX), col(ModelStore.BIAS),
            col(ModelStore.FACTORS));
  }

  /**
   * Last night's user rows (index, bias, factors) as a table, for the sparse engine's shards on
   * the executors; null otherwise.
   */
  public Dataset<Row> userRows() {
    return userTable;
  }

  /** Writes rows of (index, bias, factors) into flat rows of {@code width} (factors, bias). */
  public static void copyRows(java.util.Iterator<Row> rows, int factors, int width,
      java.util.function.IntUnaryOperator offsetOf, float[] target) {
    while (rows.hasNext()) {
      Row row = rows.next();
      int at = offsetOf.applyAsInt(row.getInt(0));
      if (at >= 0) {
        copyRow(row, factors, width, target, at);
      }
    }
  }

  /** One row of (index, bias, factors) into {@code target} at {@code at}: factors, then bias. */
  private static void copyRow(Row row, int factors, int width, float[] target, int at) {
    List<Float> f = row.getList(2);
    for (int j = 0; j < factors; j++) {
      target[at + j] = f.get(j);
    }
    if (width > factors) {
      target[at + factors] = row.isNullAt(1) ? 0f : row.getFloat(1);
    }
  }

  private static Side collect(Dataset<Row> table, int factors, int width) {
    List<Row> collected = table.collectAsList();
    int[] index = new int[collected.size()];
    float[] values = new float[collected.size() * width];
    for (int r = 0; r < collected.size(); r++) {
      index[r] = collected.get(r).getInt(0);
      copyRow(collected.get(r), factors, width, values, r * width);
    }
    return new Side(index, values);
  }

  public Report report() {
    return report;
  }

  /**
   * The gibbs engine's last chain state of the previous run ({@link RunLayout.Tables#chainState}),
   * from which its chain continues; null when there is none (the chain then starts from the
   * posterior mean's rows).
   */
  public byte[] chainState() {
    return chainState;
  }

  /** The collected rows of {@link org.cfpipe.model.FactorModel#USERS} or {@code ITEMS}. */
  private Side side(int side) {
    return side == org.cfpipe.model.FactorModel.USERS ? users : items;
  }

  /** Whether there is a model to start from. */
  public boolean warm() {
    return items != null;
  }

  /**
   * Overwrites the known rows of flat parameter rows ({@code factors} values, then the bias when
   * {@code width} has room for it).
   *
   * @param side {@link org.cfpipe.model.FactorModel#USERS} or {@code ITEMS}
   */
  public void applyTo(float[] target, int width, int side) {
    Side known = side(side);
    for (int r = 0; r < known.index().length; r++) {
      System.arraycopy(known.rows(), r * width, target, known.index()[r] * width, width);
    }
  }

  /** Overwrites the known rows of separate factor and bias arrays (the gibbs engine's). */
  public void applyTo(double[] factors, double[] bias, int k, boolean biases, int side) {
    Side known = side(side);
    int width = k + (biases ? 1 : 0);
    for (int r = 0; r < known.index().length; r++) {
      int at = known.index()[r];
      for (int f = 0; f < k; f++) {
        factors[at * k + f] = known.rows()[r * width + f];
      }
      if (biases) {
        bias[at] = known.rows()[r * width + k];
      }
    }
  }
}
