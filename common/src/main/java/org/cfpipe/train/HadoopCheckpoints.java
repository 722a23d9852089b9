package org.cfpipe.train;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cfpipe.spark.HadoopFiles;

/**
 * Checkpoints as files {@code epoch-N.ckpt} in a folder on any Hadoop FileSystem, each written
 * whole through a temporary file and a rename. Only the newest is kept.
 */
public final class HadoopCheckpoints implements Checkpoints {
  /**
   * A complete checkpoint's file name, matched whole: the temporary file a killed writer leaves
   * behind ({@code _tmp_epoch-N.ckpt}) must never be taken for one.
   */
  private static final Pattern NAME = Pattern.compile("epoch-(\\d+)\\.ckpt");

  private final HadoopFiles files;
  private final String dir;

  public HadoopCheckpoints(HadoopFiles files, String dir) {
    this.files = files;
    this.dir = dir;
  }

  @Override
  public void save(int epoch, Writer writer) {
    List<String> older = files.list(dir);
    files.writeAtomically(dir + "/epoch-" + epoch + ".ckpt", raw -> {
      DataOutputStream out = new DataOutputStream(new BufferedOutputStream(raw, 1 << 20));
      writer.write(out);
      out.flush();
    });
    for (String path : older) {
      if (isCheckpoint(path)) {
        files.delete(path);
      }
    }
  }

  @Override
  public Optional<DataInputStream> latest() {
    return files.list(dir).stream()
        .filter(HadoopCheckpoints::isCheckpoint)
        .max(Comparator.comparingInt(HadoopCheckpoints::epochOf))
        .map(path -> new DataInputStream(new BufferedInputStream(files.open(path), 1 << 20)));
  }

  /** Removes every checkpoint: a run that does not resume starts from nothing. */
  public void clear() {
    files.delete(dir);
  }

  static boolean isCheckpoint(String path) {
    return NAME.matcher(new org.apache.hadoop.fs.Path(path).getName()).matches();
  }

  private static int epochOf(String path) {
    Matcher m = NAME.matcher(new org.apache.hadoop.fs.Path(path).getName());
    return m.find() ? Integer.parseInt(m.group(1)) : -1;
  }
}
