package dev.apikeys.module;

import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.ApiKeyErrorType;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.model.FilterableApiKeyProps;
import dev.apikeys.model.FindConfig;
import dev.apikeys.model.ListResult;
import dev.apikeys.model.UpdateApiKeyDTO;
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
import io.temporal.client.WorkflowUpdateException;
import io.temporal.client.WorkflowUpdateStage;
import io.temporal.failure.ApplicationFailure;
import java.util.List;
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

  public ApiKeyModuleService(
      WorkflowClient client, ApiKeyStore store, RevocationStore revocations, String taskQueue) {
    this.client = client;
    this.store = store;
    this.revocations = revocations;
    this.taskQueue = taskQueue;
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
    if (valid.context().cancelling()) {
      return store.retrieveApiKey(id);
    }
    RevokeResult scheduled = startRevoke(request).scheduled();
    return scheduled.apiKeys().isEmpty() ? store.retrieveApiKey(id) : scheduled.apiKeys().get(0);
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
    RevokeResult scheduled = startRevoke(request).scheduled();
    return scheduled.truncated()
        ? revocations.keys(scheduled.revocationId())
        : scheduled.apiKeys();
  }

  /**
   * Starts (or, for a repeated idempotency key, joins) the revocation and returns once its keys
   * are scheduled. Refusals come back as {@link ApiKeyException} with the contract's type, and no
   * key is changed.
   */
  public RevocationHandle startRevoke(RevokeRequest request) {
    ValidRevokeRequest valid = RevokeRequestParser.parse(request);
    if (!valid.singleKey()) {
      // A selector that would be refused (a pasted secret token among them) is refused here,
      // before a workflow starts and its history keeps the selector.
      store.compileNonEmpty(valid.selector());
    }
    String workflowId =
        valid.context().idempotencyKey() != null
            ? RevocationNames.workflowIdFor(valid.context().idempotencyKey())
            : RevocationNames.WORKFLOW_ID_PREFIX + UUID.randomUUID();
    RevokeApiKeysWorkflow workflow =
        client.newWorkflowStub(
            RevokeApiKeysWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(workflowId)
                .setTaskQueue(taskQueue)
                // A running workflow with this id is the same request: join it. A closed one may
                // be run again; the database then answers with the original revocation.
                .setWorkflowIdConflictPolicy(
                    WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING)
                .setWorkflowIdReusePolicy(
                    WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE)
                .build());
    WithStartWorkflowOperation<RevokeResult> start =
        new WithStartWorkflowOperation<>(workflow::revoke, request);
    try {
      RevokeResult scheduled =
          WorkflowClient.startUpdateWithStart(
                  workflow::scheduled,
                  UpdateOptions.<RevokeResult>newBuilder()
                      .setWaitForStage(WorkflowUpdateStage.COMPLETED)
                      .build(),
                  start)
              .getResult();
      return new RevocationHandle(client, workflowId, scheduled);
    } catch (WorkflowUpdateException e) {
      throw asRefusal(e);
    }
  }

  /** A handle on a revocation started earlier, by its workflow id. */
  public RevocationHandle revocation(String workflowId) {
    return new RevocationHandle(client, workflowId, null);
  }

  /**
   * The typed refusal a failure carries, as {@link ApiKeyException}; any other failure is
   * rethrown unchanged, because it is a fault and not an answer.
   */
  static RuntimeException asRefusal(RuntimeException e) {
    Throwable t = e;
    while (t != null) {
      if (t instanceof ApplicationFailure app && isRefusalType(app.getType())) {
        return new ApiKeyException(ApiKeyErrorType.valueOf(app.getType()), app.getOriginalMessage());
      }
      t = t.getCause();
    }
    return e;
  }

  private static boolean isRefusalType(String type) {
    for (ApiKeyErrorType t : ApiKeyErrorType.values()) {
      if (t.name().equals(type)) {
        return true;
      }
    }
    return false;
  }

}
