package dev.apikeys.revocation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.apikeys.client.ApiKeyModuleService;
import dev.apikeys.client.RevocationHandle;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.store.ApiKeyStore;
import dev.apikeys.store.TestDatabase;
import dev.apikeys.testing.ApiKeysTestKit;
import dev.apikeys.testing.ClientTestKit;
import dev.apikeys.testing.TestStack;
import io.temporal.api.enums.v1.WorkflowIdConflictPolicy;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.UpdateOptions;
import io.temporal.client.WithStartWorkflowOperation;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowUpdateStage;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.worker.Worker;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * A revocation that waits long and is moved often keeps a bounded history: it continues as new once
 * its history passes {@link RevokeApiKeysWorkflowImpl#HISTORY_LENGTH_LIMIT} events, carrying its
 * state, and still stamps the last instant it was given, once.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
// Long (2,000 updates, one at a time): runs beside the other test classes.
@Execution(ExecutionMode.CONCURRENT)
class LongLivedRevocationTest {
  private static final int RESCHEDULES = 2_000;

  @RegisterExtension static final ApiKeysTestKit kit = ClientTestKit.newBuilder().build();

  private TestDatabase db;
  private ApiKeyStore keys;
  private ApiKeyModuleService module;
  private WorkflowClient client;

  @BeforeEach
  void setUp(TestStack stack, ApiKeyModuleService module) {
    this.client = stack.client();
    this.db = stack.db();
    this.keys = stack.keys();
    this.module = module;
  }

  @Execution(ExecutionMode.SAME_THREAD)
  @Test
  void twoThousandReschedulesKeepTheHistoryBoundedAndStampTheLastInstant() throws Exception {
    ApiKeyDTO key = keys.createApiKey(new CreateApiKeyDTO("moved", "secret", "u"));
    RevocationHandle handle =
        module.startRevoke(
            RevokeRequest.ofId(
                key.id(),
                new RevokeApiKeyDTO("me", 86_400L),
                SharedContext.newBuilder().setIdempotencyKey("moved-often").build()));

    Instant last = null;
    for (int i = 0; i < RESCHEDULES; i++) {
      last = handle.reschedule(3_600 + i % 600, "ops").scheduledAt();
    }
    assertThat(handle.status().scheduledAt()).isEqualTo(last);

    int runs = 0;
    long longest = 0;
    String runId = null;
    do {
      WorkflowExecutionHistory history =
          runId == null
              ? client.fetchHistory(handle.workflowId())
              : client.fetchHistory(handle.workflowId(), runId);
      longest = Math.max(longest, history.getEvents().size());
      HistoryEvent started = history.getEvents().get(0);
      runId = started.getWorkflowExecutionStartedEventAttributes().getContinuedExecutionRunId();
      runs++;
    } while (!runId.isEmpty());
    System.out.println(
        RESCHEDULES
            + " reschedules: "
            + runs
            + " runs, the longest history "
            + longest
            + " events");
    assertThat(runs).isGreaterThan(1);
    assertThat(longest).isLessThan(RevokeApiKeysWorkflowImpl.HISTORY_LENGTH_LIMIT + 200);

    // The run that stamps is a later one: revoking now still works, once.
    handle.revokeNow();
    RevokeResult result = handle.await(Duration.ofSeconds(60));
    assertThat(result.status()).isEqualTo(RevocationState.REVOKED);
    assertThat(result.revocationId()).isEqualTo(handle.revocation().revocationId());
    long events =
        db.jdbi()
            .withHandle(
                h ->
                    h.createQuery(
                            "select count(*) from apikeys_event where name = 'api_key.revoked'")
                        .mapTo(Long.class)
                        .one());
    assertThat(events).isEqualTo(1);
    long moves =
        db.jdbi()
            .withHandle(
                h ->
                    h.createQuery(
                            "select count(*) from apikeys_event where name = 'api_key.revocation_rescheduled'")
                        .mapTo(Long.class)
                        .one());
    assertThat(moves).isEqualTo(RESCHEDULES + 1);
  }

  /**
   * A change that reaches a new run in its very first workflow task, before the run's method has
   * begun (the run after a continue-as-new, or one the reconciler starts), waits for the run to
   * restore its revocation instead of being refused as "not scheduled yet". The change is sent with
   * the start, so it always lands in that first task.
   */
  @Execution(ExecutionMode.SAME_THREAD)
  @Test
  void aChangeInTheFirstTaskOfAContinuedRunIsApplied(Worker worker) throws Exception {
    ApiKeyDTO key = keys.createApiKey(new CreateApiKeyDTO("continued", "secret", "u"));
    RevocationHandle handle =
        module.startRevoke(RevokeRequest.ofId(key.id(), new RevokeApiKeyDTO("me", 86_400L), null));
    Revocation scheduled = handle.revocation();
    client.newUntypedWorkflowStub(handle.workflowId()).terminate("the run is gone");

    RevokeApiKeysWorkflow next =
        client.newWorkflowStub(
            RevokeApiKeysWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(handle.workflowId())
                .setTaskQueue(worker.getTaskQueue())
                .setWorkflowIdConflictPolicy(
                    WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL)
                .build());
    RevocationStatus moved =
        WorkflowClient.startUpdateWithStart(
                next::reschedule,
                RescheduleRequest.inSeconds(60, "ops"),
                UpdateOptions.<RevocationStatus>newBuilder()
                    .setWaitForStage(WorkflowUpdateStage.COMPLETED)
                    .build(),
                new WithStartWorkflowOperation<>(
                    next::revoke, null, new ContinuedRevocation(null, null, scheduled, 0)))
            .getResult();

    assertThat(moved.state()).isEqualTo(RevocationState.SCHEDULED);
    assertThat(moved.scheduledAt()).isBefore(scheduled.scheduledAt());
    Instant stored =
        db.jdbi()
            .withHandle(
                h ->
                    h.createQuery("select revoked_at from api_key where id = :id")
                        .bind("id", key.id())
                        .mapTo(Instant.class)
                        .one());
    assertThat(stored).isEqualTo(moved.scheduledAt());
  }
}
