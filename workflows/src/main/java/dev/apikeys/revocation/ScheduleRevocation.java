package dev.apikeys.revocation;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;

/**
 * The schedule activity's input: the validated request, who asks, and the instant computed once
 * from workflow time, so a retried activity can never move it.
 *
 * @param workflowId the asking workflow, which owns the revocation unless its idempotency key was
 *     used by another workflow first
 * @param workflowRunId the run that asks: its original execution run id, which a reset keeps, so a
 *     reset workflow finds its own revocation again
 * @param fingerprint {@link RequestFingerprint} of the request; absent in requests made by older
 *     workflow code, for which the schedule activity computes it ({@link #fingerprinted()})
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ScheduleRevocation(
    @JsonProperty("workflow_id") String workflowId,
    @JsonProperty("workflow_run_id") String workflowRunId,
    @JsonProperty("request") ValidRevokeRequest request,
    @JsonProperty("scheduled_at") Instant scheduledAt,
    @JsonProperty("fingerprint") String fingerprint) {

  /** As {@link LegacyRevokeApiKeysWorkflow} builds it, without a fingerprint. */
  ScheduleRevocation(
      String workflowId, String workflowRunId, ValidRevokeRequest request, Instant scheduledAt) {
    this(workflowId, workflowRunId, request, scheduledAt, null);
  }

  /**
   * This command with the request's fingerprint: as sent, or computed here when the asking workflow
   * (older code) did not send one. The store compares fingerprints; it never makes one.
   */
  public ScheduleRevocation fingerprinted() {
    return fingerprint != null
        ? this
        : new ScheduleRevocation(
            workflowId, workflowRunId, request, scheduledAt, RequestFingerprint.of(request));
  }
}
