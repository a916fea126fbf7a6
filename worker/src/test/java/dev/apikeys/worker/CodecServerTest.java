package dev.apikeys.worker;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.apikeys.cli.CliRun;
import dev.apikeys.codec.AesGcmPayloadCodec;
import dev.apikeys.codec.PayloadKeys;
import dev.apikeys.config.CodecServerConfig;
import dev.apikeys.config.DatabaseConfig;
import dev.apikeys.config.TemporalConfig;
import dev.apikeys.config.TemporalConnection;
import dev.apikeys.dev.LocalTemporalServer;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.store.ApiKeyStore;
import dev.apikeys.store.ApiKeysDatabase;
import dev.apikeys.store.TestDatabase;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.Payloads;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryRequest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * {@code apikeys codec-server} over real HTTP, sent what the Temporal UI sends (its {@code fetch}
 * of {@code <endpoint>/decode} with {@code Content-Type} and {@code X-Namespace}, and the browser's
 * preflight and {@code Origin}) and what {@code temporal --codec-endpoint --codec-auth} sends,
 * against the history of a real {@code RotateApiKeysWorkflow} run with encrypted payloads.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CodecServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String UI_ORIGIN = "http://localhost:8080";
  private static final String TOKEN = "codec-token-" + randomBase64(18).replace('/', '_');
  private static final String CURRENT_KEY = randomBase64(32);
  private static final String OLD_KEY = randomBase64(32);
  private static final String CODEC_KEYS = "k2:" + CURRENT_KEY + ",k1:" + OLD_KEY;

  /** As the UI's JSON.stringify writes it. */
  private static final JsonFormat.Printer COMPACT =
      JsonFormat.printer().omittingInsignificantWhitespace();

  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private static TestDatabase db;
  private static LocalTemporalServer temporal;
  private static TemporalConnection workerConnection;
  private static RevocationWorker worker;
  private static Map<String, String> env;

  /** As for the UI: loopback, no token, the UI's origin allowed. */
  private static CodecServer open;

  /** As for the CLI over a network: a bearer token required. */
  private static CodecServer guarded;

  @BeforeAll
  static void start() throws IOException {
    db = TestDatabase.create();
    temporal = LocalTemporalServer.start(0);
    env = new HashMap<>();
    env.put(DatabaseConfig.URL, db.jdbcUrl());
    env.put(TemporalConfig.ADDRESS, temporal.address());
    env.put(TemporalConfig.CONFIG_FILE, RevocationStack.EMPTY_TEMPORAL_CONFIG.toString());
    env.put(TemporalConfig.CODEC_KEYS, CODEC_KEYS);
    TemporalConfig config = TemporalConfig.fromEnvironment(env);
    workerConnection = config.connect();
    worker =
        new RevocationWorker(
            workerConnection.client(),
            new ApiKeysDatabase(db.jdbi(), RevocationStack.SELECTOR_TIMEOUT),
            RevocationWorkerOptions.forTaskQueue(config.taskQueue())
                .withStickyTimeout(Duration.ZERO)
                .withRotationEnabled(true));
    worker.start();

    Map<String, String> serverEnv = new HashMap<>(env);
    serverEnv.put(CodecServerConfig.PORT, "0");
    serverEnv.put(CodecServerConfig.CORS_ORIGINS, UI_ORIGIN);
    open = CodecServer.start(CodecServerConfig.fromEnvironment(serverEnv));
    serverEnv.put(CodecServerConfig.TOKEN, TOKEN);
    guarded = CodecServer.start(CodecServerConfig.fromEnvironment(serverEnv));
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable c :
        new AutoCloseable[] {open, guarded, worker, workerConnection, temporal}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception ignored) {
        // Closing the rest matters more.
      }
    }
  }

  // ---- the Temporal UI ------------------------------------------------------------------------

  @Test
  void theBrowsersPreflightForTheUiIsAnsweredWithoutAToken() throws Exception {
    for (CodecServer server : List.of(open, guarded)) {
      HttpResponse<String> preflight =
          send(
              HttpRequest.newBuilder(URI.create(server.endpoint() + "/decode"))
                  .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                  .header("Origin", UI_ORIGIN)
                  .header("Access-Control-Request-Method", "POST")
                  .header("Access-Control-Request-Headers", "content-type,x-namespace"));

      assertThat(preflight.statusCode()).isEqualTo(204);
      assertThat(header(preflight, "Access-Control-Allow-Origin")).isEqualTo(UI_ORIGIN);
      assertThat(header(preflight, "Access-Control-Allow-Methods")).contains("POST");
      assertThat(header(preflight, "Access-Control-Allow-Headers").toLowerCase())
          .contains("content-type", "x-namespace", "authorization");
      assertThat(header(preflight, "Access-Control-Allow-Credentials")).isEqualTo("true");
    }

    HttpResponse<String> stranger =
        send(
            HttpRequest.newBuilder(URI.create(open.endpoint() + "/decode"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://evil.example")
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "content-type,x-namespace"));
    assertThat(stranger.statusCode()).isEqualTo(403);
    assertThat(stranger.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    assertOneLineError(
        stranger,
        "origin not allowed: list the Temporal UI's origin in APIKEYS_CODEC_SERVER_CORS_ORIGINS");
  }

  @Test
  void decodesTheHistoryOfARealRotationAsTheUiAsksForIt() throws Exception {
    ApiKeyStore store = new ApiKeyStore(db.jdbi(), RevocationStack.SELECTOR_TIMEOUT);
    ApiKeyDTO old = store.createApiKey(new CreateApiKeyDTO("backend", "secret", "svc-codec"));
    JsonNode rotation =
        cli("rotation", "run", "--id", old.id(), "--grace", "1h", "--rotated-by", "ops");
    String successorToken = rotation.get("successors").get(0).get("api_key").get("token").asText();
    assertThat(successorToken).startsWith("sk_");

    AesGcmPayloadCodec sdkCodec = new AesGcmPayloadCodec(PayloadKeys.parse(CODEC_KEYS));
    StringBuilder decodedText = new StringBuilder();
    int encrypted = 0;
    for (String workflowId :
        List.of(
            rotation.get("workflow_id").asText(),
            rotation.get("revocation_workflow_id").asText())) {
      for (Payloads payloads : payloadsOf(history(workflowId))) {
        String body = COMPACT.print(payloads);
        assertThat(body).doesNotContain(successorToken);
        encrypted +=
            (int)
                payloads.getPayloadsList().stream()
                    .filter(
                        p ->
                            p.getMetadataOrDefault("encoding", ByteString.EMPTY)
                                .toStringUtf8()
                                .equals(AesGcmPayloadCodec.ENCODING))
                    .count();

        // What the UI's fetch sends: POST <endpoint>/decode, these two headers, the browser's
        // Origin, and the event's Payloads as protobuf JSON.
        HttpResponse<String> response =
            send(
                HttpRequest.newBuilder(URI.create(open.endpoint() + "/decode"))
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .header("Content-Type", "application/json")
                    .header("X-Namespace", "default")
                    .header("Origin", UI_ORIGIN));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(header(response, "Access-Control-Allow-Origin")).isEqualTo(UI_ORIGIN);
        assertThat(header(response, "Content-Type")).startsWith("application/json");
        Payloads.Builder decoded = Payloads.newBuilder();
        JsonFormat.parser().merge(response.body(), decoded);
        // Exactly what the worker's own codec reads from the same payloads.
        assertThat(decoded.getPayloadsList())
            .isEqualTo(sdkCodec.decode(payloads.getPayloadsList()));
        for (Payload p : decoded.getPayloadsList()) {
          // JSON, or the converter's own encoding of a null argument.
          assertThat(p.getMetadataOrDefault("encoding", ByteString.EMPTY).toStringUtf8())
              .isIn("json/plain", "binary/null");
          decodedText.append(p.getData().toStringUtf8()).append('\n');
        }
      }
    }

    assertThat(encrypted).as("encrypted payloads in the two histories").isGreaterThan(2);
    // The rotation's result, in clear for the people allowed to read it: the successor's id and
    // its token sealed to the recipient, never the token itself (rotation seals new tokens).
    String successorId = rotation.get("successors").get(0).get("api_key").get("id").asText();
    assertThat(decodedText)
        .contains(successorId, old.id(), "\"rotated_by\":\"ops\"", "\"sealed_token\"")
        .doesNotContain(successorToken);
  }

  // ---- encode and decode ----------------------------------------------------------------------

  @Test
  void encodeThenDecodeGivesBackThePayloadByteForByte() throws Exception {
    Payload plain = jsonPayload("{\"revoked_by\":\"ops\",\"revoke_in\":60}");
    String request = COMPACT.print(Payloads.newBuilder().addPayloads(plain).build());

    HttpResponse<String> encoded = post(open, "/encode", request);

    assertThat(encoded.statusCode()).as(encoded.body()).isEqualTo(200);
    Payload sealed = parsePayloads(encoded.body()).get(0);
    assertThat(sealed.getMetadataOrThrow("encoding").toStringUtf8())
        .isEqualTo(AesGcmPayloadCodec.ENCODING);
    assertThat(sealed.getMetadataOrThrow(AesGcmPayloadCodec.METADATA_KEY_ID).toStringUtf8())
        .isEqualTo("k2");
    assertThat(sealed.getData().toStringUtf8()).doesNotContain("revoked_by");

    HttpResponse<String> decoded = post(open, "/decode", encoded.body());

    assertThat(decoded.statusCode()).as(decoded.body()).isEqualTo(200);
    assertThat(parsePayloads(decoded.body())).containsExactly(plain);

    // A payload sealed under the older key still opens, and one never sealed passes through.
    Payload underOldKey =
        new AesGcmPayloadCodec(PayloadKeys.parse("k1:" + OLD_KEY)).encode(List.of(plain)).get(0);
    HttpResponse<String> mixed =
        post(
            open,
            "/decode",
            COMPACT.print(
                Payloads.newBuilder().addPayloads(underOldKey).addPayloads(plain).build()));
    assertThat(parsePayloads(mixed.body())).containsExactly(plain, plain);
  }

  @Test
  void theCliWithCodecAuthDecodesWithTheToken() throws Exception {
    Payload plain = jsonPayload("\"cli\"");
    String sealed =
        COMPACT.print(
            Payloads.newBuilder()
                .addAllPayloads(
                    new AesGcmPayloadCodec(PayloadKeys.parse(CODEC_KEYS)).encode(List.of(plain)))
                .build());
    // `temporal --codec-endpoint URL --codec-auth "Bearer …"`: no Origin, no X-Namespace.
    HttpRequest.Builder cli =
        HttpRequest.newBuilder(URI.create(guarded.endpoint() + "/decode"))
            .POST(HttpRequest.BodyPublishers.ofString(sealed))
            .header("Content-Type", "application/json");

    HttpResponse<String> missing = send(cli.copy());
    HttpResponse<String> wrong = send(cli.copy().header("Authorization", "Bearer not-" + TOKEN));
    HttpResponse<String> basic = send(cli.copy().header("Authorization", "Basic " + TOKEN));
    HttpResponse<String> right = send(cli.copy().header("Authorization", "Bearer " + TOKEN));

    assertThat(missing.statusCode()).isEqualTo(401);
    assertOneLineError(missing, "missing Authorization: Bearer <token>");
    assertThat(header(missing, "WWW-Authenticate")).startsWith("Bearer");
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertOneLineError(wrong, "the bearer token is not the one in APIKEYS_CODEC_SERVER_TOKEN");
    assertThat(basic.statusCode()).isEqualTo(401);
    assertThat(right.statusCode()).as(right.body()).isEqualTo(200);
    assertThat(parsePayloads(right.body())).containsExactly(plain);
    // Under a path prefix too: only the last segment names the endpoint.
    HttpResponse<String> prefixed =
        send(
            HttpRequest.newBuilder(URI.create(guarded.endpoint() + "/codec/default/decode"))
                .POST(HttpRequest.BodyPublishers.ofString(sealed))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + TOKEN));
    assertThat(prefixed.statusCode()).isEqualTo(200);
  }

  // ---- bad input ------------------------------------------------------------------------------

  @Test
  void badRequestsGetOneLineJsonErrorsAndTheServerKeepsServing() throws Exception {
    Payload plain = jsonPayload("{\"id\":\"apk_1\"}");
    Payload sealed =
        new AesGcmPayloadCodec(PayloadKeys.parse(CODEC_KEYS)).encode(List.of(plain)).get(0);
    String sealedData = b64(sealed.getData().toByteArray());
    String encryptedMeta =
        "{\"encoding\":\"" + b64(AesGcmPayloadCodec.ENCODING) + "\",\"encryption-key-id\":\"%s\"}";
    byte[] tampered = sealed.getData().toByteArray();
    tampered[tampered.length - 1] ^= 1;

    assertRefused(
        post(open, "/decode", "{\"payloads\":["),
        400,
        "request body is not valid JSON (line 1, column 14)");
    assertRefused(
        post(open, "/decode", "[]"),
        400,
        "request body: expected a JSON object {\"payloads\":[…]}");
    assertRefused(post(open, "/decode", "{\"payloads\":{}}"), 400, "payloads: expected an array");
    assertRefused(
        post(
            open,
            "/decode",
            "{\"payloads\":[{\"metadata\":{\"encoding\":\""
                + b64("json/plain")
                + "\"},\"data\":\"not base64!\"}]}"),
        400,
        "payloads[0].data: not valid base64");
    assertRefused(
        post(open, "/decode", "{\"payloads\":[{\"metadata\":{\"encoding\":\"%%%\"}}]}"),
        400,
        "payloads[0].metadata.encoding: not valid base64");
    assertRefused(
        post(
            open,
            "/decode",
            "{\"payloads\":[{\"metadata\":"
                + encryptedMeta.formatted(b64("k9"))
                + ",\"data\":\""
                + sealedData
                + "\"}]}"),
        400,
        "payloads[0]: payload encrypted with key id \"k9\", which is not configured");
    HttpResponse<String> forged =
        post(
            open,
            "/decode",
            "{\"payloads\":[{\"metadata\":"
                + encryptedMeta.formatted(b64("k2"))
                + ",\"data\":\""
                + b64(tampered)
                + "\"}]}");
    assertRefused(forged, 400, "payloads[0]: encrypted payload failed authentication");
    assertThat(forged.body()).doesNotContain(b64(tampered));

    // Just over 4 MiB of otherwise valid JSON.
    String huge = "{\"payloads\":[{\"data\":\"" + "A".repeat(CodecServer.MAX_BODY_BYTES) + "\"}]}";
    assertRefused(
        post(open, "/decode", huge),
        413,
        "request body over 4194304 bytes: send fewer payloads at a time");

    assertRefused(
        send(
            HttpRequest.newBuilder(URI.create(open.endpoint() + "/decode"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"payloads\":[]}"))
                .header("Content-Type", "application/json")
                .header("X-Namespace", "payments")),
        403,
        "X-Namespace: this codec server holds the keys of namespace \"default\", not \"payments\"");
    assertRefused(
        send(
            HttpRequest.newBuilder(URI.create(open.endpoint() + "/decode"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"payloads\":[]}"))
                .header("Content-Type", "text/plain")),
        415,
        "Content-Type: expected application/json");
    HttpResponse<String> get =
        send(HttpRequest.newBuilder(URI.create(open.endpoint() + "/decode")).GET());
    assertRefused(get, 405, "method GET not allowed: use POST");
    assertThat(header(get, "Allow")).isEqualTo("POST, OPTIONS");
    assertRefused(
        post(open, "/metrics", "{}"),
        404,
        "no such endpoint: the codec server serves POST /encode and POST /decode");

    // Still serving, on the same server.
    String good = COMPACT.print(Payloads.newBuilder().addPayloads(sealed).build());
    HttpResponse<String> after = post(open, "/decode", good);
    assertThat(after.statusCode()).isEqualTo(200);
    assertThat(parsePayloads(after.body())).containsExactly(plain);
    assertThat(parsePayloads(post(open, "/decode", "{}").body())).isEmpty();
  }

  @Test
  void neverLogsAPayload() throws Exception {
    LoggerContext logging = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger root = logging.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Logger codecLogger = logging.getLogger(CodecServer.class);
    Level saved = codecLogger.getLevel();
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.setContext(logging);
    logs.start();
    root.addAppender(logs);
    codecLogger.setLevel(Level.DEBUG);
    String secret = "sk_" + "5ec7e7".repeat(10) + "abcd";
    Payload plain = jsonPayload("{\"token\":\"" + secret + "\"}");
    String plainBody = COMPACT.print(Payloads.newBuilder().addPayloads(plain).build());
    try {
      HttpResponse<String> encoded = post(open, "/encode", plainBody);
      HttpResponse<String> decoded = post(open, "/decode", encoded.body());
      assertThat(parsePayloads(decoded.body())).containsExactly(plain);
      post(open, "/decode", "{\"payloads\":[{\"data\":\"" + b64(secret) + "!\"}]}");
      post(open, "/decode", "{\"payloads\":[\"" + secret + "\"");

      List<String> haystack = new ArrayList<>();
      for (ILoggingEvent event : logs.list) {
        haystack.add(event.getFormattedMessage());
        if (event.getThrowableProxy() != null) {
          haystack.add(event.getThrowableProxy().getMessage());
        }
      }
      // The log says a request was answered, and nothing of what it carried.
      assertThat(haystack).anyMatch(line -> line.contains("POST /decode -> 200"));
      String all = String.join("\n", haystack);
      String ciphertext = b64(parsePayloads(encoded.body()).get(0).getData().toByteArray());
      assertThat(all)
          .doesNotContain(secret, b64(secret), b64(plain.getData().toByteArray()), ciphertext);
    } finally {
      root.detachAppender(logs);
      codecLogger.setLevel(saved);
    }
  }

  // ---- helpers --------------------------------------------------------------------------------

  private static JsonNode cli(String... args) throws IOException {
    CliRun run = CliRun.of(env, args);
    assertThat(run.exitCode()).as(run.err()).isZero();
    return run.json();
  }

  private static List<HistoryEvent> history(String workflowId) {
    return workerConnection
        .stubs()
        .blockingStub()
        .getWorkflowExecutionHistory(
            GetWorkflowExecutionHistoryRequest.newBuilder()
                .setNamespace("default")
                .setExecution(WorkflowExecution.newBuilder().setWorkflowId(workflowId))
                .build())
        .getHistory()
        .getEventsList();
  }

  /** Every {@code Payloads} in the events: inputs, results, update and signal arguments. */
  private static List<Payloads> payloadsOf(List<HistoryEvent> events) {
    List<Payloads> found = new ArrayList<>();
    events.forEach(e -> collect(e, found));
    return found;
  }

  private static void collect(Message message, List<Payloads> found) {
    if (message instanceof Payloads payloads) {
      found.add(payloads);
      return;
    }
    for (Map.Entry<FieldDescriptor, Object> field : message.getAllFields().entrySet()) {
      if (field.getKey().getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      if (field.getKey().isRepeated()) {
        for (Object element : (List<?>) field.getValue()) {
          collect((Message) element, found);
        }
      } else {
        collect((Message) field.getValue(), found);
      }
    }
  }

  private static HttpResponse<String> post(CodecServer server, String path, String body)
      throws IOException, InterruptedException {
    return send(
        HttpRequest.newBuilder(URI.create(server.endpoint() + path))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .header("Content-Type", "application/json")
            .header("X-Namespace", "default"));
  }

  private static HttpResponse<String> send(HttpRequest.Builder request)
      throws IOException, InterruptedException {
    return HTTP.send(
        request.timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private static String header(HttpResponse<?> response, String name) {
    return response.headers().firstValue(name).orElse("");
  }

  private static void assertRefused(HttpResponse<String> response, int status, String error)
      throws IOException {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertOneLineError(response, error);
  }

  private static void assertOneLineError(HttpResponse<String> response, String error)
      throws IOException {
    assertThat(header(response, "Content-Type")).startsWith("application/json");
    assertThat(response.body()).doesNotContain("\n");
    JsonNode body = JSON.readTree(response.body());
    assertThat(body.size()).isEqualTo(1);
    assertThat(body.get("error").asText()).isEqualTo(error);
  }

  private static List<Payload> parsePayloads(String json) throws IOException {
    Payloads.Builder payloads = Payloads.newBuilder();
    JsonFormat.parser().merge(json, payloads);
    return payloads.getPayloadsList();
  }

  private static Payload jsonPayload(String json) {
    return Payload.newBuilder()
        .putMetadata("encoding", ByteString.copyFromUtf8("json/plain"))
        .setData(ByteString.copyFromUtf8(json))
        .build();
  }

  private static String b64(String text) {
    return b64(text.getBytes(StandardCharsets.UTF_8));
  }

  private static String b64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  private static String randomBase64(int bytes) {
    byte[] key = new byte[bytes];
    new SecureRandom().nextBytes(key);
    return b64(key);
  }
}
