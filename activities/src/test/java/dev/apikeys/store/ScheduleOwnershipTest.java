package dev.apikeys.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.revocation.Revocation;
import dev.apikeys.revocation.RevokeApiKeyDTO;
import dev.apikeys.revocation.RevokeRequest;
import dev.apikeys.revocation.RevokeRequestParser;
import dev.apikeys.revocation.ScheduleRevocation;
import dev.apikeys.revocation.SharedContext;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A revocation belongs to the workflow id that recorded it. A schedule attempt that committed and
 * lost its completion, retried, and a run that a reset started under the same workflow id (a new
 * run id), both find the revocation as their own: the same revocation, owned, never {@code
 * duplicate_of} their own workflow. Only another workflow id repeating the idempotency key is a
 * duplicate.
 */
class ScheduleOwnershipTest {
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

  @Test
  void aRetriedAttemptAndAResetRunOwnTheirRevocationAnotherWorkflowIdIsADuplicate() {
    ApiKeyDTO key = keys.createApiKey(new CreateApiKeyDTO("k", "secret", "u"));
    SharedContext context = SharedContext.newBuilder().setIdempotencyKey("owned").build();

    Revocation first = schedule("wf-a", "run-1", key.id(), context);
    assertThat(first.owned()).isTrue();

    Revocation retried = schedule("wf-a", "run-1", key.id(), context);
    assertThat(retried.revocationId()).isEqualTo(first.revocationId());
    assertThat(retried.owned()).as("a retried attempt owns its revocation").isTrue();
    assertThat(retried.duplicateOf()).isNull();

    Revocation reset = schedule("wf-a", "run-2", key.id(), context);
    assertThat(reset.revocationId()).isEqualTo(first.revocationId());
    assertThat(reset.owned()).as("a reset run owns its revocation").isTrue();
    assertThat(reset.duplicateOf()).isNull();

    Revocation other = schedule("wf-b", "run-3", key.id(), context);
    assertThat(other.revocationId()).isEqualTo(first.revocationId());
    assertThat(other.owned()).isFalse();
    assertThat(other.duplicateOf()).isEqualTo("wf-a");

    assertThat(count("select count(*) from apikeys_revocation")).isEqualTo(1);
    assertThat(count("select count(*) from apikeys_revocation where workflow_id = 'wf-a'"))
        .isEqualTo(1);
  }

  @Test
  void withoutAnIdempotencyKeyARetriedAttemptMakesNoSecondRevocation() {
    ApiKeyDTO key = keys.createApiKey(new CreateApiKeyDTO("k", "secret", "u"));

    Revocation first = schedule("wf-c", "run-1", key.id(), null);
    Revocation retried = schedule("wf-c", "run-1", key.id(), null);

    assertThat(retried.revocationId()).isEqualTo(first.revocationId());
    assertThat(retried.owned()).isTrue();
    assertThat(count("select count(*) from apikeys_revocation")).isEqualTo(1);
  }

  private Revocation schedule(
      String workflowId, String runId, String keyId, SharedContext context) {
    var request =
        RevokeRequestParser.parse(
            RevokeRequest.ofId(keyId, new RevokeApiKeyDTO("me", 600L), context));
    return revocations.schedule(
        new ScheduleRevocation(workflowId, runId, request, now.plusSeconds(600), null)
            .fingerprinted());
  }

  private long count(String sql) {
    return db.jdbi().withHandle(h -> h.createQuery(sql).mapTo(Long.class).one());
  }
}
