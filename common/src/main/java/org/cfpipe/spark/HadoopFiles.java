package org.cfpipe.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Small files and whole-table commits on any Hadoop FileSystem (local, HDFS, S3A), so a stage
 * never assumes a local disk. Tables are written beside their destination and renamed into place,
 * so a reader sees the old table or the new one, never half of one.
 */
public final class HadoopFiles {
  private static final ObjectMapper JSON = new ObjectMapper()
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .enable(SerializationFeature.INDENT_OUTPUT);

  private final Configuration conf;

  public HadoopFiles(Configuration conf) {
    this.conf = conf;
  }

  public static HadoopFiles of(SparkSession spark) {
    return new HadoopFiles(spark.sparkContext().hadoopConfiguration());
  }

  public static ObjectMapper json() {
    return JSON;
  }

  public boolean exists(String path) {
    try {
      Path p = new Path(path);
      return p.getFileSystem(conf).exists(p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check " + path, e);
    }
  }

  /** Whether a path, or a glob such as {@code drops/2024-*}{@code /*.csv}, matches anything. */
  public boolean matches(String pathOrGlob) {
    try {
      Path p = new Path(pathOrGlob);
      FileStatus[] found = p.getFileSystem(conf).globStatus(p);
      return found != null && found.length > 0;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check " + pathOrGlob, e);
    }
  }

  /** The bytes of every file a path or a glob matches, folders counted whole. */
  public long bytes(String pathOrGlob) {
    try {
      Path p = new Path(pathOrGlob);
      FileSystem fs = p.getFileSystem(conf);
      FileStatus[] found = fs.globStatus(p);
      long total = 0;
      for (FileStatus status : found == null ? new FileStatus[0] : found) {
        total += fs.getContentSummary(status.getPath()).getLength();
      }
      return total;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot measure " + pathOrGlob, e);
    }
  }

  /**
   * Moves {@code from} to {@code to}, which must not exist; its parent is created. One atomic
   * rename on HDFS and local disks; a copy of every object on S3.
   */
  public void rename(String from, String to) {
    try {
      Path source = new Path(from);
      Path target = new Path(to);
      FileSystem fs = source.getFileSystem(conf);
      if (fs.exists(target)) {
        throw new IOException(to + " exists");
      }
      fs.mkdirs(target.getParent());
      if (!fs.rename(source, target)) {
        throw new IOException("rename returned false");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot move " + from + " to " + to, e);
    }
  }

  /** Removes {@code path} and everything under it, if it exists. */
  public void delete(String path) {
    try {
      Path p = new Path(path);
      FileSystem fs = p.getFileSystem(conf);
      if (fs.exists(p) && !fs.delete(p, true)) {
        throw new IOException("delete returned false");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + path, e);
    }
  }

  /** Paths of the files directly under {@code dir}; empty when it does not exist. */
  public java.util.List<String> list(String dir) {
    try {
      Path p = new Path(dir);
      FileSystem fs = p.getFileSystem(conf);
      java.util.List<String> out = new java.util.ArrayList<>();
      if (fs.exists(p)) {
        for (org.apache.hadoop.fs.FileStatus status : fs.listStatus(p)) {
          out.add(status.getPath().toString());
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }

  public InputStream open(String path) {
    try {
      Path p = new Path(path);
      return p.getFileSystem(conf).open(p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open " + path, e);
    }
  }

  /** Writes {@code path} through a temporary sibling renamed into place when complete. */
  public void writeAtomically(String path, StreamWriter writer) {
    commit(path, temp -> {
      Path p = new Path(temp);
      try (OutputStream out = p.getFileSystem(conf).create(p, true)) {
        writer.write(out);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write " + temp, e);
      }
    });
  }

  /** Writes a file's bytes. */
  @FunctionalInterface
  public interface StreamWriter {
    void write(OutputStream out) throws IOException;
  }

  public void writeBytes(String path, byte[] bytes) {
    Path p = new Path(path);
    try (OutputStream out = p.getFileSystem(conf).create(p, true)) {
      out.write(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + path, e);
    }
  }

  public void writeString(String path, String text) {
    Path p = new Path(path);
    try (OutputStream out = p.getFileSystem(conf).create(p, true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + path, e);
    }
  }

  public String readString(String path) {
    Path p = new Path(path);
    try (InputStream in = p.getFileSystem(conf).open(p)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path, e);
    }
  }

  public void writeJson(String path, Object value) {
    try {
      writeString(path, JSON.writeValueAsString(value) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serialise JSON for " + path, e);
    }
  }

  public <T> T readJson(String path, Class<T> type) {
    String text = readString(path);
    try {
      return JSON.readValue(text, type);
    } catch (IOException e) {
      throw new UncheckedIOException("malformed JSON in " + path, e);
    }
  }

  /** Writes {@code table} as Parquet to a temporary sibling, then renames it over {@code path}. */
  public void commitParquet(Dataset<Row> table, String path) {
    commit(path, temp -> table.write().mode(SaveMode.Overwrite).parquet(temp));
  }

  /**
   * Runs {@code writer} on a temporary sibling of {@code path}, then renames the result over
   * {@code path}, so readers see the old folder or the new one, never a partial one.
   */
  public void commit(String path, java.util.function.Consumer<String> writer) {
    Path target = new Path(path);
    Path temp = new Path(target.getParent(), "_tmp_" + target.getName());
    writer.accept(temp.toString());
    try {
      FileSystem fs = target.getFileSystem(conf);
      if (fs.exists(target) && !fs.delete(target, true)) {
        throw new IOException("cannot remove the previous " + target);
      }
      if (!fs.rename(temp, target)) {
        throw new IOException("cannot rename " + temp + " to " + target);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot commit " + path, e);
    }
  }
}
