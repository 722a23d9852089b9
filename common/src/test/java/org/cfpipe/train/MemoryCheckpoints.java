package org.cfpipe.train;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;

/** Keeps the newest checkpoint in memory and "crashes" after saving epoch {@code crashAfter}. */
public final class MemoryCheckpoints implements Checkpoints {
  private final int crashAfter;
  private byte[] bytes;
  private int epoch;

  public MemoryCheckpoints(int crashAfter) {
    this.crashAfter = crashAfter;
  }

  @Override
  public void save(int epoch, Writer writer) {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(buffer)) {
      writer.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    bytes = buffer.toByteArray();
    this.epoch = epoch;
    if (epoch == crashAfter) {
      throw new IllegalStateException("simulated crash after epoch " + epoch);
    }
  }

  @Override
  public Optional<DataInputStream> latest() {
    return bytes == null ? Optional.empty()
        : Optional.of(new DataInputStream(new ByteArrayInputStream(bytes)));
  }

  /** The epoch of the newest checkpoint. */
  public int epoch() {
    return epoch;
  }
}
