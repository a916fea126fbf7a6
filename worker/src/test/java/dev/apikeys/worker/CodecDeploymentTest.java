package dev.apikeys.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.google.protobuf.ByteString;
import dev.apikeys.client.ApiKeyModuleService;
import dev.apikeys.client.RevocationHandle;
import dev.apikeys.codec.PayloadKeyUnavailableException;
import dev.apikeys.codec.PayloadKeys;
import dev.apikeys.config.TemporalConfig;
import dev.apikeys.config.TemporalConnection;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.ApiKeyErrorType;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.revocation.ApiKeysDataConverter;
import dev.apikeys.revocation.RevocationNames;
import dev.apikeys.revocation.RevocationState;
import dev.apikeys.revocation.RevokeApiKeyDTO;
import dev.apikeys.revocation.RevokeRequest;
import dev.apikeys.revocation.RevokeResult;
import dev.apikeys.revocation.SharedContext;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.failure.v1.Failure;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowServiceException;
import io.temporal.common.converter.CodecDataConverter;
import io.temporal.failure.ApplicationFailure;
import io.temporal.payload.codec.PayloadCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * A worker deployed with the wrong {@code APIKEYS_CODEC_KEYS}, in a process of its own, never fails
 * a revocation: its workflow tasks fail and are retried until a worker with the right keys runs
 * them, which stamps the original instant.
 */
// Long (worker processes started and stopped): runs beside the other test classes.
@Execution(ExecutionMode.CONCURRENT)
class CodecDeploymentTest {
  private static final String K1 = "k1:" + randomKey();
  private static final String K2 = "k2:" + randomKey();

  private RevocationStack stack;
  private final List<WorkerProcess> workers = new ArrayList<>();
  private final List<TemporalConnection> connections = new ArrayList<>();
  private Path logs;

  @BeforeEach
  void start() throws IOException {
    stack = RevocationStack.start();
    logs = Files.createTempDirectory("apikeys-codec-logs");
  }

  @AfterEach
  void stop() throws InterruptedException {
    for (WorkerProcess worker : workers) {
      worker.close();
    }
    for (TemporalConnection connection : connections) {
      connection.close();
    }
    stack.close();
  }

  @Execution(ExecutionMode.SAME_THREAD)
  @Test
  @Timeout(180)
  void aWorkerWithOnlyTheNewerKeyLeavesTheRevocationToOneThatHasBoth() throws Exception {
    aWorkerWithoutTheKeyRunsPastTheInstant(Optional.of(K2));
  }

  @Execution(ExecutionMode.SAME_THREAD)
  @Test
  @Timeout(180)
  void aWorkerWithNoCodecKeysLeavesTheRevocationToOneThatHasThem() throws Exception {
    aWorkerWithoutTheKeyRunsPastTheInstant(Optional.empty());
  }

  private void aWorkerWithoutTheKeyRunsPastTheInstant(Optional<String> wrongKeys) throws Exception {
    ApiKeyDTO key = stack.store().createApiKey(new CreateApiKeyDTO("codec", "secret", "user_1"));
    WorkerProcess right = startWorker("k1", Optional.of(K1));
    RevocationHandle handle =
        service(K1)
            .startRevoke(
                RevokeRequest.ofId(
                    key.id(), new RevokeApiKeyDTO("user_2", 20L), SharedContext.EMPTY));
    Instant instant = handle.scheduled().scheduledAt();
    right.kill();
    // Killed before the instant, so the timer's workflow task (not the stamp activity the right
    // worker would have scheduled) is what the wrong worker meets.
    assertThat(Instant.now()).as("killed before the instant").isBefore(instant);

    WorkerProcess wrong = startWorker("wrong", wrongKeys);
    RevocationEndToEndTest.sleepUntil(instant.plusSeconds(3));
    Failure taskFailure = awaitWorkflowTaskFailure(handle.workflowId());
    wrong.kill();

    // What an operator sees in the history: the key is missing. (Before, the worker failed the
    // workflow in replay, which did not match the history: a nondeterminism error, retried by
    // luck rather than by design.)
    assertThat(rootCause(taskFailure).getApplicationFailureInfo().getType())
        .isEqualTo(PayloadKeyUnavailableException.class.getName());

    assertThat(status(handle.workflowId()))
        .as("the worker without the key left the workflow running")
        .isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);
    assertThat(revocationStatus(handle.scheduled().revocationId())).isEqualTo("scheduled");
    assertThat(revokedEvents(key.id())).isZero();

    startWorker("k2k1", Optional.of(K2 + "," + K1));
    RevokeResult result =
        service(K2 + "," + K1).revocation(handle.workflowId()).await(Duration.ofSeconds(60));
    assertThat(result.status()).isEqualTo(RevocationState.REVOKED);
    assertThat(result.scheduledAt()).isEqualTo(instant);
    assertThat(revokedAt(key.id())).isEqualTo(instant);
    assertThat(revokedEvents(key.id())).isEqualTo(1);
  }

  /**
   * The first workflow task, before anything is scheduled, is no different: a revocation started
   * while only a worker without the key polls waits for one that has it. (Before, it failed at
   * once: the worker listed the decoding exceptions among those that fail a workflow.)
   */
  @Execution(ExecutionMode.SAME_THREAD)
  @Test
  @Timeout(180)
  void aRevocationStartedWhileOnlyAWorkerWithoutTheKeyPollsWaitsForOneWithIt() throws Exception {
    ApiKeyDTO key = stack.store().createApiKey(new CreateApiKeyDTO("codec", "secret", "user_1"));
    startWorker("keyless", Optional.empty());
    String idempotencyKey = "codec-first-task";
    String workflowId = RevocationNames.workflowIdFor(idempotencyKey);
    ApiKeyModuleService service = service(K1, Duration.ofSeconds(10));
    RevokeRequest request =
        RevokeRequest.ofId(
            key.id(),
            new RevokeApiKeyDTO("user_2", 1L),
            SharedContext.newBuilder().setIdempotencyKey(idempotencyKey).build());

    // The caller is told at once why nothing is scheduled, not after its timeout.
    assertThatThrownBy(() -> service.startRevoke(request))
        .isInstanceOf(WorkflowServiceException.class)
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> assertThat(f.getType()).isEqualTo(PayloadKeyUnavailableException.class.getName()));
    Failure taskFailure = awaitWorkflowTaskFailure(workflowId);
    assertThat(rootCause(taskFailure).getApplicationFailureInfo().getType())
        .isEqualTo(PayloadKeyUnavailableException.class.getName());
    assertThat(rootCause(taskFailure).getMessage())
        .isEqualTo("payload encrypted with key id \"k1\", and this process has no codec keys");
    assertThat(status(workflowId))
        .isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);
    assertThat(revokedAt(key.id())).as("nothing scheduled").isNull();

    startWorker("k1", Optional.of(K1));
    RevokeResult result = service.revocation(workflowId).await(Duration.ofSeconds(60));
    assertThat(result.status()).isEqualTo(RevocationState.REVOKED);
    assertThat(revokedAt(key.id())).isEqualTo(result.scheduledAt());
    assertThat(revokedEvents(key.id())).isEqualTo(1);
  }

  /** A payload labelled with a key the worker holds, that fails authentication under it. */
  @Execution(ExecutionMode.SAME_THREAD)
  @Test
  @Timeout(120)
  void aForgedEncryptedRequestIsRefusedAndChangesNothing() throws Exception {
    refusedAndNothingChanged(
        payload ->
            Payload.newBuilder()
                .putMetadata("encoding", ByteString.copyFromUtf8("binary/encrypted"))
                .putMetadata("encryption-key-id", ByteString.copyFromUtf8("k1"))
                .setData(ByteString.copyFrom(new byte[48]))
                .build(),
        "request: cannot be read, and never will be: encrypted payload failed authentication");
  }

  @Execution(ExecutionMode.SAME_THREAD)
  @Test
  @Timeout(120)
  void aRequestInAnEncodingThisProjectNeverWritesIsRefusedAndChangesNothing() throws Exception {
    refusedAndNothingChanged(
        payload ->
            payload.toBuilder()
                .putMetadata("encoding", ByteString.copyFromUtf8("binary/zstd"))
                .build(),
        "request: cannot be read, and never will be: encoding \"binary/zstd\" is not one this"
            + " project writes");
  }

  private void refusedAndNothingChanged(UnaryOperator<Payload> sent, String message)
      throws Exception {
    ApiKeyDTO key = stack.store().createApiKey(new CreateApiKeyDTO("codec", "secret", "user_1"));
    startWorker("k1", Optional.of(K1));
    String idempotencyKey = "codec-refused";
    String workflowId = RevocationNames.workflowIdFor(idempotencyKey);
    PayloadCodec tampering =
        new PayloadCodec() {
          @Override
          public List<Payload> encode(List<Payload> payloads) {
            return payloads.stream().map(sent).toList();
          }

          @Override
          public List<Payload> decode(List<Payload> payloads) {
            return payloads;
          }
        };
    WorkflowClient client =
        WorkflowClient.newInstance(
            stack.client.stubs(),
            WorkflowClientOptions.newBuilder()
                .setNamespace(stack.temporal.namespace())
                .setDataConverter(
                    new CodecDataConverter(
                        ApiKeysDataConverter.newDataConverter(PayloadKeys.parse(K1)),
                        List.of(tampering)))
                .build());
    ApiKeyModuleService service =
        new ApiKeyModuleService(
            client, stack.store(), stack.revocations(), stack.temporal.taskQueue());

    // The caller's answer, and the workflow's own outcome, read by a client with the key.
    assertRefused(
        catchThrowable(
            () ->
                service.startRevoke(
                    RevokeRequest.ofId(
                        key.id(),
                        new RevokeApiKeyDTO("user_2", 60L),
                        SharedContext.newBuilder().setIdempotencyKey(idempotencyKey).build()))),
        message);
    assertRefused(
        catchThrowable(() -> service(K1).revocation(workflowId).await(Duration.ofSeconds(30))),
        message);
    assertThat(status(workflowId))
        .isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED);
    assertThat(revokedAt(key.id())).as("nothing changed").isNull();
    long revocations =
        stack
            .db
            .jdbi()
            .withHandle(
                h ->
                    h.createQuery("select count(*) from apikeys_revocation")
                        .mapTo(Long.class)
                        .one());
    assertThat(revocations).isZero();
  }

  private Failure awaitWorkflowTaskFailure(String workflowId) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      for (HistoryEvent event : stack.client.client().fetchHistory(workflowId).getEvents()) {
        if (event.getEventType() == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED) {
          return event.getWorkflowTaskFailedEventAttributes().getFailure();
        }
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no workflow task failed in " + workflowId);
  }

  private static void assertRefused(Throwable thrown, String message) {
    assertThat(thrown)
        .isInstanceOfSatisfying(
            ApiKeyException.class,
            e -> {
              assertThat(e.getType()).isEqualTo(ApiKeyErrorType.INVALID_DATA);
              assertThat(e.getMessage()).isEqualTo(message);
            });
  }

  /** The SDK wraps what failed a workflow task; the cause is what the worker met. */
  private static Failure rootCause(Failure failure) {
    Failure f = failure;
    while (f.hasCause()) {
      f = f.getCause();
    }
    return f;
  }

  private WorkflowExecutionStatus status(String workflowId) {
    return stack
        .client
        .stubs()
        .blockingStub()
        .describeWorkflowExecution(
            DescribeWorkflowExecutionRequest.newBuilder()
                .setNamespace(stack.temporal.namespace())
                .setExecution(WorkflowExecution.newBuilder().setWorkflowId(workflowId))
                .build())
        .getWorkflowExecutionInfo()
        .getStatus();
  }

  private ApiKeyModuleService service(String keys) {
    return service(keys, ApiKeyModuleService.DEFAULT_SCHEDULE_TIMEOUT);
  }

  private ApiKeyModuleService service(String keys, Duration scheduleTimeout) {
    Map<String, String> env = new HashMap<>(stack.env());
    env.put(TemporalConfig.CODEC_KEYS, keys);
    TemporalConnection connection = TemporalConfig.fromEnvironment(env).connect();
    connections.add(connection);
    return new ApiKeyModuleService(
        connection.client(),
        stack.store(),
        stack.revocations(),
        stack.temporal.taskQueue(),
        scheduleTimeout);
  }

  private WorkerProcess startWorker(String name, Optional<String> keys) throws IOException {
    WorkerProcess worker =
        WorkerProcess.start(
            stack,
            logs,
            name,
            keys.map(k -> Map.of(TemporalConfig.CODEC_KEYS, k)).orElse(Map.of()));
    workers.add(worker);
    return worker;
  }

  private String revocationStatus(String revocationId) {
    return stack
        .db
        .jdbi()
        .withHandle(
            h ->
                h.createQuery("select status from apikeys_revocation where id = :id")
                    .bind("id", revocationId)
                    .mapTo(String.class)
                    .one());
  }

  private Instant revokedAt(String keyId) {
    return stack
        .db
        .jdbi()
        .withHandle(
            h ->
                h.createQuery("select revoked_at from api_key where id = :id")
                    .bind("id", keyId)
                    .mapTo(Instant.class)
                    .one());
  }

  private long revokedEvents(String keyId) {
    return stack
        .db
        .jdbi()
        .withHandle(
            h ->
                h.createQuery(
                        "select count(*) from apikeys_event where name = 'api_key.revoked'"
                            + " and api_key_id = :id")
                    .bind("id", keyId)
                    .mapTo(Long.class)
                    .one());
  }

  private static String randomKey() {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    return Base64.getEncoder().encodeToString(key);
  }
}
