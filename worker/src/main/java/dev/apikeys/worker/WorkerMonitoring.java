package dev.apikeys.worker;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.uber.m3.tally.NoopScope;
import com.uber.m3.tally.RootScopeBuilder;
import com.uber.m3.tally.Scope;
import com.uber.m3.tally.ScopeCloseException;
import dev.apikeys.config.ConfigurationException;
import dev.apikeys.config.DatabaseConfig;
import dev.apikeys.config.MetricsConfig;
import dev.apikeys.metrics.ApiKeyMetrics;
import dev.apikeys.metrics.MicrometerApiKeyMetrics;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.temporal.common.reporter.MicrometerClientStatsReporter;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /metrics} and {@code /healthz} of a worker process, and the metrics behind them: one
 * Prometheus registry that holds the Temporal SDK's worker and client metrics (through the SDK's
 * Micrometer reporter), the domain metrics ({@link MicrometerApiKeyMetrics}) and the JVM's.
 *
 * <p>It starts before anything else, so a port that is taken fails the start at once, naming the
 * variable; {@code /healthz} answers 503 until the worker polls and a {@link Readiness} is given.
 * Off ({@link MetricsConfig#PORT} = 0), it serves nothing and every metric goes nowhere.
 */
public final class WorkerMonitoring implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WorkerMonitoring.class);

  /**
   * How often the SDK's metrics reach the registry. The SDK counts into a scope of its own and
   * hands the totals over on this beat, so a scrape may lag the SDK by this much.
   */
  private static final com.uber.m3.util.Duration SDK_REPORT_INTERVAL =
      com.uber.m3.util.Duration.ofSeconds(1);

  /** Two, so a scrape is never queued behind a probe that waits for the database. */
  private static final int HTTP_THREADS = 2;

  private static final String TEXT = "text/plain; charset=utf-8";

  /** What {@link PrometheusMeterRegistry#scrape()} writes: Prometheus's text format. */
  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private final PrometheusMeterRegistry registry;
  private final Scope temporalScope;
  private final ApiKeyMetrics domainMetrics;
  private final JvmGcMetrics gcMetrics;
  private final HttpServer server;
  private final ExecutorService http;
  private volatile Readiness readiness;

  private WorkerMonitoring(
      PrometheusMeterRegistry registry,
      Scope temporalScope,
      ApiKeyMetrics domainMetrics,
      JvmGcMetrics gcMetrics,
      HttpServer server,
      ExecutorService http) {
    this.registry = registry;
    this.temporalScope = temporalScope;
    this.domainMetrics = domainMetrics;
    this.gcMetrics = gcMetrics;
    this.server = server;
    this.http = http;
  }

  /**
   * Serves both endpoints as {@code config} says, or nothing when it turns them off.
   *
   * @throws ConfigurationException naming {@link MetricsConfig#PORT} when the port is taken
   */
  public static WorkerMonitoring start(MetricsConfig config) {
    if (!config.enabled()) {
      return new WorkerMonitoring(null, new NoopScope(), ApiKeyMetrics.NONE, null, null, null);
    }
    HttpServer server;
    try {
      server = HttpServer.create(config.socketAddress(), 0);
    } catch (BindException e) {
      throw new ConfigurationException(
          MetricsConfig.PORT
              + ": "
              + config.bind().getHostAddress()
              + ":"
              + config.port()
              + " is already in use (or not an address of this machine); set "
              + MetricsConfig.PORT
              + " to a free port, or 0 to turn /metrics and /healthz off",
          e);
    } catch (IOException e) {
      throw new ConfigurationException(
          MetricsConfig.PORT
              + ": cannot listen on "
              + config.bind().getHostAddress()
              + ":"
              + config.port()
              + " ("
              + DatabaseConfig.firstLine(e.getMessage())
              + ")",
          e);
    }
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    JvmGcMetrics gcMetrics = new JvmGcMetrics();
    gcMetrics.bindTo(registry);
    Scope temporalScope =
        new RootScopeBuilder()
            .reporter(new MicrometerClientStatsReporter(registry))
            .reportEvery(SDK_REPORT_INTERVAL);
    AtomicInteger threads = new AtomicInteger();
    ExecutorService http =
        Executors.newFixedThreadPool(
            HTTP_THREADS,
            r -> {
              Thread t = new Thread(r, "apikeys-monitoring-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    WorkerMonitoring monitoring =
        new WorkerMonitoring(
            registry,
            temporalScope,
            new MicrometerApiKeyMetrics(registry),
            gcMetrics,
            server,
            http);
    server.createContext("/", monitoring::handle);
    server.setExecutor(http);
    server.start();
    log.info(
        "serving /metrics and /healthz on {}:{}",
        config.bind().getHostAddress(),
        server.getAddress().getPort());
    return monitoring;
  }

  /** The scope the Temporal client and worker report to; give it to the service stubs. */
  public Scope temporalScope() {
    return temporalScope;
  }

  /** The domain metrics, for the stores and the reconciler. */
  public ApiKeyMetrics domainMetrics() {
    return domainMetrics;
  }

  /** Where the endpoints listen (the actual port, when 0 was not asked for); empty when off. */
  public Optional<InetSocketAddress> address() {
    return server == null ? Optional.empty() : Optional.of(server.getAddress());
  }

  /** From now on {@code /healthz} answers what {@code readiness} finds. */
  public void serveReadiness(Readiness readiness) {
    this.readiness = readiness;
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      String path = exchange.getRequestURI().getPath();
      if (!path.equals("/metrics") && !path.equals("/healthz")) {
        respond(exchange, 404, TEXT, "not found: this server has /metrics and /healthz\n");
        return;
      }
      if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        respond(exchange, 405, TEXT, "method not allowed: " + method + "\n");
        return;
      }
      if (path.equals("/metrics")) {
        respond(exchange, 200, PROMETHEUS_TEXT, registry.scrape());
      } else {
        Readiness current = readiness;
        Optional<String> problems =
            current == null
                ? Optional.of("starting: the worker does not poll yet")
                : current.problems();
        if (problems.isPresent()) {
          respond(exchange, 503, TEXT, "not ready: " + problems.get() + "\n");
        } else {
          respond(exchange, 200, TEXT, "ok\n");
        }
      }
    } catch (RuntimeException e) {
      log.warn("{} {} failed", exchange.getRequestMethod(), exchange.getRequestURI().getPath(), e);
      respond(exchange, 500, TEXT, "internal error\n");
    }
  }

  private static void respond(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  /**
   * Stops serving, then hands the SDK's last counts to the registry. Called after the worker has
   * stopped.
   */
  @Override
  public void close() {
    if (server != null) {
      server.stop(0);
      http.shutdownNow();
    }
    try {
      temporalScope.close();
    } catch (ScopeCloseException e) {
      log.warn("the Temporal SDK's last metrics were not reported", e);
    }
    if (gcMetrics != null) {
      gcMetrics.close();
    }
    if (registry != null) {
      registry.close();
    }
  }
}
