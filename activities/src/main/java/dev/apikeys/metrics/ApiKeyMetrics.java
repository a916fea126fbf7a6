package dev.apikeys.metrics;

import java.time.Duration;

/**
 * What the module reports as it works, for an operator's dashboards: revocations scheduled,
 * stamped, cancelled and reconciled, the keys they revoked, how late each stamp ran, and what
 * {@code authenticate} answered. The store and the reconciler call it once a change has committed,
 * so a retried activity or a second workflow on the same revocation is never counted twice.
 *
 * <p>Every method does nothing by default, and {@link #NONE} is what the stores use unless they are
 * given another. Implementations are called on activity and request threads: they must be quick,
 * safe to call concurrently, and must not throw.
 *
 * <p>Refusals are counted in the workflow, where they are decided, through the Temporal SDK's
 * replay-safe metrics scope; see {@code RevokeApiKeysWorkflowImpl}.
 */
public interface ApiKeyMetrics {
  /** Reports nothing. */
  ApiKeyMetrics NONE = new ApiKeyMetrics() {};

  /** A revocation was recorded, with its keys' {@code revoked_at} set to its instant. */
  default void revocationScheduled(long keyCount) {}

  /**
   * A revocation was stamped: marked revoked, its events recorded.
   *
   * @param keyCount the revocation's keys; a key in two revocations counts in each
   * @param lateness the database's clock at the stamp minus the scheduled instant; zero when the
   *     stamp ran by a workflow clock ahead of the database's
   */
  default void revocationStamped(long keyCount, Duration lateness) {}

  /** A revocation was cancelled before its instant; its keys were put back. */
  default void revocationCancelled() {}

  /**
   * The reconciler finished a revocation whose workflow was gone.
   *
   * @param action {@code stamped} (its instant had passed) or {@code restarted} (a fresh workflow
   *     took it over)
   */
  default void revocationReconciled(String action) {}

  /** One {@code authenticate} call, and whether it found an active key. */
  default void authenticated(boolean found) {}
}
