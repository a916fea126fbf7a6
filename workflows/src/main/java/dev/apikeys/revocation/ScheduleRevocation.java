package dev.apikeys.revocation;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;

/**
 * The schedule activity's input: the validated request, who asks (this workflow), and the instant
 * computed once from workflow time, so a retried activity can never move it.
 */
public record ScheduleRevocation(
    @JsonProperty("workflow_id") String workflowId,
    @JsonProperty("workflow_run_id") String workflowRunId,
    @JsonProperty("request") ValidRevokeRequest request,
    @JsonProperty("scheduled_at") Instant scheduledAt) {}
