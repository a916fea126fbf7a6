package dev.apikeys.worker;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.apikeys.codec.AesGcmPayloadCodec;
import dev.apikeys.config.CodecServerConfig;
import dev.apikeys.config.ConfigurationException;
import dev.apikeys.config.DatabaseConfig;
import io.temporal.api.common.v1.Payload;
import io.temporal.payload.codec.PayloadCodecException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Temporal's remote codec protocol over HTTP, so the Temporal UI and {@code temporal
 * --codec-endpoint} can show the payloads that {@link AesGcmPayloadCodec} encrypts: {@code POST
 * …/decode} and {@code POST …/encode} (only the last path segment counts, so the server can sit
 * behind a path prefix), each taking and returning a {@code Payloads} message as protobuf JSON.
 *
 * <p>Built on the JDK's {@code com.sun.net.httpserver}: two endpoints, CORS and a bearer token do
 * not need a framework, and nothing is added to the jar.
 *
 * <p>Every refusal is one line of JSON, {@code {"error":"…"}}, with a 4xx status, and the server
 * goes on serving. Neither a refusal nor a log line ever contains a payload: they name where in the
 * request the problem is, and log lines carry only the method, path, status and count.
 */
public final class CodecServer implements AutoCloseable {
  /** The largest request body read; anything longer is refused with 413. */
  static final int MAX_BODY_BYTES = 4 * 1024 * 1024;

  /**
   * How much of an oversized body is still read (and dropped) before the 413, so that a client that
   * sends it whole receives the answer instead of a reset connection. Beyond this the connection is
   * closed.
   */
  private static final long MAX_DRAINED_BYTES = 64L * 1024 * 1024;

  private static final int THREADS = 4;
  private static final int MAX_REASON_LENGTH = 300;
  private static final String ALLOWED_METHODS = "POST, OPTIONS";
  private static final String ALLOWED_HEADERS = "Content-Type, X-Namespace, Authorization";
  private static final String PREFLIGHT_MAX_AGE_SECONDS = "600";

  private static final Logger log = LoggerFactory.getLogger(CodecServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final CodecServerConfig config;
  private final AesGcmPayloadCodec codec;
  private final Optional<byte[]> tokenDigest;
  private final HttpServer server;
  private final ExecutorService executor;

  private CodecServer(CodecServerConfig config, HttpServer server, ExecutorService executor) {
    this.config = config;
    this.codec = new AesGcmPayloadCodec(config.keys());
    this.tokenDigest = config.token().map(CodecServer::sha256);
    this.server = server;
    this.executor = executor;
  }

  /** Binds the configured address and starts serving; fails naming the variables if it cannot. */
  public static CodecServer start(CodecServerConfig config) {
    HttpServer server;
    try {
      server = HttpServer.create(config.address(), 0);
    } catch (IOException e) {
      throw new ConfigurationException(
          CodecServerConfig.BIND
              + "/"
              + CodecServerConfig.PORT
              + ": cannot listen on "
              + config.address()
              + " ("
              + DatabaseConfig.firstLine(e.getMessage())
              + ")",
          e);
    }
    AtomicInteger threads = new AtomicInteger();
    ExecutorService executor =
        Executors.newFixedThreadPool(
            THREADS,
            r -> {
              Thread t = new Thread(r, "apikeys-codec-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    CodecServer codecServer = new CodecServer(config, server, executor);
    server.createContext("/", codecServer::handle);
    server.setExecutor(executor);
    server.start();
    return codecServer;
  }

  /** Where it listens, with the port the system chose if the configured one was 0. */
  InetSocketAddress address() {
    return server.getAddress();
  }

  /** The endpoint to give the UI and the CLI. */
  public String endpoint() {
    InetSocketAddress address = address();
    String host = address.getAddress().getHostAddress();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return "http://" + host + ":" + address.getPort();
  }

  @Override
  public void close() {
    server.stop(1);
    executor.shutdown();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    String method = exchange.getRequestMethod();
    String path = exchange.getRequestURI().getRawPath();
    // Logged instead of the path, which is the client's text.
    String endpoint =
        path.endsWith("/decode")
            ? "/decode"
            : path.endsWith("/encode") ? "/encode" : "(other path)";
    Optional<String> origin = allowedOrigin(exchange.getRequestHeaders());
    origin.ifPresent(o -> corsHeaders(exchange.getResponseHeaders(), o));
    int status;
    int count = 0;
    try {
      if (method.equals("OPTIONS")) {
        status = preflight(exchange, origin);
      } else {
        List<Payload> answer = answer(exchange, method, path);
        count = answer.size();
        status = 200;
        send(exchange, status, PayloadsJson.print(answer));
      }
    } catch (CodecRefusal refusal) {
      status = refusal.status();
      send(exchange, status, errorJson(refusal.getMessage()));
    } catch (RuntimeException e) {
      // A fault of ours, not of the request: the class only, since a message could quote input.
      status = 500;
      log.warn("codec server: {} {} failed with {}", method, endpoint, e.getClass().getName());
      send(exchange, status, errorJson("internal error"));
    } finally {
      exchange.close();
    }
    log.debug("codec server: {} {} -> {} ({} payloads)", method, endpoint, status, count);
  }

  private List<Payload> answer(HttpExchange exchange, String method, String path)
      throws CodecRefusal, IOException {
    Headers headers = exchange.getRequestHeaders();
    authorize(headers, exchange.getResponseHeaders());
    boolean decode = path.endsWith("/decode");
    if (!decode && !path.endsWith("/encode")) {
      throw new CodecRefusal(
          404, "no such endpoint: the codec server serves POST /encode and POST /decode");
    }
    if (!method.equals("POST")) {
      exchange.getResponseHeaders().set("Allow", ALLOWED_METHODS);
      throw new CodecRefusal(405, "method " + method + " not allowed: use POST");
    }
    String namespace = headers.getFirst("X-Namespace");
    if (namespace != null && !namespace.isEmpty() && !namespace.equals(config.namespace())) {
      throw new CodecRefusal(
          403,
          "X-Namespace: this codec server holds the keys of namespace \""
              + config.namespace()
              + "\", not \""
              + namespace
              + "\"");
    }
    requireJsonContentType(headers.getFirst("Content-Type"));
    List<Payload> payloads = PayloadsJson.parse(readBody(exchange));
    return decode ? decode(payloads) : encode(payloads);
  }

  private List<Payload> decode(List<Payload> payloads) throws CodecRefusal {
    List<Payload> decoded = new ArrayList<>(payloads.size());
    for (int i = 0; i < payloads.size(); i++) {
      try {
        decoded.add(codec.decode(List.of(payloads.get(i))).get(0));
      } catch (PayloadCodecException e) {
        // The codec's own messages: an unknown key id, a payload that fails authentication.
        throw new CodecRefusal(400, "payloads[" + i + "]: " + e.getMessage());
      }
    }
    return decoded;
  }

  private List<Payload> encode(List<Payload> payloads) {
    return codec.encode(payloads);
  }

  /**
   * The answer to a browser's preflight. It never needs the token: browsers do not send one with a
   * preflight, and the request that follows is checked in full.
   */
  private int preflight(HttpExchange exchange, Optional<String> origin)
      throws CodecRefusal, IOException {
    if (origin.isEmpty()) {
      throw new CodecRefusal(
          403,
          "origin not allowed: list the Temporal UI's origin in " + CodecServerConfig.CORS_ORIGINS);
    }
    Headers response = exchange.getResponseHeaders();
    response.set("Access-Control-Allow-Methods", ALLOWED_METHODS);
    response.set("Access-Control-Allow-Headers", ALLOWED_HEADERS);
    response.set("Access-Control-Max-Age", PREFLIGHT_MAX_AGE_SECONDS);
    // A UI served from a public address calling this server on a private one (Chrome's Private
    // Network Access) asks for this too.
    if ("true"
        .equalsIgnoreCase(
            exchange.getRequestHeaders().getFirst("Access-Control-Request-Private-Network"))) {
      response.set("Access-Control-Allow-Private-Network", "true");
    }
    exchange.sendResponseHeaders(204, -1);
    return 204;
  }

  private Optional<String> allowedOrigin(Headers headers) {
    String origin = headers.getFirst("Origin");
    if (origin == null) {
      return Optional.empty();
    }
    String normalized = origin.strip().toLowerCase(Locale.ROOT);
    return config.corsOrigins().contains(normalized)
        ? Optional.of(origin.strip())
        : Optional.empty();
  }

  private static void corsHeaders(Headers response, String origin) {
    response.set("Access-Control-Allow-Origin", origin);
    // The UI's "include cross-origin credentials" setting sends cookies; allowing it is safe
    // because the origin is named, never "*".
    response.set("Access-Control-Allow-Credentials", "true");
    response.add("Vary", "Origin");
  }

  private void authorize(Headers headers, Headers response) throws CodecRefusal {
    if (tokenDigest.isEmpty()) {
      return;
    }
    String authorization = headers.getFirst("Authorization");
    String presented = null;
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      presented = authorization.substring(7).strip();
    }
    // Compared as digests in constant time, so the comparison's length and timing say nothing.
    if (presented == null || !MessageDigest.isEqual(sha256(presented), tokenDigest.get())) {
      response.set("WWW-Authenticate", "Bearer realm=\"apikeys codec server\"");
      throw new CodecRefusal(
          401,
          authorization == null
              ? "missing Authorization: Bearer <token>"
              : "the bearer token is not the one in " + CodecServerConfig.TOKEN);
    }
  }

  private static void requireJsonContentType(String contentType) throws CodecRefusal {
    String mediaType =
        contentType == null ? "" : contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
    if (!mediaType.equals("application/json")) {
      throw new CodecRefusal(415, "Content-Type: expected application/json");
    }
  }

  /**
   * The body, at most {@link #MAX_BODY_BYTES}; a longer one is drained (up to a point) and refused.
   */
  private static byte[] readBody(HttpExchange exchange) throws CodecRefusal, IOException {
    String declared = exchange.getRequestHeaders().getFirst("Content-Length");
    long declaredLength = -1;
    if (declared != null) {
      try {
        declaredLength = Long.parseLong(declared.strip());
      } catch (NumberFormatException e) {
        throw new CodecRefusal(400, "Content-Length: not a number");
      }
    }
    InputStream in = exchange.getRequestBody();
    if (declaredLength > MAX_DRAINED_BYTES) {
      exchange.getResponseHeaders().set("Connection", "close");
      throw tooLarge();
    }
    ByteArrayOutputStream body =
        new ByteArrayOutputStream((int) Math.max(0, Math.min(declaredLength, MAX_BODY_BYTES)));
    byte[] buffer = new byte[64 * 1024];
    long total = 0;
    int n;
    while ((n = in.read(buffer)) != -1) {
      total += n;
      if (total <= MAX_BODY_BYTES) {
        body.write(buffer, 0, n);
      } else if (total > MAX_DRAINED_BYTES) {
        exchange.getResponseHeaders().set("Connection", "close");
        throw tooLarge();
      }
    }
    if (total > MAX_BODY_BYTES) {
      throw tooLarge();
    }
    return body.toByteArray();
  }

  private static CodecRefusal tooLarge() {
    return new CodecRefusal(
        413, "request body over " + MAX_BODY_BYTES + " bytes: send fewer payloads at a time");
  }

  private static void send(HttpExchange exchange, int status, String json) throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /**
   * {@code {"error":"…"}} on one line. The reason is cut short and stripped of control characters,
   * since parts of it (a key id, a namespace) come from the request.
   */
  static String errorJson(String reason) {
    StringBuilder clean = new StringBuilder();
    for (int i = 0; i < reason.length() && clean.length() < MAX_REASON_LENGTH; i++) {
      char c = reason.charAt(i);
      clean.append(Character.isISOControl(c) ? ' ' : c);
    }
    if (clean.length() < reason.length()) {
      clean.append('…');
    }
    return JSON.createObjectNode().put("error", clean.toString()).toString();
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  /** For the start-up log line: nothing secret. */
  public static String describe(CodecServerConfig config, String endpoint) {
    return "codec server on "
        + endpoint
        + " for namespace "
        + config.namespace()
        + ", "
        + config.keys()
        + ", "
        + (config.token().isPresent()
            ? "bearer token required"
            : "NO TOKEN: anyone who reaches the port can decrypt")
        + ", CORS origins "
        + (config.corsOrigins().isEmpty() ? "none" : String.join(" ", config.corsOrigins()));
  }
}
