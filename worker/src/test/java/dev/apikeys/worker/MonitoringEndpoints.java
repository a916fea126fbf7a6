package dev.apikeys.worker;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A worker's {@code /metrics} and {@code /healthz} as Prometheus and a readiness probe see them:
 * plain HTTP GETs on {@code 127.0.0.1}, and the text format read into series.
 */
public final class MonitoringEndpoints {
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;

  public MonitoringEndpoints(int port) {
    this.base = "http://127.0.0.1:" + port;
  }

  HttpResponse<String> get(String path) {
    return send(HttpRequest.newBuilder(URI.create(base + path)));
  }

  HttpResponse<String> post(String path) {
    return send(
        HttpRequest.newBuilder(URI.create(base + path))
            .POST(HttpRequest.BodyPublishers.ofString("")));
  }

  private HttpResponse<String> send(HttpRequest.Builder request) {
    String path = request.build().uri().getPath();
    try {
      return http.send(
          request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new AssertionError("GET " + base + path + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** One scrape of {@code /metrics}. */
  public Scrape scrape() {
    HttpResponse<String> response = get("/metrics");
    if (response.statusCode() != 200) {
      throw new AssertionError(
          "/metrics answered " + response.statusCode() + ": " + response.body());
    }
    return Scrape.parse(response.body());
  }

  /** Scrapes until {@code until} holds; the deadline only guards against a hang. */
  Scrape scrapeUntil(Predicate<Scrape> until, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      Scrape scrape = scrape();
      if (until.test(scrape)) {
        return scrape;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "/metrics never showed " + what + "; last scrape:\n" + scrape.text);
      }
      pause();
    }
  }

  /** GETs {@code /healthz} until it answers {@code status}, and returns that answer. */
  public HttpResponse<String> awaitHealth(int status) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (true) {
      HttpResponse<String> response = get("/healthz");
      if (response.statusCode() == status) {
        return response;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "/healthz never answered "
                + status
                + "; last: "
                + response.statusCode()
                + " "
                + response.body());
      }
      pause();
    }
  }

  private static void pause() {
    try {
      Thread.sleep(200);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** The series of one scrape: {@code name{labels}} to value, as the text format lists them. */
  public static final class Scrape {
    final String text;
    final Map<String, Double> series;

    private Scrape(String text, Map<String, Double> series) {
      this.text = text;
      this.series = series;
    }

    static Scrape parse(String text) {
      Map<String, Double> series = new LinkedHashMap<>();
      for (String line : text.split("\n")) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        int space = line.lastIndexOf(' ');
        series.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
      }
      return new Scrape(text, series);
    }

    /**
     * The sum of the series named {@code name} that carry every {@code label="value"} given; 0 when
     * there is none (a meter that nothing has touched yet may not be listed).
     */
    public double value(String name, String... labels) {
      double sum = 0;
      for (Map.Entry<String, Double> s : series.entrySet()) {
        String key = s.getKey();
        int brace = key.indexOf('{');
        String seriesName = brace < 0 ? key : key.substring(0, brace);
        String seriesLabels = brace < 0 ? "" : key.substring(brace);
        if (seriesName.equals(name)
            && Arrays.stream(labels).allMatch(l -> seriesLabels.contains(l))) {
          sum += s.getValue();
        }
      }
      return sum;
    }

    /** Whether the scrape lists a series named {@code name} at all. */
    boolean has(String name) {
      return series.keySet().stream().anyMatch(k -> k.equals(name) || k.startsWith(name + "{"));
    }
  }
}
