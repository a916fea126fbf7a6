package dev.apikeys.store;

import dev.apikeys.metrics.ApiKeyMetrics;
import java.time.Duration;
import org.jdbi.v3.core.Jdbi;

/**
 * The API key database as one process uses it: its {@link Jdbi}, the stores and the event outbox,
 * built once and passed by constructor to whatever needs them (the worker's activities, the module
 * service, the reconciler, the CLI's commands). The stores share one {@link SelectorCompiler} and
 * one selector timeout, so every selector is compiled and bounded the same way whichever store runs
 * it.
 */
public final class ApiKeysDatabase {
  private final Jdbi jdbi;
  private final Duration selectorTimeout;
  private final ApiKeyMetrics metrics;
  private final EventOutbox outbox;
  private final ApiKeyStore apiKeys;
  private final RevocationStore revocations;
  private final RotationStore rotations;

  /** Without domain metrics, as a one-shot command runs. */
  public ApiKeysDatabase(Jdbi jdbi, Duration selectorTimeout) {
    this(jdbi, selectorTimeout, ApiKeyMetrics.NONE);
  }

  /**
   * @param jdbi the process's one Jdbi (see {@link Database#jdbi})
   * @param selectorTimeout how long one selector query may run
   * @param metrics told of what the stores commit and answer
   */
  public ApiKeysDatabase(Jdbi jdbi, Duration selectorTimeout, ApiKeyMetrics metrics) {
    this.jdbi = jdbi;
    this.selectorTimeout = selectorTimeout;
    this.metrics = metrics;
    SelectorCompiler selectors = SelectorCompiler.refusingSecretTokens();
    SelectorQueries selectorQueries = new SelectorQueries(selectorTimeout);
    this.outbox = new EventOutbox();
    this.apiKeys = new ApiKeyStore(jdbi, selectors, selectorQueries, metrics);
    this.revocations = new RevocationStore(jdbi, selectors, selectorQueries, outbox, metrics);
    this.rotations = new RotationStore(jdbi, selectors, selectorQueries);
  }

  public Jdbi jdbi() {
    return jdbi;
  }

  public Duration selectorTimeout() {
    return selectorTimeout;
  }

  /** Where the stores report; the reconciler reports there too. */
  public ApiKeyMetrics metrics() {
    return metrics;
  }

  public ApiKeyStore apiKeys() {
    return apiKeys;
  }

  public RevocationStore revocations() {
    return revocations;
  }

  public RotationStore rotations() {
    return rotations;
  }

  /** The {@code apikeys_event} outbox the revocation store writes to. */
  public EventOutbox outbox() {
    return outbox;
  }
}
