package dev.apikeys.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.apikeys.model.ApiKeyDTO;
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
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Waiting for a lock is not a slow selector: a schedule queued behind another transaction on the
 * same keys (a bulk revocation holds its keys for seconds) waits, longer than the selector timeout
 * if need be, and succeeds; past the lock timeout it fails as a fault, which Temporal retries, and
 * never as INVALID_DATA.
 */
class LockWaitTest {
  private static final Duration SELECTOR_TIMEOUT = Duration.ofSeconds(1);

  private TestDatabase db;
  private ApiKeyStore keys;
  private RevocationStore revocations;

  @BeforeEach
  void setUp() {
    db = TestDatabase.create();
    keys = new ApiKeyStore(db.jdbi(), Duration.ofSeconds(5));
    revocations = new RevocationStore(db.jdbi(), SELECTOR_TIMEOUT);
  }

  @Test
  void aScheduleWaitsBehindAHeldLockLongerThanTheSelectorTimeoutAndSucceeds() throws Exception {
    ApiKeyDTO key = keys.createApiKey(new CreateApiKeyDTO("k", "secret", "u"));
    Revocation scheduled;
    try (Handle other = db.jdbi().open()) {
      other.begin();
      other
          .createQuery("select id from api_key where id = :id for update")
          .bind("id", key.id())
          .mapTo(String.class)
          .one();
      CompletableFuture<Revocation> waiting =
          CompletableFuture.supplyAsync(() -> revocations.schedule(command(key)));
      Thread.sleep(SELECTOR_TIMEOUT.toMillis() * 3);
      assertThat(waiting).as("still waiting for the lock").isNotDone();
      other.rollback();
      scheduled = waiting.get(30, TimeUnit.SECONDS);
    }
    assertThat(scheduled.status()).isEqualTo(RevocationState.SCHEDULED);
  }

  @Test
  void aLockHeldPastTheLockTimeoutIsAFaultNotARefusal() throws Exception {
    ApiKeyDTO key = keys.createApiKey(new CreateApiKeyDTO("k", "secret", "u"));
    try (Handle other = db.jdbi().open()) {
      other.begin();
      other
          .createQuery("select id from api_key where id = :id for update")
          .bind("id", key.id())
          .mapTo(String.class)
          .one();
      assertThatThrownBy(() -> revocations.schedule(command(key)))
          .isNotInstanceOf(ApiKeyException.class)
          .hasMessageContaining("lock timeout");
      other.rollback();
    }
    // Retried once the lock is free, it succeeds; nothing of the failed attempt remains.
    assertThat(revocations.schedule(command(key)).status()).isEqualTo(RevocationState.SCHEDULED);
    long rows =
        db.jdbi()
            .withHandle(
                h ->
                    h.createQuery("select count(*) from apikeys_revocation")
                        .mapTo(Long.class)
                        .one());
    assertThat(rows).isEqualTo(1);
  }

  private ScheduleRevocation command(ApiKeyDTO key) {
    return new ScheduleRevocation(
            "wf-" + UUID.randomUUID(),
            "run-" + UUID.randomUUID(),
            RevokeRequestParser.parse(
                RevokeRequest.ofId(key.id(), new RevokeApiKeyDTO("me", 60L), null)),
            Instant.now().plusSeconds(60),
            null)
        .fingerprinted();
  }
}
