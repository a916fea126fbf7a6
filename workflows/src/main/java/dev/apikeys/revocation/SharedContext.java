package dev.apikeys.revocation;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.apikeys.model.MessageAggregator;

/**
 * Medusa's shared {@code Context}, all fourteen fields. The ones that travel are camelCase in JSON,
 * exactly as the reference spells them; three are Java-only and never serialized:
 *
 * <ul>
 *   <li>{@code transactionManager} / {@code manager}: the caller's JDBI {@code Handle}, in a
 *       transaction, in which {@code ApiKeyModuleService.revoke} schedules the revocation (typed
 *       {@code Object} here, as Medusa's {@code TManager}, because workflow code cannot see JDBI);
 *   <li>{@code messageAggregator}: receives the events the schedule step knows of, in the caller's
 *       process.
 * </ul>
 *
 * What each field does is listed in docs/semantics.md ("The shared context").
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
    @JsonProperty("cancelingFromParentStep") Boolean cancelingFromParentStep,
    @JsonProperty("isolationLevel") String isolationLevel,
    @JsonProperty("enableNestedTransactions") Boolean enableNestedTransactions,
    @JsonIgnore Object transactionManager,
    @JsonIgnore Object manager,
    @JsonIgnore MessageAggregator messageAggregator) {

  public static final SharedContext EMPTY =
      new SharedContext(null, null, null, null, null, null, null, null, null);

  /** The fields that travel as JSON, before isolation and nesting were honoured. */
  public SharedContext(
      String requestId,
      String transactionId,
      String runId,
      String eventGroupId,
      String idempotencyKey,
      String parentStepIdempotencyKey,
      Boolean preventReleaseEvents,
      Boolean isCancelling,
      Boolean cancelingFromParentStep) {
    this(
        requestId,
        transactionId,
        runId,
        eventGroupId,
        idempotencyKey,
        parentStepIdempotencyKey,
        preventReleaseEvents,
        isCancelling,
        cancelingFromParentStep,
        null,
        null,
        null,
        null,
        null);
  }

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

  @JsonIgnore
  public boolean nestedTransactions() {
    return Boolean.TRUE.equals(enableNestedTransactions);
  }

  /** The same context without the Java-only fields: what may be sent to a workflow. */
  public SharedContext travelling() {
    return new SharedContext(
        requestId,
        transactionId,
        runId,
        eventGroupId,
        idempotencyKey,
        parentStepIdempotencyKey,
        preventReleaseEvents,
        isCancelling,
        cancelingFromParentStep,
        isolationLevel,
        enableNestedTransactions,
        null,
        null,
        null);
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
    private String isolationLevel;
    private Boolean enableNestedTransactions;
    private Object transactionManager;
    private Object manager;
    private MessageAggregator messageAggregator;

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

    /**
     * {@code READ UNCOMMITTED}, {@code READ COMMITTED}, {@code REPEATABLE READ} or {@code
     * SERIALIZABLE}.
     */
    public Builder setIsolationLevel(String isolationLevel) {
      this.isolationLevel = isolationLevel;
      return this;
    }

    public Builder setEnableNestedTransactions(boolean enableNestedTransactions) {
      this.enableNestedTransactions = enableNestedTransactions;
      return this;
    }

    /** A JDBI {@code Handle} in a transaction: the revocation is scheduled inside it. */
    public Builder setTransactionManager(Object transactionManager) {
      this.transactionManager = transactionManager;
      return this;
    }

    /** The same as {@link #setTransactionManager}, under Medusa's other name for it. */
    public Builder setManager(Object manager) {
      this.manager = manager;
      return this;
    }

    public Builder setMessageAggregator(MessageAggregator messageAggregator) {
      this.messageAggregator = messageAggregator;
      return this;
    }

    public SharedContext build() {
      return new SharedContext(
          requestId,
          transactionId,
          runId,
          eventGroupId,
          idempotencyKey,
          parentStepIdempotencyKey,
          preventReleaseEvents,
          isCancelling,
          cancelingFromParentStep,
          isolationLevel,
          enableNestedTransactions,
          transactionManager,
          manager,
          messageAggregator);
    }
  }
}
