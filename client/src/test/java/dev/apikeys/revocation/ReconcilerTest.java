package dev.apikeys.revocation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.apikeys.activities.ReconcileActivitiesImpl;
import dev.apikeys.activities.RevocationReconciler;
import dev.apikeys.client.ApiKeyModuleService;
import dev.apikeys.client.RevocationHandle;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.store.ApiKeyStore;
import dev.apikeys.store.RevocationStore;
import dev.apikeys.store.TestDatabase;
import dev.apikeys.testing.ApiKeysTestKit;
import dev.apikeys.testing.ClientTestKit;
import dev.apikeys.testing.TestStack;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The reconciler finishes scheduled revocations that no workflow looks after any more: it stamps
 * those whose instant passed, with that instant, and starts a fresh workflow for the others, which
 * takes the revocation over without a second row. A revocation whose workflow runs is left alone.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReconcilerTest {
  @RegisterExtension
  static final ApiKeysTestKit kit =
      ClientTestKit.newBuilder()
          .registerWorkflowImplementationTypes(ReconcileRevocationsWorkflowImpl.class)
          .provide(
              RevocationReconciler.class,
              s -> new RevocationReconciler(s.client(), s.revocations(), s.taskQueue()))
          .registerActivities(s -> new ReconcileActivitiesImpl(s.get(RevocationReconciler.class)))
          .build();

  private TestDatabase db;
  private ApiKeyStore keys;
  private RevocationStore revocations;
  private ApiKeyModuleService module;
  private RevocationReconciler reconciler;
  private TestWorkflowEnvironment env;
  private WorkflowClient client;
  private String taskQueue;

  @BeforeEach
  void setUp(TestStack stack, ApiKeyModuleService module, RevocationReconciler reconciler) {
    this.env = stack.env();
    this.client = stack.client();
    this.db = stack.db();
    this.keys = stack.keys();
    this.revocations = stack.revocations();
    this.taskQueue = stack.taskQueue();
    this.reconciler = reconciler;
    this.module = module;
  }

  @Test
  void aRevocationWhoseWorkflowWasTerminatedIsTakenOverByAFreshWorkflow() throws Exception {
    ApiKeyDTO key = secret();
    RevocationHandle handle = revoke(key, 3600);
    Instant instant = handle.revocation().scheduledAt();
    client.newUntypedWorkflowStub(handle.workflowId()).terminate("lost");

    ReconcileReport report = reconciler.reconcile();

    assertThat(report.scheduled()).isEqualTo(1);
    assertThat(report.restarted()).isEqualTo(1);
    assertThat(report.findings())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.revocationId()).isEqualTo(handle.revocation().revocationId());
              assertThat(f.workflow()).isEqualTo("terminated");
              assertThat(f.action()).isEqualTo("restarted");
            });
    assertThat(reconciler.reconcile().running()).as("now looked after").isEqualTo(1);
    RevokeResult result = handle.await(Duration.ofSeconds(60));
    assertThat(result.status()).isEqualTo(RevocationState.REVOKED);
    assertThat(result.revocationId()).isEqualTo(handle.revocation().revocationId());
    assertThat(revokedAt(key)).isEqualTo(instant);
    assertThat(count("select count(*) from apikeys_revocation")).isEqualTo(1);
    assertThat(count("select count(*) from apikeys_event where name = 'api_key.revoked'"))
        .isEqualTo(1);
  }

  @Test
  void aLostRevocationPastItsInstantIsStampedWithThatInstant() throws Exception {
    ApiKeyDTO key = secret();
    RevocationHandle handle = revoke(key, 2);
    Instant instant = handle.revocation().scheduledAt();
    client.newUntypedWorkflowStub(handle.workflowId()).terminate("lost");
    // Due by the database's clock, which time skipping does not move.
    Thread.sleep(Math.max(0, Duration.between(Instant.now(), instant).toMillis() + 200));

    ReconcileReport report = runReconcileWorkflow();

    assertThat(report.stamped()).isEqualTo(1);
    assertThat(report.findings())
        .singleElement()
        .satisfies(f -> assertThat(f.action()).isEqualTo("stamped"));
    assertThat(status(handle)).isEqualTo("revoked");
    assertThat(revokedAt(key)).isEqualTo(instant);
    assertThat(count("select count(*) from apikeys_event where name = 'api_key.revoked'"))
        .isEqualTo(1);
    assertThat(reconciler.reconcile().scheduled()).isZero();
  }

  @Test
  void aRevocationThatNeverGotAWorkflowIsStartedUnderItsOwnWorkflowId() throws Exception {
    ApiKeyDTO key = secret();
    // What a process leaves behind when it dies between committing and starting the workflow.
    ValidRevokeRequest request =
        RevokeRequestParser.parse(
            RevokeRequest.ofId(
                key.id(),
                new RevokeApiKeyDTO("me", 600L),
                SharedContext.newBuilder().setIdempotencyKey("orphan").build()));
    Instant instant =
        Instant.ofEpochMilli(env.currentTimeMillis())
            .plusSeconds(600)
            .truncatedTo(ChronoUnit.MILLIS);
    Revocation orphan =
        revocations.schedule(
            new ScheduleRevocation(
                    RevocationNames.workflowIdFor("orphan"),
                    "never-started",
                    request,
                    instant,
                    null)
                .fingerprinted());
    assertThat(reconciler.list())
        .singleElement()
        .satisfies(f -> assertThat(f.workflow()).isEqualTo("missing"));

    ReconcileReport report = reconciler.reconcile();

    assertThat(report.restarted()).isEqualTo(1);
    // The same request through the Java API joins it.
    RevocationHandle joined = revoke(key, 600, "orphan");
    assertThat(joined.revocation().revocationId()).isEqualTo(orphan.revocationId());
    env.sleep(Duration.ofMinutes(11));
    RevokeResult result = joined.await(Duration.ofSeconds(60));
    assertThat(result.status()).isEqualTo(RevocationState.REVOKED);
    assertThat(revokedAt(key)).isEqualTo(instant);
    assertThat(count("select count(*) from apikeys_revocation")).isEqualTo(1);
  }

  @Test
  void aRevocationWhoseWorkflowRunsIsLeftAlone() {
    revoke(secret(), 3600);
    ReconcileReport report = reconciler.reconcile();
    assertThat(report.scheduled()).isEqualTo(1);
    assertThat(report.running()).isEqualTo(1);
    assertThat(report.findings()).isEmpty();
  }

  // ---- helpers --------------------------------------------------------------------------------

  private ReconcileReport runReconcileWorkflow() {
    return client
        .newWorkflowStub(
            ReconcileRevocationsWorkflow.class,
            WorkflowOptions.newBuilder().setTaskQueue(taskQueue).build())
        .reconcile();
  }

  private ApiKeyDTO secret() {
    return keys.createApiKey(new CreateApiKeyDTO("k", "secret", "u"));
  }

  private RevocationHandle revoke(ApiKeyDTO key, long in) {
    return revoke(key, in, null);
  }

  private RevocationHandle revoke(ApiKeyDTO key, long in, String idempotencyKey) {
    SharedContext ctx =
        idempotencyKey == null
            ? null
            : SharedContext.newBuilder().setIdempotencyKey(idempotencyKey).build();
    return module.startRevoke(RevokeRequest.ofId(key.id(), new RevokeApiKeyDTO("me", in), ctx));
  }

  private Instant revokedAt(ApiKeyDTO key) {
    return db.jdbi()
        .withHandle(
            h ->
                h.createQuery("select revoked_at from api_key where id = :id")
                    .bind("id", key.id())
                    .mapTo(Instant.class)
                    .one())
        .truncatedTo(ChronoUnit.MILLIS);
  }

  private String status(RevocationHandle handle) {
    return db.jdbi()
        .withHandle(
            h ->
                h.createQuery("select status from apikeys_revocation where id = :id")
                    .bind("id", handle.revocation().revocationId())
                    .mapTo(String.class)
                    .one());
  }

  private long count(String sql) {
    return db.jdbi().withHandle(h -> h.createQuery(sql).mapTo(Long.class).one());
  }
}
