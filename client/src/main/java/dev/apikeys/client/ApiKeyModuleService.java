package dev.apikeys.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apikeys.codec.WorkflowsAwaitingPayloadKey;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.ApiKeyType;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.model.EventMessage;
import dev.apikeys.model.FilterableApiKeyProps;
import dev.apikeys.model.FindConfig;
import dev.apikeys.model.ListResult;
import dev.apikeys.model.UpdateApiKeyDTO;
import dev.apikeys.revocation.ContinuedRevocation;
import dev.apikeys.revocation.RequestFingerprint;
import dev.apikeys.revocation.Revocation;
import dev.apikeys.revocation.RevocationNames;
import dev.apikeys.revocation.RevocationState;
import dev.apikeys.revocation.RevocationStatus;
import dev.apikeys.revocation.RevokeApiKeyDTO;
import dev.apikeys.revocation.RevokeApiKeysWorkflow;
import dev.apikeys.revocation.RevokeRequest;
import dev.apikeys.revocation.RevokeRequestParser;
import dev.apikeys.revocation.RevokeResult;
import dev.apikeys.revocation.ScheduleRevocation;
import dev.apikeys.revocation.SharedContext;
import dev.apikeys.revocation.ValidRevokeRequest;
import dev.apikeys.store.ApiKeyStore;
import dev.apikeys.store.RevocationStore;
import dev.apikeys.store.SecretTokens;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.enums.v1.WorkflowIdConflictPolicy;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.UpdateOptions;
import io.temporal.client.WithStartWorkflowOperation;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowServiceException;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.client.WorkflowUpdateStage;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Medusa's API Key Module for Java callers: the same methods, the same shapes, with {@code revoke}
 * running as a durable {@code RevokeApiKeysWorkflow}. {@code revoke} returns as soon as the keys
 * are scheduled (Update-with-Start), not after {@code revoke_in}; {@link #startRevoke} also hands
 * back the workflow to await, query, update or cancel.
 */
public final class ApiKeyModuleService {
  private static final Logger log = LoggerFactory.getLogger(ApiKeyModuleService.class);

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

  /**
   * {@code revoke(id, data, context)}: the key as scheduled, {@code revoked_at} set. With the
   * context's {@code transactionManager} (or {@code manager}), the revocation is scheduled inside
   * that handle's transaction and its workflow starts once it commits; see {@link
   * #scheduleInCallerTransaction}.
   */
  public ApiKeyDTO revoke(String id, RevokeApiKeyDTO data, SharedContext context) {
    RevokeRequest request = RevokeRequest.ofId(id, data, context);
    ValidRevokeRequest valid = RevokeRequestParser.parse(request);
    Handle caller = callerHandle(context);
    if (valid.context().cancelling()) {
      return caller == null ? store.retrieveApiKey(id) : store.retrieveApiKey(caller, id);
    }
    List<ApiKeyDTO> keys = scheduledKeys(schedule(request, valid, context, caller), caller);
    return keys.isEmpty()
        ? (caller == null ? store.retrieveApiKey(id) : store.retrieveApiKey(caller, id))
        : keys.get(0);
  }

  /**
   * {@code revoke(selector, data, context)}: every key the selector matched, as scheduled; with a
   * {@code transactionManager}, inside the caller's transaction as for the single-key overload.
   */
  public List<ApiKeyDTO> revoke(
      FilterableApiKeyProps selector, RevokeApiKeyDTO data, SharedContext context) {
    RevokeRequest request =
        RevokeRequest.ofSelector(selector == null ? null : selector.json(), data, context);
    ValidRevokeRequest valid = RevokeRequestParser.parse(request);
    Handle caller = callerHandle(context);
    if (valid.context().cancelling()) {
      return List.of();
    }
    return scheduledKeys(schedule(request, valid, context, caller), caller);
  }

  /** The {@code reason} a leaked token's revocation records, and its events' data carries. */
  public static final String LEAKED_REASON = "leaked";

  /**
   * The most tokens one call takes. Each costs a scrypt (about 40 ms of one core), so this bounds a
   * call to well under a minute on a small machine; a scanner with more sends them in parts.
   */
  public static final int MAX_LEAKED_TOKENS = 1_000;

  /** How often identifying and revoking is tried when a key changed in between. */
  private static final int LEAKED_ATTEMPTS = 3;

  /** Medusa's refusals that mean a key found a moment ago has since been revoked or deleted. */
  private static final Pattern CHANGED_MEANWHILE =
      Pattern.compile(
          "There are \\d+ secret keys that are already revoked\\.|ApiKey with id \".*\" not found");

  /**
   * Revokes the key a leaked raw token belongs to, when the caller holds the token and not the id.
   * The key is identified here, in this process, exactly as {@link #authenticate} identifies it;
   * the revocation's workflow gets only the id, so the token never reaches Temporal, a log line or
   * an event. The revocation is an ordinary one ({@code revoke_in} defaulting to 0), recorded with
   * the reason {@value #LEAKED_REASON}, which its {@code api_key.revoked} events carry in their
   * data.
   *
   * <p>The answer is never an error for what the token is: an unknown token (or text that is no
   * token at all) is {@code {"found":false}}, an already revoked key {@code
   * {"found":true,"already_revoked":true}}, both changing nothing; a publishable key is found but
   * not revoked, since it is public by design (see {@link LeakedTokenAnswer.Outcome#NOT_REVOKED}).
   * Refused, changing nothing: bad {@code data} or context, as for {@code revoke}.
   */
  public LeakedTokenAnswer revokeLeakedToken(
      String rawToken, RevokeApiKeyDTO data, SharedContext context) {
    LeakedTokensAnswer answer =
        revokeLeakedToken(Collections.singletonList(rawToken), data, context);
    return answer.tokens().get(0).alone(answer.revocation());
  }

  /**
   * {@link #revokeLeakedToken(String, RevokeApiKeyDTO, SharedContext)} for several tokens: one
   * answer per token in their order, and one revocation for every live secret key among them (keys
   * given twice count once). At most {@value #MAX_LEAKED_TOKENS} tokens.
   */
  public LeakedTokensAnswer revokeLeakedToken(
      List<String> rawTokens, RevokeApiKeyDTO data, SharedContext context) {
    if (rawTokens == null || rawTokens.isEmpty()) {
      throw ApiKeyException.invalidData("tokens: give at least one token");
    }
    if (rawTokens.size() > MAX_LEAKED_TOKENS) {
      throw ApiKeyException.invalidData(
          "tokens: at most "
              + MAX_LEAKED_TOKENS
              + " in one call, got "
              + rawTokens.size()
              + "; send them in parts");
    }
    // The data and context are checked before any token is, so a mistyped revoked_by costs no
    // scrypt; the id here only stands in for the keys not found yet.
    RevokeRequestParser.parse(
        RevokeRequest.ofId("apk_leaked", data, context).withReason(LEAKED_REASON));
    Handle caller = callerHandle(context);
    // Text that is no token's shape is not looked up: no key can have it.
    List<String> lookups =
        rawTokens.stream()
            .map(t -> SecretTokens.typeOfWellFormed(t).isPresent() ? t : null)
            .collect(Collectors.toList());
    for (int attempt = 1; ; attempt++) {
      List<Optional<ApiKeyStore.TokenOwner>> owners = store.findByTokens(lookups);
      List<String> live =
          owners.stream()
              .flatMap(Optional::stream)
              .filter(o -> !o.revoked() && o.apiKey().type() == ApiKeyType.SECRET)
              .map(o -> o.apiKey().id())
              .distinct()
              .sorted()
              .toList();
      if (live.isEmpty()) {
        return leakedAnswers(rawTokens, owners, null, Map.of());
      }
      // Sorted ids, so the same tokens in another order are the same request (and fingerprint).
      RevokeRequest request =
          (live.size() == 1
                  ? RevokeRequest.ofId(live.get(0), data, context)
                  : RevokeRequest.ofSelector(idSelector(live), data, context))
              .withReason(LEAKED_REASON);
      ValidRevokeRequest valid = RevokeRequestParser.parse(request);
      if (valid.context().cancelling()) {
        return leakedAnswers(rawTokens, owners, null, Map.of());
      }
      try {
        Revocation scheduled = schedule(request, valid, context, caller);
        Map<String, ApiKeyDTO> revoked = new HashMap<>();
        for (ApiKeyDTO key : scheduledKeys(scheduled, caller)) {
          revoked.put(key.id(), key);
        }
        return leakedAnswers(rawTokens, owners, scheduled, revoked);
      } catch (ApiKeyException e) {
        // A key was revoked or deleted by someone else between finding it and scheduling, and
        // the whole request was refused, changing nothing: find the keys again.
        if (attempt >= LEAKED_ATTEMPTS || !CHANGED_MEANWHILE.matcher(e.getMessage()).matches()) {
          throw e;
        }
      }
    }
  }

  private static JsonNode idSelector(List<String> ids) {
    ObjectNode selector = JsonNodeFactory.instance.objectNode();
    ArrayNode array = selector.putArray("id");
    ids.forEach(array::add);
    return selector;
  }

  private static LeakedTokensAnswer leakedAnswers(
      List<String> rawTokens,
      List<Optional<ApiKeyStore.TokenOwner>> owners,
      Revocation revocation,
      Map<String, ApiKeyDTO> revoked) {
    List<LeakedTokenAnswer> answers = new ArrayList<>();
    for (int i = 0; i < rawTokens.size(); i++) {
      String token = rawTokens.get(i);
      Optional<ApiKeyType> shape = SecretTokens.typeOfWellFormed(token);
      String redacted = shape.isPresent() ? SecretTokens.redact(token) : null;
      LeakedTokenAnswer.Outcome outcome;
      ApiKeyDTO key = null;
      if (shape.isEmpty()) {
        outcome = LeakedTokenAnswer.Outcome.MALFORMED;
      } else if (owners.get(i).isEmpty()) {
        outcome = LeakedTokenAnswer.Outcome.NOT_FOUND;
      } else if (owners.get(i).get().revoked()) {
        outcome = LeakedTokenAnswer.Outcome.ALREADY_REVOKED;
      } else {
        ApiKeyDTO found = owners.get(i).get().apiKey();
        key = revoked.get(found.id());
        outcome =
            key != null ? LeakedTokenAnswer.Outcome.REVOKED : LeakedTokenAnswer.Outcome.NOT_REVOKED;
        if (key == null) {
          key = found;
        }
      }
      answers.add(new LeakedTokenAnswer(i + 1, redacted, outcome, key, null));
    }
    return new LeakedTokensAnswer(answers, revocation);
  }

  /** Schedules through the workflow, or in the caller's transaction, and tells the aggregator. */
  private Revocation schedule(
      RevokeRequest request, ValidRevokeRequest valid, SharedContext context, Handle caller) {
    RevocationStore.isolationLevel(valid.context().isolationLevel());
    Revocation scheduled =
        caller == null
            ? startRevoke(request, valid).revocation()
            : scheduleInCallerTransaction(caller, valid);
    if (context != null && context.messageAggregator() != null) {
      context.messageAggregator().save(scheduledMessages(scheduled, valid.context(), caller));
    }
    return scheduled;
  }

  private List<ApiKeyDTO> scheduledKeys(Revocation scheduled, Handle caller) {
    if (scheduled.revocationId() == null) {
      return List.of();
    }
    return caller == null
        ? revocations.keys(scheduled.revocationId())
        : revocations.keys(caller, scheduled.revocationId());
  }

  /**
   * The schedule step inside the caller's transaction: validation, resolving the keys, recording
   * the revocation and moving {@code revoked_at}, all on the caller's handle, which is neither
   * committed nor rolled back here. Once the caller commits, the handle's after-commit callback
   * starts the revocation's workflow, which finds the revocation scheduled and waits for its
   * instant; a rollback leaves nothing, and no workflow. A process that dies between the commit and
   * the start leaves a scheduled revocation without a workflow, which {@code RevocationReconciler}
   * starts.
   */
  private Revocation scheduleInCallerTransaction(Handle caller, ValidRevokeRequest valid) {
    if (!valid.singleKey()) {
      store.compileNonEmpty(valid.selector());
    }
    String key = valid.context().idempotencyKey();
    String workflowId =
        key != null
            ? RevocationNames.workflowIdFor(key)
            : RevocationNames.WORKFLOW_ID_PREFIX + UUID.randomUUID();
    // The database's clock, as the workflow's would be: clock_timestamp(), because now() is when
    // the caller's transaction began.
    Instant now = caller.createQuery("select clock_timestamp()").mapTo(Instant.class).one();
    String fingerprint = RequestFingerprint.of(valid);
    Revocation scheduled =
        revocations.scheduleIn(
            caller,
            new ScheduleRevocation(
                workflowId,
                "caller-transaction:" + UUID.randomUUID(),
                valid,
                now.plusSeconds(valid.revokeInSeconds()),
                fingerprint),
            valid.context().nestedTransactions());
    if (scheduled.owned() && scheduled.status() == RevocationState.SCHEDULED) {
      caller.afterCommit(() -> startAfterCommit(workflowId, valid, fingerprint, scheduled));
    }
    return scheduled;
  }

  /** Starts (or finds running) the workflow of a revocation a caller's transaction committed. */
  private void startAfterCommit(
      String workflowId, ValidRevokeRequest valid, String fingerprint, Revocation scheduled) {
    try {
      client
          .newUntypedWorkflowStub(
              RevocationNames.WORKFLOW_TYPE,
              WorkflowOptions.newBuilder()
                  .setWorkflowId(workflowId)
                  .setTaskQueue(taskQueue)
                  .setWorkflowIdConflictPolicy(
                      WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING)
                  .build())
          .start(null, new ContinuedRevocation(valid, fingerprint, scheduled, 0));
    } catch (WorkflowExecutionAlreadyStarted running) {
      // Started already (by the reconciler, say): it looks after the revocation.
    } catch (RuntimeException e) {
      // The caller's transaction has committed and cannot be undone; the revocation is in the
      // database, and the reconciler starts its workflow.
      log.warn(
          "revocation {} committed but its workflow {} could not be started ({}); `apikeys"
              + " revocation reconcile` starts it",
          scheduled.revocationId(),
          workflowId,
          e.getClass().getSimpleName());
    }
  }

  /**
   * The context's JDBI handle, from {@code transactionManager} or its alias {@code manager}; null
   * when neither is given. Both given must be the same handle.
   */
  private static Handle callerHandle(SharedContext context) {
    if (context == null) {
      return null;
    }
    Object tm = context.transactionManager();
    Object m = context.manager();
    if (tm != null && m != null && tm != m) {
      throw ApiKeyException.invalidData(
          "context: transactionManager and manager name two different handles; give one");
    }
    Object handle = tm != null ? tm : m;
    if (handle == null) {
      return null;
    }
    if (!(handle instanceof Handle h)) {
      throw ApiKeyException.invalidData(
          "context."
              + (tm != null ? "transactionManager" : "manager")
              + ": expected a JDBI Handle in a transaction, got a "
              + handle.getClass().getSimpleName());
    }
    if (!h.isInTransaction()) {
      throw ApiKeyException.invalidData(
          "context."
              + (tm != null ? "transactionManager" : "manager")
              + ": the handle is not in a transaction; begin one first");
    }
    return h;
  }

  /**
   * One {@code api_key.revocation_scheduled} per key a revocation of this request's own scheduled,
   * for the caller's message aggregator; none for a request that repeats another's idempotency key
   * (nothing was scheduled for it).
   */
  private List<EventMessage> scheduledMessages(
      Revocation scheduled, SharedContext context, Handle caller) {
    if (!scheduled.owned() || scheduled.revocationId() == null) {
      return List.of();
    }
    List<EventMessage> messages = new ArrayList<>();
    for (ApiKeyDTO key : scheduledKeys(scheduled, caller)) {
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("id", key.id());
      data.put("revocation_id", scheduled.revocationId());
      data.put("revoked_at", scheduled.scheduledAt().toString());
      data.put("revoked_by", scheduled.revokedBy());
      messages.add(
          new EventMessage(
              EVENT_REVOCATION_SCHEDULED,
              data,
              context.eventGroupId(),
              context.requestId(),
              context.transactionId(),
              context.runId(),
              context.idempotencyKey()));
    }
    return messages;
  }

  /** The event a message aggregator receives per key when a revocation is scheduled. */
  public static final String EVENT_REVOCATION_SCHEDULED = "api_key.revocation_scheduled";

  /**
   * Starts (or, for a repeated idempotency key, joins) the revocation and returns once its keys are
   * scheduled. Refusals come back as {@link ApiKeyException} with the contract's type, and no key
   * is changed.
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
        CompletableFuture.supplyAsync(
            () -> updateWithStart(workflowId, request, valid.context().idempotencyKey() != null),
            CALLS);
    try {
      Revocation scheduled = awaitScheduled(call, workflowId);
      return new RevocationHandle(client, revocations, workflowId, scheduled);
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "revocation workflow "
              + workflowId
              + " was not scheduled within "
              + scheduleTimeout.toSeconds()
              + " s: is a worker polling task queue "
              + taskQueue
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
   * The call's answer, waited for up to the schedule timeout. A workflow whose workers cannot read
   * its payloads (a key id they were not given) is not refused: its task is retried until a worker
   * with the key runs it. That is said at once, as a {@code WorkflowServiceException} whose cause
   * is an {@code ApplicationFailure} of type {@code PayloadKeyUnavailableException}, instead of
   * after the timeout.
   */
  private Revocation awaitScheduled(CompletableFuture<Revocation> call, String workflowId)
      throws InterruptedException, ExecutionException, TimeoutException {
    long deadline = System.nanoTime() + scheduleTimeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      try {
        return call.get(Math.min(left, KEY_CHECK_INTERVAL.toNanos()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        if (System.nanoTime() - deadline >= 0) {
          throw e;
        }
        Optional<ApplicationFailure> missingKey =
            WorkflowsAwaitingPayloadKey.find(client, workflowId);
        if (missingKey.isPresent()) {
          throw new WorkflowServiceException(
              WorkflowExecution.newBuilder().setWorkflowId(workflowId).build(),
              RevocationNames.WORKFLOW_TYPE,
              missingKey.get());
        }
      }
    }
  }

  /** How often a revoke that has no answer yet looks for workers that cannot read it. */
  private static final Duration KEY_CHECK_INTERVAL = Duration.ofSeconds(1);

  /**
   * Starts the workflow (or joins the running one with this id) and waits for its {@code scheduled}
   * update, which carries the request: a running workflow of this id that was started with another
   * request refuses it with CONFLICT. Retried a few times on a transport-level failure: the call is
   * idempotent (same workflow id, conflict policy use-existing, and the update only reads), and
   * Temporal's Java test server, which {@code apikeys dev} runs, now and then fails an
   * Update-with-Start under load with an internal error.
   */
  private Revocation updateWithStart(String workflowId, RevokeRequest request, boolean keyed) {
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
        Revocation joined = joinExisting(workflowId, request, keyed);
        if (joined != null) {
          return joined;
        }
        mayRunAgain = true;
        continue;
      } catch (WorkflowServiceException e) {
        if (attempt > 1
            && rootCause(e) instanceof StatusRuntimeException status
            && status.getStatus().getCode() == Status.Code.ALREADY_EXISTS) {
          Revocation joined = joinExisting(workflowId, request, keyed);
          if (joined != null) {
            return joined;
          }
          mayRunAgain = true;
          continue;
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
      client
          .newUntypedWorkflowStub(workflowId)
          .getResult(scheduleTimeout.toMillis(), TimeUnit.MILLISECONDS, RevokeResult.class);
    } catch (WorkflowFailedException | TimeoutException closedOrStillClosing) {
      // Refused runs close failed; either way the next attempt finds out where it stands.
    }
  }

  /**
   * The answer of a workflow an earlier attempt already started: its {@code scheduled} update while
   * it runs. Once it has closed, a request with an idempotency key is simply sent again (the
   * database compares it with the first and answers with that revocation, or CONFLICT); one without
   * is the closed run's own, and that run says what became of it: its result, its refusal, or, when
   * it was cancelled (by another caller, while this one's answer was lost), its status. Null means
   * "send it again".
   */
  private Revocation joinExisting(String workflowId, RevokeRequest request, boolean keyed) {
    WorkflowStub stub = client.newUntypedWorkflowStub(workflowId);
    RevokeApiKeysWorkflow typed = client.newWorkflowStub(RevokeApiKeysWorkflow.class, workflowId);
    if (stub.describe().getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
      try {
        return typed.scheduled(request);
      } catch (WorkflowNotFoundException closedMeanwhile) {
        // Answered below, from the closed run.
      } catch (WorkflowUpdateException refused) {
        throw asRefusal(refused);
      }
    }
    if (keyed) {
      return null;
    }
    try {
      RevokeResult r = stub.getResult(RevokeResult.class);
      return new Revocation(
          r.revocationId(),
          r.workflowId(),
          r.status(),
          r.revokedBy(),
          r.scheduledAt(),
          r.keyCount(),
          r.duplicateOf());
    } catch (WorkflowFailedException failed) {
      Optional<ApiKeyException> refusal = ApiKeyException.from(failed);
      if (refusal.isPresent()) {
        throw refusal.get();
      }
      RevocationStatus status = typed.status();
      return new Revocation(
          status.revocationId(),
          workflowId,
          status.state(),
          status.revokedBy(),
          status.scheduledAt(),
          status.keyCount() == null ? 0 : status.keyCount(),
          status.duplicateOf());
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
   * The typed refusal a failure carries, as {@link ApiKeyException}; any other failure is returned
   * unchanged, because it is a fault and not an answer.
   */
  static RuntimeException asRefusal(RuntimeException e) {
    return ApiKeyException.from(e).<RuntimeException>map(refusal -> refusal).orElse(e);
  }
}
