package org.cfpipe.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.cfpipe.spark.HadoopFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoint files on a Hadoop FileSystem (here the local one). */
class HadoopCheckpointsTest {
  @TempDir
  Path dir;

  @Test
  void theNewestCompleteCheckpointIsFoundAndAKilledWritersTemporaryFileIsNot() throws Exception {
    HadoopCheckpoints checkpoints = new HadoopCheckpoints(new HadoopFiles(new Configuration()),
        dir.toString());
    checkpoints.save(2, out -> out.writeInt(2));
    checkpoints.save(3, out -> out.writeInt(3));
    // A driver killed while writing epoch 4 leaves its temporary file, half written.
    Files.write(dir.resolve("_tmp_epoch-4.ckpt"), new byte[] {0, 0});

    try (DataInputStream in = checkpoints.latest().orElseThrow()) {
      assertEquals(3, in.readInt());
    }
    // Only the newest complete checkpoint is kept.
    assertTrue(Files.notExists(dir.resolve("epoch-2.ckpt")));
    assertTrue(HadoopCheckpoints.isCheckpoint(dir.resolve("epoch-12.ckpt").toString()));
    assertTrue(!HadoopCheckpoints.isCheckpoint(dir.resolve("_tmp_epoch-12.ckpt").toString()));
    assertTrue(!HadoopCheckpoints.isCheckpoint(dir.resolve(".epoch-12.ckpt.crc").toString()));
  }
}
