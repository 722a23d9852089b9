package org.cfpipe.jobs;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import com.amazonaws.auth.AWSStaticCredentialsProvider;
import com.amazonaws.auth.BasicAWSCredentials;
import com.amazonaws.client.builder.AwsClientBuilder.EndpointConfiguration;
import com.amazonaws.services.s3.AmazonS3;
import com.amazonaws.services.s3.AmazonS3ClientBuilder;

/**
 * A real S3 API server (S3Proxy, storing objects in memory) in its own JVM on 127.0.0.1, for the
 * {@code s3a://} tests. Its own process, because S3Proxy's Jetty and jclouds libraries would clash
 * with Spark's on one classpath. The jar comes from Maven Central through the jobs module's
 * {@code s3proxy} dependency copy, named by the {@code s3proxy.jar} system property.
 */
final class S3ProxyServer implements AutoCloseable {
  private final Process process;
  private final int port;
  private final AmazonS3 client;

  private S3ProxyServer(Process process, int port, String accessKey, String secretKey) {
    this.process = process;
    this.port = port;
    this.client = AmazonS3ClientBuilder.standard()
        .withEndpointConfiguration(new EndpointConfiguration(endpoint(), "us-east-1"))
        .withPathStyleAccessEnabled(true)
        .withCredentials(new AWSStaticCredentialsProvider(
            new BasicAWSCredentials(accessKey, secretKey)))
        .build();
  }

  /** Starts a server with no buckets, keeping its configuration in {@code dir}. */
  static S3ProxyServer start(Path dir, String accessKey, String secretKey) throws Exception {
    String jar = System.getProperty("s3proxy.jar");
    if (jar == null || !Files.isRegularFile(Path.of(jar))) {
      throw new IllegalStateException("S3Proxy jar not found (system property s3proxy.jar = "
          + jar + "): run the tests through Maven, which copies it into jobs/target/s3proxy");
    }
    int port = freePort();
    Path properties = dir.resolve("s3proxy.conf");
    Files.write(properties, List.of(
        "s3proxy.endpoint=http://127.0.0.1:" + port,
        "s3proxy.authorization=aws-v2-or-v4",
        "s3proxy.identity=" + accessKey,
        "s3proxy.credential=" + secretKey,
        // In memory, in a plain map of keys like S3 itself. The stores over a (real or
        // in-memory) file system map keys to files and fail on S3A's directory markers:
        // deleting the marker "a/" while "a/b" exists is DirectoryNotEmptyException there.
        "jclouds.provider=transient",
        // The backend's own login, unused in memory but required by S3Proxy.
        "jclouds.identity=local",
        "jclouds.credential=local"));
    // The log stays beside the jar (in target/), to be read after a failed build.
    Path log = Path.of(jar).resolveSibling("s3proxy.log");
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process process = new ProcessBuilder(java.toString(), "-Xmx512m", "-jar", jar,
        "--properties", properties.toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    S3ProxyServer server = new S3ProxyServer(process, port, accessKey, secretKey);
    server.awaitListening(Duration.ofSeconds(60), log);
    return server;
  }

  String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  void createBucket(String name) {
    client.createBucket(name);
  }

  private void awaitListening(Duration timeout, Path log) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("S3Proxy exited with " + process.exitValue() + ":\n"
            + Files.readString(log));
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException notYet) {
        Thread.sleep(200);
      }
    }
    close();
    throw new IllegalStateException("S3Proxy did not listen on " + port + " within " + timeout
        + ":\n" + Files.readString(log));
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    client.shutdown();
    process.destroy();
    if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}
