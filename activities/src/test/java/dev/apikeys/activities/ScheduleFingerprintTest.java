package dev.apikeys.activities;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.revocation.ApiKeysDataConverter;
import dev.apikeys.revocation.RequestFingerprint;
import dev.apikeys.revocation.Revocation;
import dev.apikeys.revocation.RevocationActivities;
import dev.apikeys.revocation.RevokeApiKeyDTO;
import dev.apikeys.revocation.RevokeRequest;
import dev.apikeys.revocation.RevokeRequestParser;
import dev.apikeys.revocation.ScheduleRevocation;
import dev.apikeys.revocation.SharedContext;
import dev.apikeys.revocation.ValidRevokeRequest;
import dev.apikeys.store.ApiKeyStore;
import dev.apikeys.store.RevocationStore;
import dev.apikeys.store.TestDatabase;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.testing.TestActivityEnvironment;
import io.temporal.testing.TestEnvironmentOptions;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Who fingerprints a request: the caller of the store. Older workflow code sends its schedule
 * command without a fingerprint, and the schedule activity computes it, so the revocation stored
 * for it matches the same request sent later by newer code; the store itself never computes one.
 */
class ScheduleFingerprintTest {
  private TestDatabase db;
  private ApiKeyStore keys;
  private RevocationStore revocations;
  private Instant at;

  @BeforeEach
  void setUp() {
    db = TestDatabase.create();
    keys = new ApiKeyStore(db.jdbi(), Duration.ofSeconds(5));
    revocations = new RevocationStore(db.jdbi(), Duration.ofSeconds(5));
    at = Instant.now().plusSeconds(600).truncatedTo(ChronoUnit.MILLIS);
  }

  @Test
  void aCommandFromOlderWorkflowCodeIsFingerprintedByTheActivity() {
    ApiKeyDTO key = keys.createApiKey(new CreateApiKeyDTO("k", "secret", "u"));
    ValidRevokeRequest request = request(key);

    // The activity as older workflow code calls it: through Temporal, with no fingerprint.
    TestActivityEnvironment activities =
        TestActivityEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder()
                .setWorkflowClientOptions(
                    WorkflowClientOptions.newBuilder()
                        .setDataConverter(ApiKeysDataConverter.newDataConverter())
                        .build())
                .build());
    Revocation first;
    try {
      activities.registerActivitiesImplementations(new RevocationActivitiesImpl(revocations));
      first =
          activities
              .newActivityStub(
                  RevocationActivities.class,
                  ActivityOptions.newBuilder()
                      .setStartToCloseTimeout(Duration.ofSeconds(30))
                      .build())
              .schedule(new ScheduleRevocation("wf-old", "run-old", request, at, null));
    } finally {
      activities.close();
    }

    assertThat(storedFingerprint(first.revocationId())).isEqualTo(RequestFingerprint.of(request));
    // The same request from newer code, which sends the fingerprint, joins it as a duplicate.
    Revocation again =
        revocations.schedule(
            new ScheduleRevocation(
                "wf-new", "run-new", request, at, RequestFingerprint.of(request)));
    assertThat(again.revocationId()).isEqualTo(first.revocationId());
    assertThat(again.duplicateOf()).isEqualTo("wf-old");
  }

  @Test
  void theStoreRefusesACommandWithoutAFingerprintAndWritesNothing() {
    ApiKeyDTO key = keys.createApiKey(new CreateApiKeyDTO("k", "secret", "u"));

    assertThatThrownBy(
            () ->
                revocations.schedule(
                    new ScheduleRevocation("wf-1", "run-1", request(key), at, null)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("RequestFingerprint.of");

    long revocationRows =
        db.jdbi()
            .withHandle(
                h ->
                    h.createQuery("select count(*) from apikeys_revocation")
                        .mapTo(Long.class)
                        .one());
    assertThat(revocationRows).isZero();
    assertThat(keys.retrieveApiKey(key.id()).revokedAt()).isNull();
  }

  private static ValidRevokeRequest request(ApiKeyDTO key) {
    return RevokeRequestParser.parse(
        RevokeRequest.ofId(
            key.id(),
            new RevokeApiKeyDTO("ops", 600L),
            SharedContext.newBuilder().setIdempotencyKey("fp-" + key.id()).build()));
  }

  private String storedFingerprint(String revocationId) {
    return db.jdbi()
        .withHandle(
            h ->
                h.createQuery("select request_fingerprint from apikeys_revocation where id = :id")
                    .bind("id", revocationId)
                    .mapTo(String.class)
                    .one());
  }
}
