package dev.apikeys.revocation;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Medusa's shared {@code Context}, the fields that travel: camelCase in JSON, exactly as the
 * reference spells them. {@code transactionManager}/{@code manager} are Java-only (a caller's JDBI
 * handle) and never serialized; see {@code ApiKeyModuleService}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SharedContext(
    @JsonProperty("requestId") String requestId,
    @JsonProperty("transactionId") String transactionId,
    @JsonProperty("runId") String runId,
    @JsonProperty("eventGroupId") String eventGroupId,
    @JsonProperty("idempotencyKey") String idempotencyKey,
    @JsonProperty("parentStepIdempotencyKey") String parentStepIdempotencyKey,
    @JsonProperty("preventReleaseEvents") Boolean preventReleaseEvents,
    @JsonProperty("isCancelling") Boolean isCancelling,
    @JsonProperty("cancelingFromParentStep") Boolean cancelingFromParentStep) {

  public static final SharedContext EMPTY =
      new SharedContext(null, null, null, null, null, null, null, null, null);

  @JsonIgnore
  public boolean holdsEvents() {
    return Boolean.TRUE.equals(preventReleaseEvents);
  }

  @JsonIgnore
  public boolean cancelling() {
    return Boolean.TRUE.equals(isCancelling);
  }

  @JsonIgnore
  public boolean fromParentStep() {
    return Boolean.TRUE.equals(cancelingFromParentStep);
  }

  public static Builder newBuilder() {
    return new Builder();
  }

  /** Builds a context field by field; unset fields are left out of the JSON. */
  public static final class Builder {
    private String requestId;
    private String transactionId;
    private String runId;
    private String eventGroupId;
    private String idempotencyKey;
    private String parentStepIdempotencyKey;
    private Boolean preventReleaseEvents;
    private Boolean isCancelling;
    private Boolean cancelingFromParentStep;

    private Builder() {}

    public Builder setRequestId(String requestId) {
      this.requestId = requestId;
      return this;
    }

    public Builder setTransactionId(String transactionId) {
      this.transactionId = transactionId;
      return this;
    }

    public Builder setRunId(String runId) {
      this.runId = runId;
      return this;
    }

    public Builder setEventGroupId(String eventGroupId) {
      this.eventGroupId = eventGroupId;
      return this;
    }

    public Builder setIdempotencyKey(String idempotencyKey) {
      this.idempotencyKey = idempotencyKey;
      return this;
    }

    public Builder setParentStepIdempotencyKey(String parentStepIdempotencyKey) {
      this.parentStepIdempotencyKey = parentStepIdempotencyKey;
      return this;
    }

    public Builder setPreventReleaseEvents(boolean preventReleaseEvents) {
      this.preventReleaseEvents = preventReleaseEvents;
      return this;
    }

    public Builder setIsCancelling(boolean isCancelling) {
      this.isCancelling = isCancelling;
      return this;
    }

    public Builder setCancelingFromParentStep(boolean cancelingFromParentStep) {
      this.cancelingFromParentStep = cancelingFromParentStep;
      return this;
    }

    public SharedContext build() {
      return new SharedContext(
          requestId, transactionId, runId, eventGroupId, idempotencyKey,
          parentStepIdempotencyKey, preventReleaseEvents, isCancelling,
          cancelingFromParentStep);
    }
  }
}
