package org.cfpipe.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.security.alias.CredentialProvider;
import org.apache.hadoop.security.alias.CredentialProviderFactory;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.cfpipe.config.ConfigLoader;
import org.cfpipe.config.PipelineSettings;
import org.cfpipe.io.RunMetrics;
import org.cfpipe.spark.RunLayout;
import org.cfpipe.spark.SparkFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline reading its ratings and titles from, and writing its tables to, a real HDFS
 * (Hadoop's in-process MiniDFSCluster) and a real S3 API server (S3Proxy, its own process on
 * loopback) through {@code hdfs://} and {@code s3a://} paths. The S3 keys reach S3A only through
 * a Hadoop credential provider (a JCEKS keystore), as in production, and must appear in no output.
 */
class RemoteFileSystemsIT extends SparkFixture {
  private static final String ACCESS_KEY = "cfpipe-test-access";
  private static final String SECRET_KEY = "cfpipe-test-secret-6f1c2d";
  private static final int RATINGS = 20_000;

  @TempDir
  static Path tmp;

  private static MiniDFSCluster hdfs;
  private static S3ProxyServer s3;
  private static Path ratingsGz;

  @BeforeAll
  static void startFileSystems() throws Exception {
    Configuration hdfsConf = new Configuration();
    hdfsConf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, tmp.resolve("hdfs").toString());
    hdfs = new MiniDFSCluster.Builder(hdfsConf).numDataNodes(1).build();
    hdfs.waitActive();

    s3 = S3ProxyServer.start(Files.createDirectories(tmp.resolve("s3")), ACCESS_KEY, SECRET_KEY);
    s3.createBucket("ratings");
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    conf.set("fs.s3a.endpoint", s3.endpoint());
    conf.set("fs.s3a.path.style.access", "true");
    conf.set("fs.s3a.connection.ssl.enabled", "false");
    // Fail in seconds, not S3A's default minutes, if the server stops answering.
    conf.set("fs.s3a.connection.timeout", "20000");
    conf.set("fs.s3a.connection.establish.timeout", "5000");
    conf.set("fs.s3a.attempts.maximum", "2");
    conf.set("fs.s3a.retry.limit", "2");
    conf.set("fs.s3a.aws.credentials.provider",
        "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
    conf.set(CredentialProviderFactory.CREDENTIAL_PROVIDER_PATH, keystore(conf));

    // The bundled sample's first ratings, gzipped, as a nightly drop would arrive.
    List<String> lines = Files.readAllLines(Path.of(PipelineIT.SAMPLE)).subList(0, RATINGS + 1);
    ratingsGz = tmp.resolve("ratings.csv.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(ratingsGz))) {
      out.write((String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
    }
  }

  /** A JCEKS keystore holding the S3 keys under S3A's property names. */
  private static String keystore(Configuration base) throws Exception {
    String uri = "jceks://file" + tmp.resolve("s3.jceks");
    Configuration conf = new Configuration(base);
    conf.set(CredentialProviderFactory.CREDENTIAL_PROVIDER_PATH, uri);
    CredentialProvider provider = CredentialProviderFactory.getProviders(conf).get(0);
    provider.createCredentialEntry("fs.s3a.access.key", ACCESS_KEY.toCharArray());
    provider.createCredentialEntry("fs.s3a.secret.key", SECRET_KEY.toCharArray());
    provider.flush();
    return uri;
  }

  @AfterAll
  static void stopFileSystems() throws Exception {
    try {
      if (hdfs != null) {
        hdfs.shutdown();
      }
    } finally {
      if (s3 != null) {
        s3.close();
      }
    }
  }

  @Test
  void pipelineReadsFromAndWritesToHdfs() throws Exception {
    String base = hdfs.getURI() + "/nightly";
    runPipelineOn(base);
  }

  @Test
  void pipelineReadsFromAndWritesToS3aWithKeysFromACredentialProvider() throws Exception {
    String base = "s3a://ratings/nightly";
    String output = runPipelineOn(base);

    for (String file : files(output)) {
      byte[] bytes = read(file);
      assertFalse(new String(bytes, StandardCharsets.ISO_8859_1).contains(SECRET_KEY),
          file + " holds the S3 secret key");
    }
  }

  @Test
  void missingInputOnEitherFileSystemNamesThePath() {
    for (String missing : List.of(hdfs.getURI() + "/absent/ratings.csv",
        "s3a://ratings/absent/ratings.csv", "s3a://ratings/absent/*.csv")) {
      PipelineSettings settings = settings(missing, "file://" + tmp.resolve("unused"), null);
      RuntimeException e = assertThrows(RuntimeException.class,
          () -> CfPipe.run(spark, settings, List.of(Stage.INGEST)));
      assertEquals("input not found: " + missing + " (cfpipe.input.ratings)", e.getMessage());
    }
  }

  /** Uploads the ratings and titles under {@code base}, runs the pipeline there, checks it. */
  private String runPipelineOn(String base) throws Exception {
    copy(ratingsGz, base + "/in/2024-05-01/ratings.csv.gz");
    copy(Path.of("../data/ml-latest-small/movies.csv"), base + "/items/movies.csv");
    String output = base + "/out";
    PipelineSettings settings = settings(base + "/in/*/ratings.csv.gz", output,
        base + "/items/movies.csv");

    RunMetrics metrics = CfPipe.run(spark, settings, List.of(Stage.values()));

    assertEquals(RATINGS, metrics.inputRows());
    assertEquals(0, metrics.rejectedRows());
    // The evaluate stage, scoring the tables it read back from this file system, agrees with
    // the trainer's last epoch.
    assertEquals(metrics.history().get(1).validRmse(), metrics.validRmse(), 1e-4);
    RunLayout layout = RunLayout.of(settings);
    assertTrue(layout.runDir().startsWith(base), layout.runDir());
    Dataset<Row> train = spark.read().parquet(layout.train());
    assertEquals(train.select("user_index").distinct().count(),
        spark.read().parquet(layout.published().userFactors()).count());
    Dataset<Row> items = spark.read().parquet(layout.published().itemFactors());
    assertEquals(train.select("item_index").distinct().count(), items.count());
    assertEquals("Toy Story (1995)", items.filter("item_id = 1").first().getAs("title"));
    return output;
  }

  private static PipelineSettings settings(String ratings, String output, String items) {
    List<String> set = new ArrayList<>(List.of("cfpipe.input.ratings=" + ratings,
        "cfpipe.output.dir=" + output, "cfpipe.train.engine=sparse", "cfpipe.train.epochs=2"));
    if (items != null) {
      set.add("cfpipe.input.items=" + items);
    }
    return PipelineSettings.from(ConfigLoader.load(Optional.empty(), set), "2024-05-01");
  }

  private static void copy(Path local, String remote) throws Exception {
    org.apache.hadoop.fs.Path to = new org.apache.hadoop.fs.Path(remote);
    FileSystem fs = to.getFileSystem(spark.sparkContext().hadoopConfiguration());
    fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(local.toUri()), to);
  }

  private static List<String> files(String dir) throws Exception {
    org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(dir);
    FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
    List<String> out = new ArrayList<>();
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(root, true);
    while (it.hasNext()) {
      out.add(it.next().getPath().toString());
    }
    assertTrue(out.size() > 10, "output files: " + out);
    return out;
  }

  private static byte[] read(String file) throws Exception {
    org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(file);
    try (InputStream in = p.getFileSystem(spark.sparkContext().hadoopConfiguration()).open(p)) {
      return in.readAllBytes();
    }
  }
}
