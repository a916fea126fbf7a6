package dev.apikeys.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * {@link ApiKeyMetrics} on a Micrometer registry: the worker's Prometheus registry, or an
 * application's own when it embeds the module. In Prometheus's text format the meters read
 *
 * <ul>
 *   <li>{@code apikeys_revocations_scheduled_total}, {@code apikeys_revocations_stamped_total},
 *       {@code apikeys_revocations_cancelled_total};
 *   <li>{@code apikeys_revocations_reconciled_total{action="stamped"|"restarted"}};
 *   <li>{@code apikeys_keys_revoked_total};
 *   <li>{@code apikeys_revocation_stamp_lateness_seconds} (a histogram: {@code _bucket{le=…}},
 *       {@code _count}, {@code _sum}, {@code _max});
 *   <li>{@code apikeys_authenticate_total{result="authenticated"|"refused"}}.
 * </ul>
 *
 * The revocation meters are registered at once, so a scrape shows them at zero before the first
 * revocation; the authenticate meters appear with the first call, in the processes that make one.
 */
public final class MicrometerApiKeyMetrics implements ApiKeyMetrics {
  /**
   * The histogram's buckets. A stamp normally runs within a second of its instant; the longer
   * buckets tell a slow worker from an outage that the reconciler cleaned up hours later.
   */
  private static final Duration[] LATENESS_BUCKETS = {
    Duration.ofMillis(100), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2),
    Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMinutes(1),
    Duration.ofMinutes(5), Duration.ofMinutes(15), Duration.ofHours(1), Duration.ofHours(6),
    Duration.ofDays(1)
  };

  private final MeterRegistry registry;
  private final Counter scheduled;
  private final Counter stamped;
  private final Counter cancelled;
  private final Counter keysRevoked;
  private final Timer lateness;

  public MicrometerApiKeyMetrics(MeterRegistry registry) {
    this.registry = registry;
    scheduled =
        Counter.builder("apikeys.revocations.scheduled")
            .description("Revocations recorded, their keys' revoked_at set to the instant")
            .register(registry);
    stamped =
        Counter.builder("apikeys.revocations.stamped")
            .description("Revocations stamped: marked revoked, api_key.revoked events recorded")
            .register(registry);
    cancelled =
        Counter.builder("apikeys.revocations.cancelled")
            .description("Revocations cancelled before their instant, keys put back")
            .register(registry);
    keysRevoked =
        Counter.builder("apikeys.keys.revoked")
            .description("Keys of stamped revocations (a key in two revocations counts in each)")
            .register(registry);
    reconciled("stamped");
    reconciled("restarted");
    lateness =
        Timer.builder("apikeys.revocation.stamp.lateness")
            .description("The database's clock at the stamp minus the scheduled instant")
            .serviceLevelObjectives(LATENESS_BUCKETS)
            .register(registry);
  }

  private Counter reconciled(String action) {
    return Counter.builder("apikeys.revocations.reconciled")
        .description("Revocations whose workflow was gone, finished by the reconciler")
        .tag("action", action)
        .register(registry);
  }

  @Override
  public void revocationScheduled(long keyCount) {
    scheduled.increment();
  }

  @Override
  public void revocationStamped(long keyCount, Duration lateness) {
    stamped.increment();
    keysRevoked.increment(keyCount);
    this.lateness.record(lateness.isNegative() ? Duration.ZERO : lateness);
  }

  @Override
  public void revocationCancelled() {
    cancelled.increment();
  }

  @Override
  public void revocationReconciled(String action) {
    reconciled(action).increment();
  }

  @Override
  public void authenticated(boolean found) {
    Counter.builder("apikeys.authenticate")
        .description("authenticate calls, by whether they found an active key")
        .tag("result", found ? "authenticated" : "refused")
        .register(registry)
        .increment();
  }
}
