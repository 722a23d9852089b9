package org.cfpipe.train;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Optional;

/** Where a trainer saves its state after each epoch and finds it again to resume. */
public interface Checkpoints {

  /** Writes the state after {@code epoch}; a reader never sees a half-written checkpoint. */
  void save(int epoch, Writer writer);

  /** The newest complete checkpoint, if there is one. */
  Optional<DataInputStream> latest();

  /** Writes a checkpoint's bytes. */
  @FunctionalInterface
  interface Writer {
    void write(DataOutputStream out) throws IOException;
  }

  /** No checkpoints: nothing is saved and there is nothing to resume from. */
  Checkpoints NONE = new Checkpoints() {
    @Override
    public void save(int epoch, Writer writer) {}

    @Override
    public Optional<DataInputStream> latest() {
      return Optional.empty();
    }
  };
}
