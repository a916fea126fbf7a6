package dev.apikeys.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.apikeys.client.RevocationHandle;
import dev.apikeys.metrics.MicrometerApiKeyMetrics;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.revocation.ReconcileReport;
import dev.apikeys.revocation.ReconcileRevocationsWorkflow;
import dev.apikeys.revocation.RevocationNames;
import dev.apikeys.revocation.RevocationState;
import dev.apikeys.revocation.RevokeApiKeyDTO;
import dev.apikeys.revocation.RevokeRequest;
import dev.apikeys.revocation.RevokeResult;
import dev.apikeys.revocation.SharedContext;
import dev.apikeys.store.ApiKeyStore;
import dev.apikeys.worker.MonitoringEndpoints.Scrape;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code /metrics} of an {@code apikeys worker} process, scraped over HTTP as Prometheus does,
 * around real revocations: a Java client, the worker in a JVM of its own, Temporal's test server on
 * a port, PostgreSQL. Every counter a revocation touches moves by exactly one (and the keys by the
 * revocation's key count); what it does not touch does not move.
 */
class MetricsEndpointTest {
  private static final String SCHEDULED = "apikeys_revocations_scheduled_total";
  private static final String STAMPED = "apikeys_revocations_stamped_total";
  private static final String CANCELLED = "apikeys_revocations_cancelled_total";
  private static final String REFUSED = "apikeys_revocations_refused_total";
  private static final String RECONCILED = "apikeys_revocations_reconciled_total";
  private static final String KEYS_REVOKED = "apikeys_keys_revoked_total";
  private static final String LATENESS = "apikeys_revocation_stamp_lateness_seconds";
  private static final String WORKFLOWS_COMPLETED = "temporal_workflow_completed_total";

  private static RevocationStack stack;
  private static WorkerProcess worker;
  private static MonitoringEndpoints endpoints;

  /** The first scrape, before any test's revocation. */
  private static Scrape initial;

  @BeforeAll
  static void start() throws Exception {
    stack = RevocationStack.start();
    Path logs = Files.createTempDirectory("apikeys-metrics");
    worker = WorkerProcess.start(stack, logs, "worker");
    endpoints = worker.monitoring();
    initial = endpoints.scrape();
  }

  @AfterAll
  static void stop() throws Exception {
    if (worker != null) {
      worker.close();
    }
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  @Timeout(120)
  void aRevocationMovesItsCountersByExactlyOne() throws Exception {
    ApiKeyDTO key = stack.store().createApiKey(new CreateApiKeyDTO("metrics", "secret", "ops"));
    Scrape before = endpoints.scrape();
    double completedBefore =
        before.value(WORKFLOWS_COMPLETED, "workflow_type=\"RevokeApiKeysWorkflow\"");

    RevokeResult result =
        stack
            .service()
            .startRevoke(
                RevokeRequest.ofId(key.id(), new RevokeApiKeyDTO("ops", 1L), SharedContext.EMPTY))
            .await(Duration.ofSeconds(60));
    assertThat(result.status()).isEqualTo(RevocationState.REVOKED);

    // The SDK hands its counts to the registry on a beat of its own: wait for the workflow's.
    Scrape after =
        endpoints.scrapeUntil(
            s ->
                s.value(WORKFLOWS_COMPLETED, "workflow_type=\"RevokeApiKeysWorkflow\"")
                    > completedBefore,
            "the revocation workflow completed");
    assertThat(after.value(WORKFLOWS_COMPLETED, "workflow_type=\"RevokeApiKeysWorkflow\""))
        .isEqualTo(completedBefore + 1);
    assertThat(delta(before, after, SCHEDULED)).isEqualTo(1);
    assertThat(delta(before, after, STAMPED)).isEqualTo(1);
    assertThat(delta(before, after, KEYS_REVOKED)).isEqualTo(1);
    assertThat(delta(before, after, LATENESS + "_count")).isEqualTo(1);
    assertThat(delta(before, after, LATENESS + "_bucket", "le=\"+Inf\"")).isEqualTo(1);
    assertThat(delta(before, after, LATENESS + "_sum")).isGreaterThanOrEqualTo(0);
    assertThat(delta(before, after, CANCELLED)).isZero();
    assertThat(delta(before, after, REFUSED)).isZero();
    assertThat(delta(before, after, RECONCILED)).isZero();

    // The SDK's worker metrics are there, by activity type (a single key's stamp runs as a local
    // activity, a selector's as an activity).
    String stamp = "activity_type=\"" + RevocationNames.ACTIVITY_STAMP + "\"";
    assertThat(
            after.value("temporal_local_activity_execution_latency_seconds_count", stamp)
                + after.value("temporal_activity_execution_latency_seconds_count", stamp))
        .isGreaterThanOrEqualTo(1);
    assertThat(after.text).doesNotContain(key.token()).doesNotContainPattern("sk_[0-9a-f]{8}");
  }

  @Test
  @Timeout(120)
  void aCancelBeforeTheInstantCountsACancelAndNoStamp() throws Exception {
    ApiKeyDTO key = stack.store().createApiKey(new CreateApiKeyDTO("metrics", "secret", "ops"));
    Scrape before = endpoints.scrape();

    RevocationHandle handle =
        stack
            .service()
            .startRevoke(
                RevokeRequest.ofId(
                    key.id(), new RevokeApiKeyDTO("ops", 3_600L), SharedContext.EMPTY));
    handle.cancelAndWait(Duration.ofSeconds(60), "ops");
    assertThat(stack.store().authenticate(key.token())).isPresent();

    Scrape after = endpoints.scrape();
    assertThat(delta(before, after, SCHEDULED)).isEqualTo(1);
    assertThat(delta(before, after, CANCELLED)).isEqualTo(1);
    assertThat(delta(before, after, STAMPED)).isZero();
    assertThat(delta(before, after, KEYS_REVOKED)).isZero();
    assertThat(delta(before, after, LATENESS + "_count")).isZero();
  }

  @Test
  @Timeout(120)
  void refusalsAreCountedByTypeAndScheduleNothing() throws Exception {
    Scrape before = endpoints.scrape();

    // Refused by the schedule activity: the id names no key.
    String unknown = "apk_01JZ0000000000000000000000";
    assertThatThrownBy(
            () ->
                stack
                    .service()
                    .startRevoke(
                        RevokeRequest.ofId(
                            unknown, new RevokeApiKeyDTO("ops", 0L), SharedContext.EMPTY)))
        .isInstanceOf(ApiKeyException.class)
        .hasMessageContaining("not found");

    // Refused by the workflow's own validation, as a client that does not validate first (the
    // Temporal CLI, another SDK) would have it: no revoked_by.
    WorkflowClient client = stack.client.client();
    WorkflowStub stub =
        client.newUntypedWorkflowStub(
            RevocationNames.WORKFLOW_TYPE,
            WorkflowOptions.newBuilder()
                .setTaskQueue(stack.temporal.taskQueue())
                .setWorkflowId("metrics-invalid-" + UUID.randomUUID())
                .build());
    stub.start(
        RevokeRequest.ofId(unknown, new RevokeApiKeyDTO(null, 0L), SharedContext.EMPTY), null);
    assertThatThrownBy(() -> stub.getResult(60, TimeUnit.SECONDS, RevokeResult.class))
        .isInstanceOf(WorkflowFailedException.class);

    Scrape after = endpoints.scrapeUntil(s -> delta(before, s, REFUSED) >= 2, "both refusals");
    assertThat(delta(before, after, REFUSED, "refusal_type=\"NOT_FOUND\"")).isEqualTo(1);
    assertThat(delta(before, after, REFUSED, "refusal_type=\"INVALID_DATA\"")).isEqualTo(1);
    assertThat(delta(before, after, REFUSED)).isEqualTo(2);
    assertThat(delta(before, after, SCHEDULED)).as("a refused schedule rolls back").isZero();
  }

  @Test
  @Timeout(180)
  void theReconcilerCountsTheRevocationsItFinishes() throws Exception {
    ApiKeyStore store = stack.store();
    ApiKeyDTO due = store.createApiKey(new CreateApiKeyDTO("metrics-due", "secret", "ops"));
    ApiKeyDTO later = store.createApiKey(new CreateApiKeyDTO("metrics-later", "secret", "ops"));
    Scrape before = endpoints.scrape();

    // Two revocations whose workflows are terminated while they wait: one due by the time the
    // reconciler runs, one an hour ahead.
    RevocationHandle dueRevocation =
        stack
            .service()
            .startRevoke(
                RevokeRequest.ofId(due.id(), new RevokeApiKeyDTO("ops", 2L), SharedContext.EMPTY));
    RevocationHandle laterRevocation =
        stack
            .service()
            .startRevoke(
                RevokeRequest.ofId(
                    later.id(), new RevokeApiKeyDTO("ops", 3_600L), SharedContext.EMPTY));
    WorkflowClient client = stack.client.client();
    client.newUntypedWorkflowStub(dueRevocation.workflowId()).terminate("metrics test");
    client.newUntypedWorkflowStub(laterRevocation.workflowId()).terminate("metrics test");
    awaitDue(dueRevocation.revocation().revocationId());

    ReconcileReport report =
        client
            .newWorkflowStub(
                ReconcileRevocationsWorkflow.class,
                WorkflowOptions.newBuilder()
                    .setTaskQueue(stack.temporal.taskQueue())
                    .setWorkflowId("metrics-reconcile-" + UUID.randomUUID())
                    .build())
            .reconcile();
    assertThat(report.stamped()).isEqualTo(1);
    assertThat(report.restarted()).isEqualTo(1);

    Scrape after = endpoints.scrape();
    assertThat(delta(before, after, RECONCILED, "action=\"stamped\"")).isEqualTo(1);
    assertThat(delta(before, after, RECONCILED, "action=\"restarted\"")).isEqualTo(1);
    assertThat(delta(before, after, SCHEDULED)).isEqualTo(2);
    // The reconciler's stamp is a stamp; the restarted revocation waits for its hour.
    assertThat(delta(before, after, STAMPED)).isEqualTo(1);
    assertThat(delta(before, after, KEYS_REVOKED)).isEqualTo(1);
    assertThat(store.authenticate(due.token())).isEmpty();
    assertThat(store.authenticate(later.token())).isPresent();
  }

  @Test
  @Timeout(60)
  void authenticateCallsAreCountedByResultWhereverTheStoreIsGivenTheMetrics() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    ApiKeyStore store =
        new ApiKeyStore(
            stack.db.jdbi(),
            RevocationStack.SELECTOR_TIMEOUT,
            new MicrometerApiKeyMetrics(registry));
    ApiKeyDTO key = store.createApiKey(new CreateApiKeyDTO("metrics-auth", "secret", "ops"));

    assertThat(store.authenticate(key.token())).isPresent();
    assertThat(store.authenticate(key.token())).isPresent();
    assertThat(store.authenticate("sk_" + "0".repeat(64))).isEmpty();
    assertThat(store.authenticate("not a token")).isEmpty();

    Scrape scrape = Scrape.parse(registry.scrape());
    assertThat(scrape.value("apikeys_authenticate_total", "result=\"authenticated\"")).isEqualTo(2);
    assertThat(scrape.value("apikeys_authenticate_total", "result=\"refused\"")).isEqualTo(2);
    assertThat(scrape.text).doesNotContain(key.token()).doesNotContainPattern("sk_[0-9a-f]{8}");
  }

  /** The revocation meters are listed from the start, and the worker's warm-up counts nothing. */
  @Test
  void aFreshWorkerListsTheRevocationMetersAtZero() {
    for (String counter : new String[] {SCHEDULED, STAMPED, CANCELLED, KEYS_REVOKED}) {
      assertThat(initial.has(counter)).as(counter).isTrue();
      assertThat(initial.value(counter)).as(counter).isZero();
    }
    assertThat(initial.value(RECONCILED, "action=\"stamped\"")).isZero();
    assertThat(initial.value(LATENESS + "_count")).isZero();
  }

  @Test
  @Timeout(60)
  void theEndpointsAnswerOnlyWhatTheyServe() {
    HttpResponse<String> metrics = endpoints.get("/metrics");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("Content-Type"))
        .hasValue("text/plain; version=0.0.4; charset=utf-8");
    assertThat(metrics.body()).contains("# TYPE " + SCHEDULED + " counter");
    HttpResponse<String> health = endpoints.awaitHealth(200);
    assertThat(health.body()).isEqualTo("ok\n");
    HttpResponse<String> other = endpoints.get("/");
    assertThat(other.statusCode()).isEqualTo(404);
    assertThat(other.body()).isEqualTo("not found: this server has /metrics and /healthz\n");
    HttpResponse<String> post = endpoints.post("/metrics");
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
  }

  /** Waits until the revocation's instant has passed by the database's clock. */
  private static void awaitDue(String revocationId) throws InterruptedException {
    while (!stack
        .db
        .jdbi()
        .withHandle(
            h ->
                h.createQuery("select scheduled_at <= now() from apikeys_revocation where id = :id")
                    .bind("id", revocationId)
                    .mapTo(Boolean.class)
                    .one())) {
      Thread.sleep(100);
    }
  }

  private static double delta(Scrape before, Scrape after, String name, String... labels) {
    return after.value(name, labels) - before.value(name, labels);
  }
}
