package dev.apikeys.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
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
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A revocation of {@value RevocationStore#ANALYZE_AFTER_KEYS} keys or more refreshes the planner's
 * statistics of the revocations' keys once it has committed, so that its stamp and result pages are
 * planned for its real size; the refresh is best effort and never holds up or fails the revocation.
 */
class KeyStatisticsTest {
  private static final int LARGE = (int) RevocationStore.ANALYZE_AFTER_KEYS;

  private TestDatabase db;
  private RevocationStore revocations;

  @BeforeEach
  void setUp() {
    db = TestDatabase.create();
    revocations = new RevocationStore(db.jdbi(), Duration.ofSeconds(30));
  }

  @Test
  void aLargeRevocationLeavesThePlannerKnowingItsKeys() {
    insertKeys("bulk", LARGE);

    Revocation scheduled = revocations.schedule(command("bulk"));

    assertThat(scheduled.status()).isEqualTo(RevocationState.SCHEDULED);
    assertThat(scheduled.keyCount()).isEqualTo(LARGE);
    assertThat(plannedRows(db.jdbi())).as("pg_class.reltuples").isGreaterThanOrEqualTo(LARGE);
  }

  @Test
  void aSmallRevocationLeavesTheStatisticsToAutovacuum() {
    insertKeys("few", 100);

    revocations.schedule(command("few"));

    assertThat(plannedRows(db.jdbi())).as("pg_class.reltuples, never analyzed").isLessThan(0);
  }

  @Test
  void aLargeRevocationIsScheduledWhenTheStatisticsCannotBeRefreshed() {
    insertKeys("bulk", LARGE);
    Instant at;
    try (Handle other = db.jdbi().open()) {
      // What ANALYZE needs, held elsewhere (a VACUUM, another ANALYZE) for longer than it waits.
      other.begin();
      other.execute("lock table apikeys_revocation_key in share update exclusive mode");

      Revocation scheduled = revocations.schedule(command("bulk"));

      at = scheduled.scheduledAt();
      assertThat(scheduled.status()).isEqualTo(RevocationState.SCHEDULED);
      assertThat(scheduled.keyCount()).isEqualTo(LARGE);
      assertThat(plannedRows(db.jdbi())).as("not analyzed").isLessThan(0);
      other.rollback();
    }
    long stamped =
        db.jdbi()
            .withHandle(
                h ->
                    h.createQuery(
                            "select count(*) from api_key where created_by = 'bulk'"
                                + " and revoked_at = :at")
                        .bind("at", at)
                        .mapTo(Long.class)
                        .one());
    assertThat(stamped).isEqualTo(LARGE);
  }

  private void insertKeys(String createdBy, int n) {
    db.jdbi()
        .useHandle(
            h ->
                h.createUpdate(
                        "insert into api_key (id, token, salt, redacted, title, type, created_by)"
                            + " select 'apk_' || :by || '_' || i, 'pk_' || :by || '_' || i, '',"
                            + " 'pk_***', 'k', 'publishable', :by"
                            + " from generate_series(1, :n) i")
                    .bind("by", createdBy)
                    .bind("n", n)
                    .execute());
  }

  /** What the planner believes the table holds: -1 until it is first analyzed or vacuumed. */
  private static double plannedRows(Jdbi jdbi) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select reltuples from pg_class where oid = 'apikeys_revocation_key'::regclass")
                .mapTo(Double.class)
                .one());
  }

  private static ScheduleRevocation command(String createdBy) {
    RevokeRequest request =
        RevokeRequest.ofSelector(
            JsonNodeFactory.instance.objectNode().put("created_by", createdBy),
            new RevokeApiKeyDTO("me", 60L),
            null);
    return new ScheduleRevocation(
            "wf-" + UUID.randomUUID(),
            "run-" + UUID.randomUUID(),
            RevokeRequestParser.parse(request),
            Instant.now().plusSeconds(60).truncatedTo(ChronoUnit.MILLIS),
            null)
        .fingerprinted();
  }
}
