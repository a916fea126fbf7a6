package dev.apikeys.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.ApiKeyErrorType;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.revocation.Revocation;
import dev.apikeys.revocation.RevocationState;
import dev.apikeys.revocation.RevokeApiKeyDTO;
import dev.apikeys.revocation.RevokeRequest;
import dev.apikeys.revocation.RevokeRequestParser;
import dev.apikeys.revocation.ScheduleRevocation;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a cancel or a reschedule puts back, when someone outside this project (Medusa, an
 * administrator) changed the key between this project's changes. The rule: never a {@code
 * revoked_at} later than, or NULL instead of, a value this project did not write. Each sequence
 * runs the store directly, one step at a time, so every step happens in the order written.
 */
class RevocationBaseTest {
  private TestDatabase db;
  private ApiKeyStore keys;
  private RevocationStore revocations;
  private Instant now;

  @BeforeEach
  void setUp() {
    db = TestDatabase.create();
    keys = new ApiKeyStore(db.jdbi(), Duration.ofSeconds(5));
    revocations = new RevocationStore(db.jdbi(), Duration.ofSeconds(5));
    now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
  }

  /**
   * The sequence: cancelled, then revoked by an administrator, then scheduled and
   * cancelled.
   */
  @Test
  void aCancelNeverErasesARevocationMadeOutsideThisProject() {
    ApiKeyDTO key = secret();
    Revocation first = schedule(key.id(), "us", 600);
    revocations.cancel(first.revocationId(), now, "alice");
    assertThat(row(key.id())).isEqualTo(new Row(null, null));

    Instant adminAt = now.plus(Duration.ofDays(2));
    medusaSets(key.id(), adminAt, "admin");
    Revocation second = schedule(key.id(), "us", 600);
    assertThat(row(key.id())).isEqualTo(new Row(second.scheduledAt(), "us"));
    revocations.cancel(second.revocationId(), now, "bob");

    assertThat(row(key.id())).isEqualTo(new Row(adminAt, "admin"));
  }

  /** The same with a reschedule ten years out instead of the cancel: two days still holds. */
  @Test
  void aRescheduleNeverMovesAKeyLaterThanARevocationMadeOutsideThisProject() {
    ApiKeyDTO key = secret();
    Revocation first = schedule(key.id(), "us", 600);
    revocations.cancel(first.revocationId(), now, null);
    Instant adminAt = now.plus(Duration.ofDays(2));
    medusaSets(key.id(), adminAt, "admin");
    Revocation second = schedule(key.id(), "us", 600);

    revocations.reschedule(
        second.revocationId(),
        now.plusSeconds(RevokeRequestParser.MAX_REVOKE_IN_SECONDS),
        "ops",
        now);

    assertThat(row(key.id())).isEqualTo(new Row(adminAt, "admin"));
  }

  /** Medusa revokes the key for good while ours is pending: cancelling ours keeps Medusa's. */
  @Test
  void medusaRevokingWhileOursIsPendingSurvivesOurCancel() {
    ApiKeyDTO key = publishable();
    Revocation ours = schedule(key.id(), "us", 3600);
    Instant medusaAt = now.minusSeconds(1);
    medusaSets(key.id(), medusaAt, "medusa");

    revocations.cancel(ours.revocationId(), now, null);

    assertThat(row(key.id())).isEqualTo(new Row(medusaAt, "medusa"));
  }

  /**
   * Medusa re-revokes a publishable key to a later instant while ours is pending (Medusa allows
   * that; we never do): a cancel of ours leaves Medusa's later value, and a stamp of ours puts its
   * own instant back, because our revocation still stands.
   */
  @Test
  void medusaReRevokingAPublishableKeyLaterIsKeptByACancelAndOverruledByAStamp() {
    ApiKeyDTO cancelled = publishable();
    ApiKeyDTO stamped = publishable();
    Revocation a = schedule(cancelled.id(), "us", 600);
    Revocation b = schedule(stamped.id(), "us", 1);
    Instant later = now.plus(Duration.ofDays(1));
    medusaSets(cancelled.id(), later, "medusa");
    medusaSets(stamped.id(), later, "medusa");

    revocations.cancel(a.revocationId(), now, null);
    assertThat(revocations.stamp(b.revocationId(), now.plusSeconds(2)).status())
        .isEqualTo(RevocationState.REVOKED);

    assertThat(row(cancelled.id())).isEqualTo(new Row(later, "medusa"));
    assertThat(row(stamped.id())).isEqualTo(new Row(b.scheduledAt(), "us"));
  }

  /**
   * Two of ours pending, the earlier one stamped, then an administrator clears the key, then a
   * third of ours is scheduled and cancelled: the stamped one still holds the key, because the
   * cancel writes the key from every revocation that counts.
   */
  @Test
  void aCancelAfterAnOutsideChangeStillHonoursEveryRevocationThatCounts() {
    ApiKeyDTO key = publishable();
    Revocation early = schedule(key.id(), "early", 1);
    Revocation late = schedule(key.id(), "late", 3600);
    revocations.stamp(early.revocationId(), now.plusSeconds(2));
    medusaSets(key.id(), null, null);
    Revocation third = schedule(key.id(), "third", 600);
    assertThat(row(key.id())).isEqualTo(new Row(early.scheduledAt(), "early"));

    revocations.cancel(third.revocationId(), now, null);

    assertThat(row(key.id())).isEqualTo(new Row(early.scheduledAt(), "early"));
    assertThat(late.status()).isEqualTo(RevocationState.SCHEDULED);
  }

  /** Whether the instant passed is the later of the database's clock and the workflow's. */
  @Test
  void aCancelOrRescheduleAtOrAfterTheInstantChangesNothing() {
    ApiKeyDTO key = secret();
    Revocation r = schedule(key.id(), "us", 60);

    Revocation stands = revocations.cancel(r.revocationId(), r.scheduledAt(), "late");
    assertThat(stands.status()).isEqualTo(RevocationState.SCHEDULED);
    assertThatThrownBy(
            () ->
                revocations.reschedule(
                    r.revocationId(), now.plusSeconds(600), "late", r.scheduledAt().plusMillis(1)))
        .isInstanceOfSatisfying(
            ApiKeyException.class,
            e -> assertThat(e.getType()).isEqualTo(ApiKeyErrorType.NOT_ALLOWED));
    assertThat(row(key.id())).isEqualTo(new Row(r.scheduledAt(), "us"));
    assertThat(status(r.revocationId())).isEqualTo("scheduled");
  }

  // ---- helpers --------------------------------------------------------------------------------

  record Row(Instant revokedAt, String revokedBy) {}

  private Revocation schedule(String keyId, String by, long revokeIn) {
    var request =
        RevokeRequestParser.parse(
            RevokeRequest.ofId(keyId, new RevokeApiKeyDTO(by, revokeIn), null));
    return revocations.schedule(
        new ScheduleRevocation(
                "wf-" + UUID.randomUUID(),
                "run-" + UUID.randomUUID(),
                request,
                now.plusSeconds(revokeIn),
                null)
            .fingerprinted());
  }

  private void medusaSets(String keyId, Instant at, String by) {
    db.jdbi()
        .useHandle(
            h ->
                h.createUpdate(
                        "update api_key set revoked_at = :at, revoked_by = :by, updated_at = now()"
                            + " where id = :id")
                    .bind("at", at)
                    .bind("by", by)
                    .bind("id", keyId)
                    .execute());
  }

  private ApiKeyDTO secret() {
    return keys.createApiKey(new CreateApiKeyDTO("k", "secret", "u"));
  }

  private ApiKeyDTO publishable() {
    return keys.createApiKey(new CreateApiKeyDTO("p", "publishable", "u"));
  }

  private Row row(String id) {
    return db.jdbi()
        .withHandle(
            h ->
                h.createQuery("select revoked_at, revoked_by from api_key where id = :id")
                    .bind("id", id)
                    .map(
                        (rs, ctx) ->
                            new Row(
                                rs.getTimestamp("revoked_at") == null
                                    ? null
                                    : rs.getTimestamp("revoked_at")
                                        .toInstant()
                                        .truncatedTo(ChronoUnit.MILLIS),
                                rs.getString("revoked_by")))
                    .one());
  }

  private String status(String revocationId) {
    return db.jdbi()
        .withHandle(
            h ->
                h.createQuery("select status from apikeys_revocation where id = :id")
                    .bind("id", revocationId)
                    .mapTo(String.class)
                    .one());
  }
}
