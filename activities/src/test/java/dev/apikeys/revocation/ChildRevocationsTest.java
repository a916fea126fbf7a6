package dev.apikeys.revocation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.apikeys.examples.OffboardUserWorkflow;
import dev.apikeys.examples.OffboardUserWorkflowImpl;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.store.ApiKeyStore;
import dev.apikeys.store.TestDatabase;
import dev.apikeys.testing.ApiKeysTestKit;
import dev.apikeys.testing.TestStack;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.ChildWorkflowFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Revocations started by other workflows, through {@link ChildRevocations}. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ChildRevocationsTest {

  @WorkflowInterface
  public interface FireAndForgetParent {
    @WorkflowMethod
    String start(String keyId, long revokeIn);
  }

  public static class FireAndForgetParentImpl implements FireAndForgetParent {
    @Override
    public String start(String keyId, long revokeIn) {
      return ChildRevocations.start(
              "revoke",
              RevokeRequest.ofId(keyId, new RevokeApiKeyDTO("parent", revokeIn), null),
              null)
          .workflowId();
    }
  }

  @WorkflowInterface
  public interface CatchingParent {
    @WorkflowMethod
    String revokeAndCatch(String keyId);
  }

  public static class CatchingParentImpl implements CatchingParent {
    @Override
    public String revokeAndCatch(String keyId) {
      try {
        ChildRevocations.revoke(
            "revoke", RevokeRequest.ofId(keyId, RevokeApiKeyDTO.now("parent"), null), null);
        return "no failure";
      } catch (ChildWorkflowFailure failure) {
        ApplicationFailure cause = (ApplicationFailure) failure.getCause();
        return cause.getType() + ": " + cause.getOriginalMessage();
      }
    }
  }

  @WorkflowInterface
  public interface ListeningParent {
    @WorkflowMethod
    List<String> revokeAndListen(String keyId, boolean fromParentStep);

    @SignalMethod(name = RevocationNames.SIGNAL_REVOCATION_FINISHED)
    void finished(RevocationStatus status);
  }

  public static class ListeningParentImpl implements ListeningParent {
    private final List<String> reports = new ArrayList<>();

    @Override
    public List<String> revokeAndListen(String keyId, boolean fromParentStep) {
      ChildRevocations.revoke(
          "revoke",
          RevokeRequest.ofId(keyId, RevokeApiKeyDTO.now("parent"), null),
          SharedContext.newBuilder().setCancelingFromParentStep(fromParentStep).build());
      Workflow.await(Duration.ofMinutes(1), () -> !reports.isEmpty());
      return reports;
    }

    @Override
    public void finished(RevocationStatus status) {
      reports.add(status.state().value());
    }
  }

  /**
   * Parents and children share the test's own task queue, not the default "api-keys": a child runs
   * on its parent's queue unless told otherwise.
   */
  @RegisterExtension
  static final ApiKeysTestKit kit =
      ApiKeysTestKit.newBuilder()
          .registerWorkflowImplementationTypes(
              OffboardUserWorkflowImpl.class,
              FireAndForgetParentImpl.class,
              CatchingParentImpl.class,
              ListeningParentImpl.class)
          .build();

  private TestDatabase db;
  private ApiKeyStore keys;
  private TestWorkflowEnvironment env;
  private WorkflowClient client;
  private String taskQueue;

  @BeforeEach
  void setUp(TestStack stack) {
    this.env = stack.env();
    this.client = stack.client();
    this.db = stack.db();
    this.keys = stack.keys();
    taskQueue = stack.taskQueue();
    assertThat(taskQueue).isNotEqualTo(RevocationNames.TASK_QUEUE);
  }

  private <T> T parent(Class<T> type, String id) {
    return client.newWorkflowStub(
        type, WorkflowOptions.newBuilder().setTaskQueue(taskQueue).setWorkflowId(id).build());
  }

  @Test
  void aParentThatCompletesLeavesTheRevocationRunningToItsInstant() throws Exception {
    ApiKeyDTO key = keys.createApiKey(new CreateApiKeyDTO("k", "secret", "u"));

    String childId = parent(FireAndForgetParent.class, "parent-1").start(key.id(), 3600);

    assertThat(childId).isEqualTo(RevocationNames.workflowIdFor("parent-1:revoke"));
    WorkflowStub child = client.newUntypedWorkflowStub(childId);
    assertThat(child.describe().getStatus().name()).contains("RUNNING");
    // Blocking on the result lets the test server skip time to the child's timer.
    RevokeResult result = child.getResult(RevokeResult.class);
    assertThat(result.status()).isEqualTo(RevocationState.REVOKED);
    // Time is skipped for the workflow, not for PostgreSQL: assert the stamped row, not now().
    assertThat(revokedAt(key.id())).isEqualTo(result.scheduledAt());
    assertThat(revokedBy(key.id())).isEqualTo("parent");
  }

  @Test
  void cancellingTheParentCancelsTheRevocationAndRestoresTheKeys() throws Exception {
    ApiKeyDTO a = keys.createApiKey(new CreateApiKeyDTO("a", "secret", "leaver"));
    ApiKeyDTO b = keys.createApiKey(new CreateApiKeyDTO("b", "publishable", "leaver"));
    ApiKeyDTO other = keys.createApiKey(new CreateApiKeyDTO("c", "secret", "stayer"));
    OffboardUserWorkflow offboard = parent(OffboardUserWorkflow.class, "offboard-leaver");
    WorkflowClient.start(
        offboard::offboard, new OffboardUserWorkflow.Offboarding("leaver", 86_400, "hr"));
    WorkflowStub parentStub = WorkflowStub.fromTyped(offboard);
    env.sleep(Duration.ofHours(1));
    assertThat(revokedBy(a.id())).isEqualTo("hr");
    assertThat(revokedBy(b.id())).isEqualTo("hr");

    parentStub.cancel();
    // Watches the database rather than blocking on a result: a blocked client lets the test
    // server skip time, and it could skip past the instant before the cancellation reaches the
    // child.
    awaitRevocationStatus("cancelled");

    assertThatThrownBy(() -> parentStub.getResult(RevokeResult.class))
        .isInstanceOf(WorkflowFailedException.class)
        .hasCauseInstanceOf(CanceledFailure.class);
    String childId = RevocationNames.workflowIdFor("offboard-leaver:revoke-user-keys");
    assertThatThrownBy(() -> client.newUntypedWorkflowStub(childId).getResult(RevokeResult.class))
        .hasCauseInstanceOf(CanceledFailure.class);
    assertThat(revokedAt(a.id())).isNull();
    assertThat(revokedAt(b.id())).isNull();
    assertThat(revokedAt(other.id())).isNull();
    assertThat(keys.authenticate(a.token())).isPresent();
  }

  @Test
  void theOffboardingRevokesEveryKeyOfTheUserAfterTheGracePeriod() {
    ApiKeyDTO a = keys.createApiKey(new CreateApiKeyDTO("a", "secret", "leaver"));
    ApiKeyDTO other = keys.createApiKey(new CreateApiKeyDTO("c", "secret", "stayer"));

    RevokeResult result =
        parent(OffboardUserWorkflow.class, "offboard-2")
            .offboard(new OffboardUserWorkflow.Offboarding("leaver", 3600, "hr"));

    assertThat(result.status()).isEqualTo(RevocationState.REVOKED);
    assertThat(result.apiKeys()).extracting(ApiKeyDTO::id).containsExactly(a.id());
    assertThat(revokedAt(a.id())).isEqualTo(result.scheduledAt());
    assertThat(revokedBy(a.id())).isEqualTo("hr");
    assertThat(revokedAt(other.id())).isNull();
  }

  @Test
  void aChildRefusalReachesTheParentAsATypedFailure() {
    String caught = parent(CatchingParent.class, "catching").revokeAndCatch("apk_missing");
    assertThat(caught).isEqualTo("NOT_FOUND: ApiKey with id \"apk_missing\" not found");
  }

  @Test
  void theChildReportsBackUnlessCancelingFromParentStep() {
    ApiKeyDTO a = keys.createApiKey(new CreateApiKeyDTO("a", "secret", "u"));
    ApiKeyDTO b = keys.createApiKey(new CreateApiKeyDTO("b", "secret", "u"));

    List<String> reported =
        parent(ListeningParent.class, "listening-1").revokeAndListen(a.id(), false);
    List<String> silent =
        parent(ListeningParent.class, "listening-2").revokeAndListen(b.id(), true);

    assertThat(reported).containsExactly("revoked");
    assertThat(silent).isEmpty();
    List<Boolean> recorded =
        db.jdbi()
            .withHandle(
                h ->
                    h.createQuery(
                            "select canceling_from_parent_step from apikeys_revocation order by seq")
                        .mapTo(Boolean.class)
                        .list());
    assertThat(recorded).containsExactly(false, true);
  }

  private void awaitRevocationStatus(String status) throws InterruptedException {
    for (int i = 0; i < 200; i++) {
      List<String> statuses =
          db.jdbi()
              .withHandle(
                  h ->
                      h.createQuery("select status from apikeys_revocation")
                          .mapTo(String.class)
                          .list());
      if (statuses.contains(status)) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no revocation became " + status);
  }

  private String revokedBy(String id) {
    return db.jdbi()
        .withHandle(
            h ->
                h.createQuery("select revoked_by from api_key where id = :id")
                    .bind("id", id)
                    .mapTo(String.class)
                    .one());
  }

  private Instant revokedAt(String id) {
    return db.jdbi()
        .withHandle(
            h ->
                h.createQuery("select revoked_at from api_key where id = :id")
                    .bind("id", id)
                    .mapTo(Instant.class)
                    .findOne()
                    .orElse(null));
  }
}
