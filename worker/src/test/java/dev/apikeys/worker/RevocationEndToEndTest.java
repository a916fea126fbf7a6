package dev.apikeys.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.apikeys.client.ApiKeyModuleService;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.revocation.RevocationNames;
import dev.apikeys.revocation.RevocationState;
import dev.apikeys.revocation.RevokeApiKeyDTO;
import dev.apikeys.revocation.RevokeResult;
import dev.apikeys.revocation.SharedContext;
import dev.apikeys.store.ApiKeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A revocation from a Java client to a worker, across real gRPC to the port-bound test server (time
 * skipping off, so the timer runs on the wall clock) and a real PostgreSQL.
 */
public class RevocationEndToEndTest {
  private static RevocationStack stack;

  @BeforeAll
  static void start() {
    stack = RevocationStack.start().withWorker();
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  @Timeout(60)
  void revokeByIdReturnsAtOnceAndTheStampCarriesTheScheduledInstant() throws Exception {
    ApiKeyStore store = stack.store();
    ApiKeyModuleService service = stack.service();
    ApiKeyDTO key = store.createApiKey(new CreateApiKeyDTO("e2e", "secret", "user_1"));
    ApiKeyDTO bystander = store.createApiKey(new CreateApiKeyDTO("other", "secret", "user_1"));
    String idempotencyKey = "e2e-" + key.id();

    ApiKeyDTO scheduled =
        service.revoke(
            key.id(),
            new RevokeApiKeyDTO("user_2", 2L),
            SharedContext.newBuilder().setIdempotencyKey(idempotencyKey).build());
    Instant returned = Instant.now();

    // It returned as soon as the key was scheduled, well before the instant it shows.
    Instant instant = scheduled.revokedAt();
    assertThat(instant).isAfter(returned);
    assertThat(Duration.between(returned, instant)).isLessThanOrEqualTo(Duration.ofSeconds(2));
    assertThat(scheduled.revokedBy()).isEqualTo("user_2");
    assertThat(scheduled.token()).isEmpty();
    assertThat(store.authenticate(key.token())).as("before the instant").isPresent();

    sleepUntil(instant.plusMillis(50));
    assertThat(store.authenticate(key.token())).as("after the instant").isEmpty();
    assertThat(store.authenticate(bystander.token())).isPresent();

    RevokeResult result =
        service
            .revocation(RevocationNames.workflowIdFor(idempotencyKey))
            .await(Duration.ofSeconds(30));
    assertThat(result.status()).isEqualTo(RevocationState.REVOKED);
    assertThat(result.scheduledAt()).isEqualTo(instant);
    assertThat(result.keyCount()).isEqualTo(1);

    Map<String, Object> row =
        stack
            .db
            .jdbi()
            .withHandle(
                h ->
                    h.createQuery("select revoked_at, revoked_by from api_key where id = :id")
                        .bind("id", key.id())
                        .mapToMap()
                        .one());
    assertThat(((java.sql.Timestamp) row.get("revoked_at")).toInstant()).isEqualTo(instant);
    assertThat(row.get("revoked_by")).isEqualTo("user_2");
    assertThat(revokedEvents(key.id())).isEqualTo(1);
    assertThat(revokedEvents(bystander.id())).isZero();

    Duration lateness =
        stack
            .db
            .jdbi()
            .withHandle(
                h ->
                    h.createQuery(
                            "select completed_at, scheduled_at from apikeys_revocation where id = :id")
                        .bind("id", result.revocationId())
                        .map(
                            (rs, ctx) ->
                                Duration.between(
                                    rs.getTimestamp("scheduled_at").toInstant(),
                                    rs.getTimestamp("completed_at").toInstant()))
                        .one());
    // Printed, not asserted: how late a timer fires depends on the machine, not on this code.
    System.out.println(
        "timer lateness (stamp commit minus scheduled instant, port-bound test server): "
            + lateness.toMillis()
            + " ms");
  }

  private static long revokedEvents(String keyId) {
    return stack
        .db
        .jdbi()
        .withHandle(
            h ->
                h.createQuery(
                        "select count(*) from apikeys_event where name = 'api_key.revoked'"
                            + " and api_key_id = :id")
                    .bind("id", keyId)
                    .mapTo(Long.class)
                    .one());
  }

  public static void sleepUntil(Instant instant) throws InterruptedException {
    long millis = Duration.between(Instant.now(), instant).toMillis();
    if (millis > 0) {
      Thread.sleep(millis);
    }
  }
}
