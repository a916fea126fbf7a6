package dev.apikeys.codec;

import io.temporal.api.enums.v1.EventType;
import io.temporal.api.failure.v1.Failure;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.failure.ApplicationFailure;
import java.util.Optional;

/**
 * Tells a caller that waits on a workflow why nothing happens: a worker met a payload under a key
 * id it lacks, so the workflow task fails and is retried until a worker with the key runs it.
 * Temporal records the first such failure in the workflow's history; the retries after it are not
 * recorded.
 */
public final class WorkflowsAwaitingPayloadKey {
  private WorkflowsAwaitingPayloadKey() {}

  /**
   * The failure that holds {@code workflowId} back, as an {@link ApplicationFailure} of type {@link
   * PayloadKeyUnavailableException}'s class name with the worker's message; empty when its history
   * shows no such failure (or the workflow is not there yet).
   */
  public static Optional<ApplicationFailure> find(WorkflowClient client, String workflowId) {
    Iterable<HistoryEvent> events;
    try {
      events = client.fetchHistory(workflowId).getEvents();
    } catch (RuntimeException notThereYet) {
      return Optional.empty();
    }
    Optional<ApplicationFailure> holding = Optional.empty();
    for (HistoryEvent event : events) {
      if (event.getEventType() == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) {
        // A worker got past it since: whatever failed before holds nothing back now.
        holding = Optional.empty();
      } else if (event.getEventType() == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED) {
        holding = missingKey(event.getWorkflowTaskFailedEventAttributes().getFailure());
      }
    }
    return holding;
  }

  private static Optional<ApplicationFailure> missingKey(Failure failure) {
    Failure cause = failure;
    while (cause.hasCause()) {
      cause = cause.getCause();
    }
    if (!PayloadKeyUnavailableException.class
        .getName()
        .equals(cause.getApplicationFailureInfo().getType())) {
      return Optional.empty();
    }
    // With codec keys, the worker encrypts its messages too; the type is always plain.
    String message =
        cause.hasEncodedAttributes()
            ? "a worker met a payload encrypted under a key id it does not have"
            : cause.getMessage();
    return Optional.of(
        ApplicationFailure.newNonRetryableFailure(
            message, PayloadKeyUnavailableException.class.getName()));
  }
}
