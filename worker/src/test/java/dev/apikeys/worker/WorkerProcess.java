package dev.apikeys.worker;

import dev.apikeys.cli.ApiKeysCommand;
import dev.apikeys.config.MetricsConfig;
import dev.apikeys.config.WorkerConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code apikeys worker} in a JVM of its own, on this test's classpath and a {@link
 * RevocationStack}'s server and database, so a test can kill it with SIGKILL mid-step and start
 * another.
 */
final class WorkerProcess implements AutoCloseable {
  static final String STARTED = "apikeys worker started";

  private final Process process;
  private final Path err;
  private final int metricsPort;

  private WorkerProcess(Process process, Path err, int metricsPort) {
    this.process = process;
    this.err = err;
    this.metricsPort = metricsPort;
  }

  /**
   * Starts the worker and waits until it polls; {@code name} names its log files in {@code logs}.
   * It serves {@code /metrics} and {@code /healthz} on a free port of its own ({@link
   * #monitoring()}), unless {@code extraEnv} sets {@value MetricsConfig#PORT}.
   */
  static WorkerProcess start(RevocationStack stack, Path logs, String name) throws IOException {
    return start(stack, logs, name, Map.of());
  }

  static WorkerProcess start(
      RevocationStack stack, Path logs, String name, Map<String, String> extraEnv)
      throws IOException {
    Path err = logs.resolve(name + ".err");
    ProcessBuilder builder =
        new ProcessBuilder(
            Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            ApiKeysCommand.class.getName(),
            "worker");
    Map<String, String> env = new HashMap<>(stack.env());
    // Temporal's Java test server never moves a task off a dead worker's sticky queue.
    env.put(WorkerConfig.STICKY_TIMEOUT, "0");
    env.put(MetricsConfig.PORT, String.valueOf(RevocationStack.freePort()));
    env.put(MetricsConfig.BIND, "127.0.0.1");
    env.putAll(extraEnv);
    builder.environment().putAll(env);
    builder.redirectOutput(logs.resolve(name + ".out").toFile());
    builder.redirectError(err.toFile());
    WorkerProcess worker =
        new WorkerProcess(builder.start(), err, Integer.parseInt(env.get(MetricsConfig.PORT)));
    worker.awaitStarted(name);
    return worker;
  }

  private void awaitStarted(String name) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      String log = log();
      if (log.contains(STARTED)) {
        return;
      }
      if (!process.isAlive() || System.nanoTime() > deadline) {
        process.destroyForcibly();
        throw new AssertionError("worker " + name + " did not start:\n" + log);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while worker " + name + " started", e);
      }
    }
  }

  /** The worker's {@code /metrics} and {@code /healthz}. */
  MonitoringEndpoints monitoring() {
    return new MonitoringEndpoints(metricsPort);
  }

  String log() throws IOException {
    return Files.exists(err) ? Files.readString(err, StandardCharsets.UTF_8) : "";
  }

  /** SIGKILL: no shutdown hook runs, in-flight tasks are abandoned mid-step. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      throw new AssertionError("worker did not die within 10 s of SIGKILL");
    }
  }

  /** SIGTERM, and whether it stopped within the grace given. */
  boolean terminate(long seconds) throws InterruptedException {
    process.destroy();
    return process.waitFor(seconds, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
