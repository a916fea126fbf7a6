package dev.apikeys.worker;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A token that {@code authenticate} has verified before is answered without scrypt, and its
 * revocation still holds from the scheduled instant on: a revocation with {@code revoke_in} 2
 * through the real workflow on a worker, and authenticate in a tight loop around the instant, in
 * the caller's process and in a second store standing for another process.
 *
 * <p>Both clocks are this machine's: PostgreSQL's {@code now()} decides the answer, and it lies
 * between the start and the end of each call as the JVM measures them.
 */
class AuthenticateAtTheInstantTest {
  /** How late the first {@code false} may come after the instant. */
  private static final Duration HONOURED_WITHIN = Duration.ofMillis(50);

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

  /** One authenticate call: when it started and ended, and its answer. */
  private record Call(Instant start, Instant end, boolean authenticated) {}

  @Test
  @Timeout(60)
  void theFirstFalseComesAtTheInstantAndWithinFiftyMillisecondsOfIt() throws Exception {
    ApiKeyStore caller = stack.store();
    ApiKeyStore otherProcess = stack.store();
    warmUp(caller);
    ApiKeyDTO key = caller.createApiKey(new CreateApiKeyDTO("hot", "secret", "user_1"));
    // Verified once by scrypt in each; from here on both answer from the remembered mapping.
    assertThat(caller.authenticate(key.token())).isPresent();
    assertThat(otherProcess.authenticate(key.token())).isPresent();

    String idempotencyKey = "instant-" + key.id();
    ApiKeyDTO scheduled =
        stack
            .service()
            .revoke(
                key.id(),
                new RevokeApiKeyDTO("user_2", 2L),
                SharedContext.newBuilder().setIdempotencyKey(idempotencyKey).build());
    Instant instant = scheduled.revokedAt();
    assertThat(instant).isAfter(Instant.now());

    // Both loops at once: the caller's own process and another one, each with its own memory of
    // the token, neither told about the revocation.
    CompletableFuture<Call> otherFirstFalse =
        CompletableFuture.supplyAsync(() -> firstFalse(otherProcess, key.token(), instant));
    Call callerFirstFalse = firstFalse(caller, key.token(), instant);

    assertHonouredAtTheInstant(callerFirstFalse, instant);
    assertHonouredAtTheInstant(otherFirstFalse.get(30, TimeUnit.SECONDS), instant);

    RevokeResult result =
        stack
            .service()
            .revocation(RevocationNames.workflowIdFor(idempotencyKey))
            .await(Duration.ofSeconds(30));
    assertThat(result.status()).isEqualTo(RevocationState.REVOKED);
    assertThat(result.scheduledAt()).isEqualTo(instant);
    assertThat(caller.authenticate(key.token())).as("after the stamp").isEmpty();
    assertThat(otherProcess.authenticate(key.token())).as("after the stamp").isEmpty();
  }

  /**
   * One revocation through the whole path first, so the measured one is not the worker's first: a
   * cold worker can take longer than the 2 s grace to schedule, and the instant would be past
   * before the loop could begin.
   */
  private static void warmUp(ApiKeyStore store) throws Exception {
    ApiKeyDTO warm = store.createApiKey(new CreateApiKeyDTO("warm-up", "secret", "user_1"));
    String idempotencyKey = "warm-up-" + warm.id();
    stack
        .service()
        .revoke(
            warm.id(),
            RevokeApiKeyDTO.now("user_2"),
            SharedContext.newBuilder().setIdempotencyKey(idempotencyKey).build());
    stack
        .service()
        .revocation(RevocationNames.workflowIdFor(idempotencyKey))
        .await(Duration.ofSeconds(30));
  }

  /**
   * Authenticates in a tight loop until the answer is {@code false}. Every call that answered
   * {@code true} must have started before the instant, or the key outlived its revocation.
   */
  private static Call firstFalse(ApiKeyStore store, String token, Instant instant) {
    Instant deadline = instant.plusSeconds(10);
    while (true) {
      Instant start = Instant.now();
      boolean authenticated = store.authenticate(token).isPresent();
      Instant end = Instant.now();
      if (!authenticated) {
        return new Call(start, end, false);
      }
      assertThat(start)
          .as("a call that answered true started before the instant")
          .isBefore(instant);
      assertThat(end).as("still authenticating 10 s after the instant").isBefore(deadline);
    }
  }

  private static void assertHonouredAtTheInstant(Call firstFalse, Instant instant) {
    // The database decided "revoked" at some moment within the call, so the call cannot have
    // ended before the instant...
    assertThat(firstFalse.end())
        .as("the first false ended at or after the instant")
        .isAfterOrEqualTo(instant);
    // ...and the loop asked again right after every true, so it came promptly.
    assertThat(Duration.between(instant, firstFalse.start()))
        .as("the first false started within %s of the instant", HONOURED_WITHIN)
        .isLessThanOrEqualTo(HONOURED_WITHIN);
  }
}
