package dev.apikeys.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.apikeys.metrics.ApiKeyMetrics;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.model.FilterableApiKeyProps;
import dev.apikeys.revocation.Revocation;
import dev.apikeys.revocation.RevocationState;
import dev.apikeys.revocation.RevokeApiKeyDTO;
import dev.apikeys.revocation.RevokeRequest;
import dev.apikeys.revocation.RevokeRequestParser;
import dev.apikeys.revocation.ScheduleRevocation;
import dev.apikeys.revocation.SharedContext;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the store reports to {@link ApiKeyMetrics}: each committed change once, however often a
 * retried activity or a second workflow repeats the call, and nothing for a call that is refused or
 * rolled back (in the caller's own transaction too). The store runs directly, one step at a time,
 * on a real PostgreSQL.
 */
class RevocationMetricsTest {
  private TestDatabase db;
  private ApiKeyStore keys;
  private RevocationStore revocations;
  private final Recorded recorded = new Recorded();
  private Instant now;

  /** Every report, in order, as a line such as {@code stamped 2 keys}. */
  private static final class Recorded implements ApiKeyMetrics {
    final List<String> lines = new CopyOnWriteArrayList<>();
    final List<Duration> lateness = new CopyOnWriteArrayList<>();

    @Override
    public void revocationScheduled(long keyCount) {
      lines.add("scheduled " + keyCount + " keys");
    }

    @Override
    public void revocationStamped(long keyCount, Duration late) {
      lines.add("stamped " + keyCount + " keys");
      lateness.add(late);
    }

    @Override
    public void revocationCancelled() {
      lines.add("cancelled");
    }

    @Override
    public void authenticated(boolean found) {
      lines.add(found ? "authenticated" : "refused");
    }
  }

  @BeforeEach
  void setUp() {
    db = TestDatabase.create();
    keys = new ApiKeyStore(db.jdbi(), Duration.ofSeconds(5), recorded);
    revocations = new RevocationStore(db.jdbi(), Duration.ofSeconds(5), recorded);
    now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
  }

  @Test
  void aRepeatedScheduleAndStampAreReportedOnce() {
    ApiKeyDTO a = secret();
    ApiKeyDTO b = secret();
    ScheduleRevocation command = command("ops", 0, "same-key", a.id(), b.id());

    Revocation first = revocations.schedule(command);
    // A retried activity, and another workflow repeating the idempotency key.
    revocations.schedule(command);
    Revocation duplicate =
        revocations.schedule(
            new ScheduleRevocation(
                    "wf-other", "run-other", command.request(), command.scheduledAt(), null)
                .fingerprinted());
    assertThat(duplicate.duplicateOf()).isEqualTo(first.workflowId());

    assertThat(revocations.stamp(first.revocationId(), now).status())
        .isEqualTo(RevocationState.REVOKED);
    revocations.stamp(first.revocationId(), now);
    revocations.stamp(first.revocationId(), now.plusSeconds(5));

    assertThat(recorded.lines).containsExactly("scheduled 2 keys", "stamped 2 keys");
    // Stamped by the database's clock at or after the instant it was scheduled for.
    assertThat(recorded.lateness)
        .singleElement()
        .satisfies(d -> assertThat(d.isNegative()).isFalse());
  }

  @Test
  void aStampBeforeTheInstantAndARepeatedCancelAreReportedAsTheyHappen() {
    ApiKeyDTO key = secret();
    Revocation scheduled = revocations.schedule(command("ops", 3_600, null, key.id()));

    assertThat(revocations.stamp(scheduled.revocationId(), now).status())
        .as("not due yet")
        .isEqualTo(RevocationState.SCHEDULED);
    revocations.cancel(scheduled.revocationId(), now, "alice");
    revocations.cancel(scheduled.revocationId(), now, "alice");

    assertThat(recorded.lines).containsExactly("scheduled 1 keys", "cancelled");
  }

  @Test
  void aRefusedScheduleReportsNothing() {
    ApiKeyDTO revoked = secret();
    revocations.stamp(
        revocations.schedule(command("ops", 0, null, revoked.id())).revocationId(), now);
    recorded.lines.clear();

    assertThatThrownBy(() -> revocations.schedule(command("ops", 0, null, revoked.id())))
        .isInstanceOf(ApiKeyException.class)
        .hasMessage("There are 1 secret keys that are already revoked.");
    assertThatThrownBy(
            () -> revocations.schedule(command("ops", 0, null, "apk_01JZ0000000000000000000000")))
        .isInstanceOf(ApiKeyException.class);

    assertThat(recorded.lines).isEmpty();
  }

  @Test
  void aScheduleInTheCallersTransactionCountsWhenTheCallerCommits() {
    ApiKeyDTO kept = secret();
    ApiKeyDTO rolledBack = secret();
    try (Handle h = db.jdbi().open()) {
      h.begin();
      revocations.scheduleIn(h, command("ops", 60, null, rolledBack.id()), false);
      assertThat(recorded.lines).isEmpty();
      h.rollback();

      h.begin();
      revocations.scheduleIn(h, command("ops", 60, null, kept.id()), false);
      assertThat(recorded.lines).as("before the caller commits").isEmpty();
      h.commit();
    }
    assertThat(recorded.lines).containsExactly("scheduled 1 keys");
  }

  @Test
  void authenticateReportsEachAnswer() {
    ApiKeyDTO key = secret();
    keys.authenticate(key.token());
    keys.authenticate("sk_" + "0".repeat(64));
    keys.authenticate(null);

    assertThat(recorded.lines).containsExactly("authenticated", "refused", "refused");
  }

  private ScheduleRevocation command(
      String by, long revokeIn, String idempotencyKey, String... ids) {
    SharedContext context =
        idempotencyKey == null
            ? SharedContext.EMPTY
            : SharedContext.newBuilder().setIdempotencyKey(idempotencyKey).build();
    RevokeRequest request =
        ids.length == 1
            ? RevokeRequest.ofId(ids[0], new RevokeApiKeyDTO(by, revokeIn), context)
            : RevokeRequest.ofSelector(
                FilterableApiKeyProps.ids(ids).json(), new RevokeApiKeyDTO(by, revokeIn), context);
    return new ScheduleRevocation(
            "wf-" + UUID.randomUUID(),
            "run-" + UUID.randomUUID(),
            RevokeRequestParser.parse(request),
            now.plusSeconds(revokeIn),
            null)
        .fingerprinted();
  }

  private ApiKeyDTO secret() {
    return keys.createApiKey(new CreateApiKeyDTO("metrics", "secret", "ops"));
  }
}
