package dev.apikeys.model;

import java.util.List;

/**
 * Medusa's {@code IMessageAggregator} for Java callers: collects the events of a call so the caller
 * emits them when it chooses (after its own transaction commits, say). Passed as the shared
 * context's {@code messageAggregator}; {@code revoke} hands it one {@code
 * api_key.revocation_scheduled} message per key it scheduled, in the caller's process. The events a
 * worker writes later ({@code api_key.revoked} at the stamp) go to the outbox only: they happen in
 * another process, often years after this call returned.
 */
@FunctionalInterface
public interface MessageAggregator {
  void save(List<EventMessage> messages);
}
