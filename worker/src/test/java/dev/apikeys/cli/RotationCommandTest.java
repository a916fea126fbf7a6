package dev.apikeys.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apikeys.client.RotationClient;
import dev.apikeys.revocation.ApiKeysDataConverter;
import dev.apikeys.revocation.RevocationNames;
import dev.apikeys.rotation.Recipient;
import dev.apikeys.rotation.RotateApiKeysWorkflow;
import dev.apikeys.rotation.RotateRequest;
import dev.apikeys.sealing.TokenSeal;
import dev.apikeys.security.LeakScan;
import dev.apikeys.worker.RevocationStack;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.temporal.api.enums.v1.ScheduleOverlapPolicy;
import io.temporal.api.workflowservice.v1.CreateScheduleRequest;
import io.temporal.api.workflowservice.v1.CreateScheduleResponse;
import io.temporal.api.workflowservice.v1.GetSystemInfoRequest;
import io.temporal.api.workflowservice.v1.GetSystemInfoResponse;
import io.temporal.api.workflowservice.v1.WorkflowServiceGrpc;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code apikeys rotation}: rotations run through the CLI against the port-bound server (worker
 * with rotation enabled, no payload codec), the recipient's key pair and opening, and the Schedule
 * the command creates, captured as the CreateSchedule request on an in-process gRPC service (the
 * Java test server does not implement Schedules).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RotationCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static RevocationStack stack;

  @BeforeAll
  static void start() {
    stack = RevocationStack.start().withWorker(true);
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  private CliRun run(Map<String, String> env, String... args) {
    return runWithInput(env, "", args);
  }

  private CliRun runWithInput(Map<String, String> env, String stdin, String... args) {
    return CliRun.withInput(env, stdin, args);
  }

  private CliRun authenticate(Map<String, String> env, String token) {
    return runWithInput(env, token + "\n", "authenticate");
  }

  /**
   * Without a recipient key, {@code rotation run} makes a one-time pair, and opens the sealed
   * tokens itself: a secret key rotates with no payload codec, and the new raw tokens are on its
   * standard output only, in no history.
   */
  @Test
  void rotationRunOpensTheTokensWithAOneTimeKeyAndNoHistoryHoldsThem() throws Exception {
    Map<String, String> env = new HashMap<>(stack.env());
    JsonNode secret =
        run(env, "create", "--title", "backend", "--type", "secret", "--created-by", "svc-rotate")
            .json();
    JsonNode publishable =
        run(
                env,
                "create",
                "--title",
                "storefront",
                "--type",
                "publishable",
                "--created-by",
                "svc-rotate")
            .json();

    CliRun rotate =
        run(
            env,
            "rotation",
            "run",
            "--selector",
            "{\"created_by\":\"svc-rotate\"}",
            "--grace",
            "1h",
            "--rotated-by",
            "ops");

    assertThat(rotate.exitCode()).as(rotate.err()).isZero();
    assertThat(rotate.err()).isEmpty();
    assertThat(rotate.json().get("recipient").get("name").asText())
        .isEqualTo(RotationCommand.ONE_TIME_RECIPIENT);
    Map<String, String> newTokens = new HashMap<>();
    for (JsonNode successor : rotate.json().get("successors")) {
      assertThat(successor.has("sealed_token")).isFalse();
      newTokens.put(
          successor.get("old_key_id").asText(), successor.get("api_key").get("token").asText());
    }
    String newSecret = newTokens.get(secret.get("id").asText());
    String newPublishable = newTokens.get(publishable.get("id").asText());
    assertThat(newSecret).matches("sk_[0-9a-f]{64}");
    assertThat(newPublishable)
        .matches("pk_[0-9a-f]{64}")
        .isNotEqualTo(publishable.get("token").asText());
    assertThat(authenticate(env, newSecret).exitCode()).isZero();
    JsonNode oldNow = run(env, "retrieve", secret.get("id").asText()).json();
    assertThat(oldNow.get("revoked_by").asText()).isEqualTo("ops");
    assertThat(authenticate(env, secret.get("token").asText()).exitCode()).isZero();

    Map<String, String> secrets = new HashMap<>();
    secrets.putAll(LeakScan.token("the new secret key", newSecret));
    secrets.putAll(LeakScan.token("the new publishable key", newPublishable));
    Map<String, String> histories = LeakScan.histories(stack.client.client());
    assertThat(histories.keySet()).anyMatch(h -> h.startsWith("history of rotate-apikeys-"));
    assertThat(LeakScan.hits(histories, secrets)).isEmpty();
  }

  /**
   * A named recipient gets sealed tokens: {@code rotation keygen} makes its pair, {@code rotation
   * open} opens the result or the {@code api_key.rotated} events with the private key, and refuses
   * with another key.
   */
  @Test
  void aRecipientOpensItsSealedTokensAndNoOtherKeyDoes(@TempDir Path dir) throws Exception {
    Map<String, String> env = new HashMap<>(stack.env());
    Path keyFile = dir.resolve("billing.key");
    CliRun keygen = run(env, "rotation", "keygen", "--private-key-file", keyFile.toString());
    assertThat(keygen.exitCode()).as(keygen.err()).isZero();
    String publicKey = keygen.json().get("public_key").asText();
    assertThat(Files.getPosixFilePermissions(keyFile))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.readString(keyFile)).doesNotContain(publicKey);
    assertThat(run(env, "rotation", "keygen", "--private-key-file", keyFile.toString()).err())
        .startsWith("INVALID_DATA: --private-key-file: ")
        .contains("already exists");
    JsonNode key =
        run(env, "create", "--title", "billing", "--type", "secret", "--created-by", "svc-billing")
            .json();

    CliRun rotate =
        run(
            env,
            "rotation",
            "run",
            "--id",
            key.get("id").asText(),
            "--recipient-key",
            publicKey,
            "--recipient-name",
            "billing-service");

    assertThat(rotate.exitCode()).as(rotate.err()).isZero();
    JsonNode successor = rotate.json().get("successors").get(0);
    assertThat(successor.get("api_key").get("token").asText()).isEmpty();
    assertThat(successor.get("sealed_token").get("suite").asText())
        .isEqualTo("HPKE-Base-X25519-SHA256-AES256GCM");
    CliRun opened =
        runWithInput(
            env, rotate.out(), "rotation", "open", "--private-key-file", keyFile.toString());
    assertThat(opened.exitCode()).as(opened.err()).isZero();
    String token = opened.json().get(0).get("token").asText();
    assertThat(opened.json().get(0).get("id").asText())
        .isEqualTo(successor.get("api_key").get("id").asText());
    assertThat(authenticate(env, token).exitCode()).isZero();

    // The events deliver the same sealed tokens to a recipient that follows the outbox.
    CliRun events = run(env, "events", "list", "--limit", "1000");
    CliRun fromEvents =
        runWithInput(
            env, events.out(), "rotation", "open", "--private-key-file", keyFile.toString());
    assertThat(fromEvents.exitCode()).as(fromEvents.err()).isZero();
    assertThat(fromEvents.json().findValuesAsText("token")).contains(token);
    assertThat(events.out()).doesNotContain(token).doesNotContain(token.substring(3));

    Path otherKey = dir.resolve("other.key");
    run(env, "rotation", "keygen", "--private-key-file", otherKey.toString());
    CliRun wrong =
        runWithInput(
            env, rotate.out(), "rotation", "open", "--private-key-file", otherKey.toString());
    assertThat(wrong.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    assertThat(wrong.err()).contains("does not open with this private key");
    assertThat(wrong.out()).isEmpty();
  }

  /**
   * Issue 14, finding 3: a pasted token as --id is refused by the CLI before anything starts, and
   * never repeated; a selector is compiled (and refused) before anything starts too.
   */
  @Test
  void aBadRotationRequestIsRefusedBeforeAWorkflowStarts() throws Exception {
    Map<String, String> env = new HashMap<>(stack.env());
    JsonNode key =
        run(env, "create", "--title", "pasted", "--type", "secret", "--created-by", "svc-pasted")
            .json();
    String token = key.get("token").asText();
    int before = LeakScan.histories(stack.client.client()).size();

    CliRun pasted = run(env, "rotation", "run", "--id", token);
    CliRun badSelector = run(env, "rotation", "run", "--selector", "{\"token\":\"" + token + "\"}");
    CliRun emptyNot = run(env, "rotation", "run", "--selector", "{\"id\":{\"$not\":{\"$in\":[]}}}");
    CliRun nul =
        run(env, "rotation", "run", "--id", key.get("id").asText(), "--rotated-by", "a\0b");

    assertThat(pasted.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    assertThat(pasted.err().strip())
        .isEqualTo(
            "INVALID_DATA: id: looks like a raw secret token,"
                + " not a key id; rotate the key by its id (apk_…)");
    assertThat(badSelector.err())
        .startsWith("INVALID_DATA: selector.token: looks like a raw" + " secret token");
    assertThat(emptyNot.err()).startsWith("INVALID_DATA: selector: an empty selector");
    assertThat(nul.err().strip()).isEqualTo("INVALID_DATA: rotated_by: contains a NUL character");
    for (CliRun refused : List.of(pasted, badSelector, emptyNot, nul)) {
      assertThat(refused.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
      assertThat(refused.err() + refused.out()).doesNotContain(token.substring(3, 20));
    }
    assertThat(LeakScan.histories(stack.client.client())).hasSize(before);
  }

  @Test
  void badDurationsAndCodecKeysAreOneLineRefusals() {
    Map<String, String> env = new HashMap<>(stack.env());
    CliRun badEvery =
        run(
            env,
            "rotation",
            "schedule",
            "--selector",
            "{\"type\":\"secret\"}",
            "--every",
            "often",
            "--recipient-key",
            TokenSeal.newKeyPair().publicKey(),
            "--recipient-name",
            "svc");
    assertThat(badEvery.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.USAGE);
    assertThat(badEvery.err().lines())
        .containsExactly(
            "apikeys rotation schedule: --every=<duration>: expected a duration such as 45s, 30m,"
                + " 24h or 90d, got \"often\"",
            "Try 'apikeys rotation schedule --help'");
    CliRun noRecipient =
        run(env, "rotation", "schedule", "--selector", "{\"type\":\"secret\"}", "--every", "90d");
    assertThat(noRecipient.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.USAGE);
    assertThat(noRecipient.err()).contains("--recipient-key");
    CliRun badKey = run(env, "rotation", "run", "--id", "apk_x", "--recipient-key", "c2hvcnQ=");
    assertThat(badKey.err().strip())
        .isEqualTo(
            "INVALID_DATA: recipient.public_key: expected the"
                + " base64 of a 32-byte X25519 public key");
    env.put("APIKEYS_CODEC_KEYS", "k1:short");
    CliRun badKeys = run(env, "rotation", "run", "--id", "apk_x");
    assertThat(badKeys.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.CONFIGURATION);
    assertThat(badKeys.err().strip()).isEqualTo("APIKEYS_CODEC_KEYS: key k1 is not valid base64");
  }

  /** A WorkflowService that records CreateSchedule and answers nothing else of note. */
  static final class CapturingService extends WorkflowServiceGrpc.WorkflowServiceImplBase {
    final List<CreateScheduleRequest> created = new CopyOnWriteArrayList<>();

    @Override
    public void getSystemInfo(
        GetSystemInfoRequest request, StreamObserver<GetSystemInfoResponse> response) {
      response.onNext(GetSystemInfoResponse.getDefaultInstance());
      response.onCompleted();
    }

    @Override
    public void createSchedule(
        CreateScheduleRequest request, StreamObserver<CreateScheduleResponse> response) {
      created.add(request);
      response.onNext(CreateScheduleResponse.getDefaultInstance());
      response.onCompleted();
    }
  }

  @Test
  void theScheduleRotatesEveryIntervalAndSkipsOverlaps() throws Exception {
    CapturingService service = new CapturingService();
    String name = "capture-" + System.nanoTime();
    Server server = InProcessServerBuilder.forName(name).addService(service).build().start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
    WorkflowServiceStubs stubs =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder().setChannel(channel).build());
    try {
      WorkflowClient client =
          WorkflowClient.newInstance(
              stubs,
              WorkflowClientOptions.newBuilder()
                  .setNamespace("default")
                  .setDataConverter(ApiKeysDataConverter.newDataConverter())
                  .build());
      String publicKey = TokenSeal.newKeyPair().publicKey();
      RotateRequest request =
          RotateRequest.ofSelector(
              JSON.readTree("{\"type\":\"secret\"}"),
              "ops",
              RotationCommand.parseDuration("--grace", "24h").toSeconds(),
              new Recipient("billing-service", publicKey));

      new RotationClient(client, RevocationNames.TASK_QUEUE)
          .createSchedule("nightly", request, RotationCommand.parseDuration("--every", "90d"));

      assertThat(service.created).hasSize(1);
      CreateScheduleRequest sent = service.created.get(0);
      assertThat(sent.getScheduleId()).isEqualTo("nightly");
      assertThat(sent.getNamespace()).isEqualTo("default");
      var interval = sent.getSchedule().getSpec().getInterval(0);
      assertThat(Duration.ofSeconds(interval.getInterval().getSeconds()))
          .isEqualTo(Duration.ofDays(90));
      assertThat(sent.getSchedule().getPolicies().getOverlapPolicy())
          .isEqualTo(ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP);
      var action = sent.getSchedule().getAction().getStartWorkflow();
      assertThat(action.getWorkflowType().getName()).isEqualTo(RotateApiKeysWorkflow.WORKFLOW_TYPE);
      assertThat(action.getTaskQueue().getName()).isEqualTo(RevocationNames.TASK_QUEUE);
      assertThat(action.getWorkflowId()).isEqualTo("rotate-apikeys-nightly");
      var payload = action.getInput().getPayloads(0);
      assertThat(payload.getMetadataMap().get("encoding").toStringUtf8()).isEqualTo("json/plain");
      assertThat(JSON.readTree(payload.getData().toString(StandardCharsets.UTF_8)))
          .isEqualTo(
              JSON.readTree(
                  "{\"selector\":{\"type\":\"secret\"},\"rotated_by\":\"ops\",\"grace_seconds\":86400,"
                      + "\"recipient\":{\"name\":\"billing-service\",\"public_key\":\""
                      + publicKey
                      + "\"}}"));
    } finally {
      stubs.shutdownNow();
      channel.shutdownNow();
      server.shutdownNow();
    }
  }
}
