package org.cfpipe.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalFilesTest {
  @TempDir
  java.nio.file.Path dir;

  @Test
  void permissionsAreSetAsChmodWouldSetThem() throws Exception {
    Configuration conf = new Configuration(false);
    conf.set("fs.file.impl", LocalFiles.class.getName());
    conf.setBoolean("fs.file.impl.disable.cache", true);
    FileSystem fs = FileSystem.get(dir.toUri(), conf);
    assertInstanceOf(LocalFiles.class, fs);

    Path table = new Path(dir.toUri().toString(), "table");
    fs.mkdirs(table, new FsPermission((short) 0750));
    assertEquals("rwxr-x---", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(dir.resolve("table"))));
    Path part = new Path(table, "part-0");
    try (FSDataOutputStream out = fs.create(part, new FsPermission((short) 0604), true, 4096,
        (short) 1, 1 << 20, null)) {
      out.write("1,2,3.5\n".getBytes(StandardCharsets.UTF_8));
    }
    assertEquals("rw----r--", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(dir.resolve("table/part-0"))));
    fs.setPermission(part, new FsPermission((short) 0755));
    assertEquals("rwxr-xr-x", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(dir.resolve("table/part-0"))));
    // Still Hadoop's checksummed local filesystem: the data reads back, checked.
    try (var in = fs.open(part)) {
      assertEquals("1,2,3.5\n", new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
    assertEquals(true, Files.exists(dir.resolve("table/.part-0.crc")));
  }
}
