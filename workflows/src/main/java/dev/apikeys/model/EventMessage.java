package dev.apikeys.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * One event handed to a {@link MessageAggregator}: its name, its data, and the shared context's
 * grouping and tracing fields, as Medusa's messages carry them in their metadata.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EventMessage(
    @JsonProperty("name") String name,
    @JsonProperty("data") Map<String, Object> data,
    @JsonProperty("event_group_id") String eventGroupId,
    @JsonProperty("request_id") String requestId,
    @JsonProperty("transaction_id") String transactionId,
    @JsonProperty("run_id") String runId,
    @JsonProperty("idempotency_key") String idempotencyKey) {}
