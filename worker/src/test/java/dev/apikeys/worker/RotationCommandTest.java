package dev.apikeys.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apikeys.revocation.ApiKeysDataConverter;
import dev.apikeys.revocation.RevocationNames;
import dev.apikeys.rotation.RotateApiKeysWorkflow;
import dev.apikeys.rotation.RotateRequest;
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
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleClientOptions;
import io.temporal.client.schedules.ScheduleOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code apikeys rotation}: a rotation run through the CLI against the port-bound server, and the
 * Schedule the command creates, captured as the CreateSchedule request on an in-process gRPC
 * service (the Java test server does not implement Schedules).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RotationCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static RevocationStack stack;

  @BeforeAll
  static void start() {
    stack = RevocationStack.start().withWorker();
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  record Run(int exitCode, String out, String err) {
    JsonNode json() throws Exception {
      return JSON.readTree(out);
    }
  }

  private Run run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = ApiKeysCommand.execute(args, env, new PrintWriter(out), new PrintWriter(err));
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void rotationRunGivesEachKeyASuccessorAndSchedulesTheOldOnesRevocation() throws Exception {
    Map<String, String> env = new HashMap<>(stack.env());
    JsonNode old = run(env, "create", "--title", "storefront", "--type", "publishable",
        "--created-by", "svc-rotate").json();

    Run rotate = run(env, "rotation", "run", "--selector", "{\"created_by\":\"svc-rotate\"}",
        "--grace", "1h", "--rotated-by", "ops");

    assertThat(rotate.exitCode()).as(rotate.err()).isZero();
    JsonNode successor = rotate.json().get("successors").get(0);
    assertThat(successor.get("old_key_id").asText()).isEqualTo(old.get("id").asText());
    String newToken = successor.get("api_key").get("token").asText();
    assertThat(newToken).startsWith("pk_").isNotEqualTo(old.get("token").asText());
    // Publishable keys are looked up by their token (they never authenticate).
    JsonNode successorKey = run(env, "list", "--selector", "{\"token\":\"" + newToken + "\"}").json();
    assertThat(successorKey).hasSize(1);
    assertThat(successorKey.get(0).get("revoked_at").isNull()).isTrue();
    JsonNode oldNow = run(env, "retrieve", old.get("id").asText()).json();
    assertThat(oldNow.get("revoked_by").asText()).isEqualTo("ops");
    // Still active during the grace hour.
    assertThat(Instant.parse(oldNow.get("revoked_at").asText())).isAfter(Instant.now());
  }

  @Test
  void secretRotationWithoutTheCodecIsRefused() throws Exception {
    Map<String, String> env = new HashMap<>(stack.env());
    JsonNode key = run(env, "create", "--title", "backend", "--type", "secret",
        "--created-by", "svc-secret").json();

    Run rotate = run(env, "rotation", "run", "--id", key.get("id").asText());

    assertThat(rotate.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    assertThat(rotate.err()).startsWith("NOT_ALLOWED: rotating secret keys").contains("APIKEYS_CODEC_KEYS");
  }

  @Test
  void badDurationsAndCodecKeysAreOneLineRefusals() {
    Map<String, String> env = new HashMap<>(stack.env());
    Run badEvery = run(env, "rotation", "schedule", "--selector", "{\"type\":\"secret\"}",
        "--every", "often");
    assertThat(badEvery.exitCode()).isEqualTo(ApiKeysCommand.ExitCodes.REFUSED);
    assertThat(badEvery.err().strip())
        .isEqualTo("INVALID_DATA: --every: expected a duration such as 45s, 30m, 24h or 90d, got \"often\"");
    env.put("APIKEYS_CODEC_KEYS", "k1:short");
    Run badKeys = run(env, "rotation", "run", "--id", "apk_x");
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
      ScheduleClient schedules =
          ScheduleClient.newInstance(
              stubs,
              ScheduleClientOptions.newBuilder()
                  .setNamespace("default")
                  .setDataConverter(ApiKeysDataConverter.newDataConverter())
                  .build());
      RotateRequest request =
          RotateRequest.ofSelector(JSON.readTree("{\"type\":\"secret\"}"), "ops",
              RotationCommand.parseDuration("--grace", "24h").toSeconds());

      schedules.createSchedule(
          "nightly",
          RotationCommand.schedule(request, RotationCommand.parseDuration("--every", "90d"),
              "nightly", RevocationNames.TASK_QUEUE),
          ScheduleOptions.newBuilder().build());

      assertThat(service.created).hasSize(1);
      CreateScheduleRequest sent = service.created.get(0);
      assertThat(sent.getScheduleId()).isEqualTo("nightly");
      assertThat(sent.getNamespace()).isEqualTo("default");
      var interval = sent.getSchedule().getSpec().getInterval(0);
      assertThat(Duration.ofSeconds(interval.getInterval().getSeconds())).isEqualTo(Duration.ofDays(90));
      assertThat(sent.getSchedule().getPolicies().getOverlapPolicy())
          .isEqualTo(ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP);
      var action = sent.getSchedule().getAction().getStartWorkflow();
      assertThat(action.getWorkflowType().getName()).isEqualTo(RotateApiKeysWorkflow.WORKFLOW_TYPE);
      assertThat(action.getTaskQueue().getName()).isEqualTo(RevocationNames.TASK_QUEUE);
      assertThat(action.getWorkflowId()).isEqualTo("rotate-apikeys-nightly");
      var payload = action.getInput().getPayloads(0);
      assertThat(payload.getMetadataMap().get("encoding").toStringUtf8()).isEqualTo("json/plain");
      assertThat(JSON.readTree(payload.getData().toString(StandardCharsets.UTF_8)))
          .isEqualTo(JSON.readTree(
              "{\"selector\":{\"type\":\"secret\"},\"rotated_by\":\"ops\",\"grace_seconds\":86400}"));
    } finally {
      stubs.shutdownNow();
      channel.shutdownNow();
      server.shutdownNow();
    }
  }
}
