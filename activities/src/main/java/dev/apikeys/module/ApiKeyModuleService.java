package dev.apikeys.module;

import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.model.FilterableApiKeyProps;
import dev.apikeys.model.FindConfig;
import dev.apikeys.model.ListResult;
import dev.apikeys.model.UpdateApiKeyDTO;
import dev.apikeys.revocation.Revocation;
import dev.apikeys.revocation.RevocationNames;
import dev.apikeys.revocation.RevokeApiKeyDTO;
import dev.apikeys.revocation.RevokeApiKeysWorkflow;
import dev.apikeys.revocation.RevokeRequest;
import dev.apikeys.revocation.RevokeRequestParser;
import dev.apikeys.revocation.RevokeResult;
import dev.apikeys.revocation.SharedContext;
import dev.apikeys.revocation.ValidRevokeRequest;
import dev.apikeys.store.ApiKeyStore;
import dev.apikeys.store.RevocationStore;
import io.temporal.api.enums.v1.WorkflowIdConflictPolicy;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.UpdateOptions;
import io.temporal.client.WithStartWorkflowOperation;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowServiceException;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.client.WorkflowUpdateStage;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.Optional;
import java.util.UUID;

/**
 * Medusa's API Key Module for Java callers: the same methods, the same shapes, with {@code revoke}
 * running as a durable {@code RevokeApiKeysWorkflow}. {@code revoke} returns as soon as the keys
 * are scheduled (Update-with-Start), not after {@code revoke_in}; {@link #startRevoke} also hands
 * back the workflow to await, query, update or cancel.
 */
public final class ApiKeyModuleService {
  private final WorkflowClient client;
  private final ApiKeyStore store;
  private final RevocationStore revocations;
  private final String taskQueue;
  private final Duration scheduleTimeout;

  /** Long enough for a 100,000-key schedule transaction; short enough to notice no worker. */
  public static final Duration DEFAULT_SCHEDULE_TIMEOUT = Duration.ofMinutes(2);

  /** Runs the blocking Update-with-Start calls, so that waiting for them can time out. */
  private static final ExecutorService CALLS =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "apikeys-revoke-call");
            t.setDaemon(true);
            return t;
          });

  public ApiKeyModuleService(
      WorkflowClient client, ApiKeyStore store, RevocationStore revocations, String taskQueue) {
    this(client, store, revocations, taskQueue, DEFAULT_SCHEDULE_TIMEOUT);
  }

  /**
   * @param scheduleTimeout how long {@code revoke} waits for the keys to be scheduled before it
   *     gives up waiting (the workflow, once started, still runs when a worker polls)
   */
  public ApiKeyModuleService(
      WorkflowClient client,
      ApiKeyStore store,
      RevocationStore revocations,
      String taskQueue,
      Duration scheduleTimeout) {
    this.client = client;
    this.store = store;
    this.revocations = revocations;
    this.taskQueue = taskQueue;
    this.scheduleTimeout = scheduleTimeout;
  }

  public List<ApiKeyDTO> createApiKeys(List<CreateApiKeyDTO> data) {
    return store.createApiKeys(data);
  }

  public ApiKeyDTO createApiKeys(CreateApiKeyDTO data) {
    return store.createApiKey(data);
  }

  public ApiKeyDTO retrieveApiKey(String id) {
    return store.retrieveApiKey(id);
  }

  public List<ApiKeyDTO> listApiKeys(FilterableApiKeyProps selector, FindConfig config) {
    return store.listApiKeys(selector == null ? null : selector.json(), config);
  }

  public ListResult listAndCountApiKeys(FilterableApiKeyProps selector, FindConfig config) {
    return store.listAndCountApiKeys(selector == null ? null : selector.json(), config);
  }

  public ApiKeyDTO updateApiKeys(String id, UpdateApiKeyDTO data) {
    return store.updateApiKey(id, data);
  }

  public List<ApiKeyDTO> updateApiKeys(FilterableApiKeyProps selector, UpdateApiKeyDTO data) {
    return store.updateApiKeys(selector == null ? null : selector.json(), data);
  }

  public void deleteApiKeys(List<String> ids) {
    store.deleteApiKeys(ids);
  }

  /** The key, or empty where Medusa answers {@code false}. */
  public Optional<ApiKeyDTO> authenticate(String token) {
    return store.authenticate(token);
  }

  /** {@code revoke(id, data, context)}: the key as scheduled, {@code revoked_at} set. */
  public ApiKeyDTO revoke(String id, RevokeApiKeyDTO data, SharedContext context) {
    RevokeRequest request = RevokeRequest.ofId(id, data, context);
    ValidRevokeRequest valid = RevokeRequestParser.parse(request);
    if (!valid.context().cancelling()) {
      startRevoke(request, valid);
    }
    return store.retrieveApiKey(id);
  }

  /** {@code revoke(selector, data, context)}: every key the selector matched, as scheduled. */
  public List<ApiKeyDTO> revoke(
      FilterableApiKeyProps selector, RevokeApiKeyDTO data, SharedContext context) {
    RevokeRequest request =
        RevokeRequest.ofSelector(selector == null ? null : selector.json(), data, context);
    ValidRevokeRequest valid = RevokeRequestParser.parse(request);
    if (valid.context().cancelling()) {
      return List.of();
    }
    Revocation scheduled = startRevoke(request, valid).revocation();
    return scheduled.revocationId() == null ? List.of() : revocations.keys(scheduled.revocationId());
  }

  /**
   * Starts (or, for a repeated idempotency key, joins) the revocation and returns once its keys
   * are scheduled. Refusals come back as {@link ApiKeyException} with the contract's type, and no
   * key is changed.
   */
  public RevocationHandle startRevoke(RevokeRequest request) {
    return startRevoke(request, RevokeRequestParser.parse(request));
  }

  private RevocationHandle startRevoke(RevokeRequest request, ValidRevokeRequest valid) {
    if (!valid.singleKey()) {
      // A selector that would be refused (a pasted secret token among them) is refused here,
      // before a workflow starts and its history keeps the selector.
      store.compileNonEmpty(valid.selector());
    }
    String workflowId =
        valid.context().idempotencyKey() != null
            ? RevocationNames.workflowIdFor(valid.context().idempotencyKey())
            : RevocationNames.WORKFLOW_ID_PREFIX + UUID.randomUUID();
    CompletableFuture<Revocation> call =
        CompletableFuture.supplyAsync(() -> updateWithStart(workflowId, request), CALLS);
    try {
      Revocation scheduled = call.get(scheduleTimeout.toMillis(), TimeUnit.MILLISECONDS);
      return new RevocationHandle(client, revocations, workflowId, scheduled);
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "revocation workflow " + workflowId + " was not scheduled within "
              + scheduleTimeout.toSeconds() + " s: is a worker polling task queue " + taskQueue
              + "? It will be scheduled when one does.");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof WorkflowUpdateException update) {
        throw asRefusal(update);
      }
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while scheduling " + workflowId, e);
    }
  }

  /**
   * Starts the workflow (or joins the running one with this id) and waits for its {@code
   * scheduled} update, which carries the request: a running workflow of this id that was started
   * with another request refuses it with CONFLICT. Retried a few times on a transport-level
   * failure: the call is idempotent (same workflow id, conflict policy use-existing, and the
   * update only reads), and Temporal's
   * Java test server, which {@code apikeys dev} runs, now and then fails an Update-with-Start
   * under load with an internal error.
   */
  private Revocation updateWithStart(String workflowId, RevokeRequest request) {
    boolean mayRunAgain = true;
    for (int attempt = 1; ; attempt++) {
      RevokeApiKeysWorkflow workflow =
          client.newWorkflowStub(
              RevokeApiKeysWorkflow.class,
              WorkflowOptions.newBuilder()
                  .setWorkflowId(workflowId)
                  .setTaskQueue(taskQueue)
                  // A running workflow with this id is the same request: join it. A closed one may
                  // be run again; the database then answers with the original revocation. A
                  // retry must not run it again, though: without an idempotency key that would
                  // be a second revocation, so then the closed run's result is the answer.
                  .setWorkflowIdConflictPolicy(
                      WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING)
                  .setWorkflowIdReusePolicy(
                      mayRunAgain
                          ? WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE
                          : WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
                  .build());
      WithStartWorkflowOperation<RevokeResult> start =
          new WithStartWorkflowOperation<>(workflow::revoke, request, null);
      try {
        return WorkflowClient.startUpdateWithStart(
                workflow::scheduled,
                request,
                UpdateOptions.<Revocation>newBuilder()
                    .setWaitForStage(WorkflowUpdateStage.COMPLETED)
                    .build(),
                start)
            .getResult();
      } catch (WorkflowUpdateException e) {
        if (!joinedAClosingRefusal(e) || attempt >= TRANSPORT_ATTEMPTS) {
          throw e;
        }
        // The run under this id refused another request and is closing: once it has closed, a
        // new run answers this request.
        awaitClosed(workflowId);
        mayRunAgain = true;
        continue;
      } catch (WorkflowExecutionAlreadyStarted startedMeanwhile) {
        return joinExisting(workflowId, request);
      } catch (WorkflowServiceException e) {
        if (attempt > 1
            && rootCause(e) instanceof StatusRuntimeException status
            && status.getStatus().getCode() == Status.Code.ALREADY_EXISTS) {
          return joinExisting(workflowId, request);
        }
        if (attempt >= TRANSPORT_ATTEMPTS || !(rootCause(e) instanceof StatusRuntimeException)) {
          throw e;
        }
        mayRunAgain = false;
        try {
          Thread.sleep(100L * attempt);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  private static final int TRANSPORT_ATTEMPTS = 5;

  private static boolean joinedAClosingRefusal(WorkflowUpdateException e) {
    return e.getCause() instanceof ApplicationFailure app
        && RevocationNames.FAILURE_RETRY_AFTER_CLOSE.equals(app.getType());
  }

  private void awaitClosed(String workflowId) {
    try {
      client.newUntypedWorkflowStub(workflowId)
          .getResult(scheduleTimeout.toMillis(), TimeUnit.MILLISECONDS, RevokeResult.class);
    } catch (WorkflowFailedException | TimeoutException closedOrStillClosing) {
      // Refused runs close failed; either way the next attempt finds out where it stands.
    }
  }

  /**
   * The answer of a workflow an earlier attempt already started: its {@code scheduled} update
   * while it runs, its result once it has closed.
   */
  private Revocation joinExisting(String workflowId, RevokeRequest request) {
    try {
      return client.newWorkflowStub(RevokeApiKeysWorkflow.class, workflowId).scheduled(request);
    } catch (WorkflowNotFoundException closed) {
      try {
        RevokeResult r = client.newUntypedWorkflowStub(workflowId).getResult(RevokeResult.class);
        return new Revocation(
            r.revocationId(), r.workflowId(), r.status(), r.revokedBy(), r.scheduledAt(),
            r.keyCount(), r.duplicateOf());
      } catch (WorkflowFailedException refused) {
        throw asRefusal(refused);
      }
    } catch (WorkflowUpdateException refused) {
      throw asRefusal(refused);
    }
  }

  private static Throwable rootCause(Throwable t) {
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t;
  }

  /** A handle on a revocation started earlier, by its workflow id. */
  public RevocationHandle revocation(String workflowId) {
    return new RevocationHandle(client, revocations, workflowId, null);
  }

  /**
   * The typed refusal a failure carries, as {@link ApiKeyException}; any other failure is
   * returned unchanged, because it is a fault and not an answer.
   */
  static RuntimeException asRefusal(RuntimeException e) {
    return ApiKeyException.from(e).<RuntimeException>map(refusal -> refusal).orElse(e);
  }
}
