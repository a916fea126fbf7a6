package dev.apikeys.revocation;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;

/**
 * What a reconcile run found among the scheduled revocations and what it did: counts of all, and
 * the revocations it acted on (at most {@link #MAX_LISTED}, so the payload stays small when an
 * outage left thousands behind).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ReconcileReport(
    @JsonProperty("scheduled") int scheduled,
    @JsonProperty("running") int running,
    @JsonProperty("stamped") int stamped,
    @JsonProperty("restarted") int restarted,
    @JsonProperty("findings") List<Finding> findings,
    @JsonProperty("truncated") boolean truncated) {

  public static final int MAX_LISTED = 500;

  /** One scheduled revocation, the state of its workflow, and what was done (null: nothing). */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Finding(
      @JsonProperty("revocation_id") String revocationId,
      @JsonProperty("workflow_id") String workflowId,
      @JsonProperty("scheduled_at") Instant scheduledAt,
      @JsonProperty("key_count") long keyCount,
      @JsonProperty("workflow") String workflow,
      @JsonProperty("action") String action) {}
}
