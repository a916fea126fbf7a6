package dev.apikeys.worker;

import dev.apikeys.config.ConfigurationException;
import dev.apikeys.store.Migrations;
import io.grpc.StatusRuntimeException;
import io.temporal.api.workflowservice.v1.GetSystemInfoRequest;
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;

/**
 * Whether the worker is ready, as {@code /healthz} answers it: the worker polls its task queue
 * (started, not stopping, and Temporal's frontend answers its connection), PostgreSQL answers on
 * the worker's own pool, and the schema has every migration this build carries. Each check is
 * bounded by {@link #CHECK_TIMEOUT}, so a probe answers in about that long however the database or
 * Temporal fails.
 */
public final class Readiness implements AutoCloseable {
  /** How long one probe waits for Temporal and for PostgreSQL; both are asked at once. */
  static final Duration CHECK_TIMEOUT = Duration.ofSeconds(2);

  /** A reason is one line: a driver's message that runs on is cut here. */
  private static final int MAX_DETAIL = 160;

  private final RevocationWorker worker;
  private final WorkflowServiceStubs temporal;
  private final String temporalAddress;
  private final DataSource dataSource;
  private final Jdbi jdbi;

  /**
   * One thread asks the database. A check that outlives a probe (the pool waits for a connection
   * longer than a probe does) is joined by the next probes instead of piling up behind it.
   */
  private final ExecutorService database =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "apikeys-readiness");
            t.setDaemon(true);
            return t;
          });

  private CompletableFuture<Optional<String>> databaseCheck;

  /** The newest migration this build carries, learned from the first check that reaches it. */
  private volatile String latestMigration;

  public Readiness(
      RevocationWorker worker,
      WorkflowServiceStubs temporal,
      String temporalAddress,
      DataSource dataSource,
      Jdbi jdbi) {
    this.worker = worker;
    this.temporal = temporal;
    this.temporalAddress = temporalAddress;
    this.dataSource = dataSource;
    this.jdbi = jdbi;
  }

  /** Why the worker is not ready, every reason on one line; empty when it is ready. */
  Optional<String> problems() {
    CompletableFuture<Optional<String>> databaseAnswer = startDatabaseCheck();
    List<String> problems = new ArrayList<>();
    if (!worker.isPolling()) {
      problems.add("the worker is not polling (stopping)");
    }
    temporalProblem().ifPresent(problems::add);
    try {
      databaseAnswer.get(CHECK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).ifPresent(problems::add);
    } catch (TimeoutException e) {
      problems.add("PostgreSQL did not answer within " + CHECK_TIMEOUT.toSeconds() + "s");
    } catch (ExecutionException e) {
      problems.add("PostgreSQL check failed (" + detail(e.getCause()) + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      problems.add("interrupted");
    }
    return problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems));
  }

  private synchronized CompletableFuture<Optional<String>> startDatabaseCheck() {
    if (databaseCheck == null || databaseCheck.isDone()) {
      try {
        databaseCheck = CompletableFuture.supplyAsync(this::databaseProblem, database);
      } catch (RejectedExecutionException closed) {
        // The worker is stopping; the probe says so from the worker's state.
        return CompletableFuture.completedFuture(Optional.empty());
      }
    }
    return databaseCheck;
  }

  private Optional<String> databaseProblem() {
    try {
      if (latestMigration == null) {
        latestMigration = Migrations.latestVersion(dataSource);
      }
      return jdbi.withHandle(h -> Migrations.schemaProblem(h, latestMigration));
    } catch (RuntimeException e) {
      return Optional.of("PostgreSQL does not answer (" + detail(e) + ")");
    }
  }

  /**
   * Asks Temporal's frontend for its capabilities over the worker's own connection, with its TLS
   * and API key: a call every server answers, Temporal Cloud included, which a poll needs too.
   */
  private Optional<String> temporalProblem() {
    try {
      temporal
          .blockingStub()
          .withDeadlineAfter(CHECK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
          .getSystemInfo(GetSystemInfoRequest.getDefaultInstance());
      return Optional.empty();
    } catch (StatusRuntimeException e) {
      return Optional.of(
          "Temporal at " + temporalAddress + " does not answer (" + e.getStatus().getCode() + ")");
    } catch (RuntimeException e) {
      return Optional.of("Temporal at " + temporalAddress + " does not answer (" + detail(e) + ")");
    }
  }

  /**
   * The most telling message in a failure's causes: the innermost SQL exception's, where there is
   * one (the driver's; the pool's own only says that it timed out), else the first. No class names,
   * one line.
   */
  private static String detail(Throwable e) {
    String message = null;
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t.getMessage() != null && (message == null || t instanceof SQLException)) {
        message = t.getMessage();
      }
    }
    String line = ConfigurationException.clean(message);
    if (line.isEmpty()) {
      line = e.getClass().getSimpleName();
    }
    return line.length() > MAX_DETAIL ? line.substring(0, MAX_DETAIL) + "…" : line;
  }

  @Override
  public void close() {
    database.shutdownNow();
  }
}
