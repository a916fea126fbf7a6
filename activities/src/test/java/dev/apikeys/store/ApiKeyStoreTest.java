package dev.apikeys.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.ApiKeyErrorType;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.model.FindConfig;
import dev.apikeys.model.ListResult;
import dev.apikeys.model.UpdateApiKeyDTO;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.statement.StatementException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ApiKeyStoreTest {
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

  private TestDatabase db;
  private ApiKeyStore store;

  @BeforeEach
  void setUp() {
    db = TestDatabase.create();
    store = new ApiKeyStore(db.jdbi(), Duration.ofSeconds(5));
  }

  @Test
  void createdSecretKeyHasTheRowShapeMedusaWrites() {
    ApiKeyDTO created = store.createApiKey(new CreateApiKeyDTO("Backend", "secret", "user_1"));

    assertThat(created.id()).matches("apk_[0-9A-HJKMNP-TV-Z]{26}");
    assertThat(created.token()).matches("sk_[0-9a-f]{64}");
    assertThat(created.redacted())
        .isEqualTo(created.token().substring(0, 6) + "***" + created.token().substring(64));
    Map<String, Object> row =
        db.jdbi().withHandle(h -> h.select("select * from api_key").mapToMap().one());
    assertThat(row.get("id")).isEqualTo(created.id());
    assertThat((String) row.get("salt")).matches("[0-9a-f]{32}");
    assertThat((String) row.get("token")).matches("[0-9a-f]{128}");
    assertThat(row.get("token"))
        .isEqualTo(SecretTokens.hash(created.token(), (String) row.get("salt")));
    assertThat(row.get("redacted")).isEqualTo(created.redacted());
    assertThat(row.get("title")).isEqualTo("Backend");
    assertThat(row.get("type")).isEqualTo("secret");
    assertThat(row.get("created_by")).isEqualTo("user_1");
    assertThat(row.get("created_at")).isNotNull();
    assertThat(row.get("updated_at")).isNotNull();
    assertThat(row.get("revoked_at")).isNull();
    assertThat(row.get("revoked_by")).isNull();
    assertThat(row.get("last_used_at")).isNull();
    assertThat(row.get("deleted_at")).isNull();
  }

  @Test
  void createdPublishableKeyIsStoredAsItIsWithAnEmptySalt() {
    ApiKeyDTO created = store.createApiKey(new CreateApiKeyDTO("Storefront", "publishable", "u"));

    assertThat(created.token()).matches("pk_[0-9a-f]{64}");
    Map<String, Object> row =
        db.jdbi().withHandle(h -> h.select("select token, salt from api_key").mapToMap().one());
    assertThat(row).containsEntry("token", created.token()).containsEntry("salt", "");
    assertThat(store.retrieveApiKey(created.id()).token()).isEqualTo(created.token());
  }

  @Test
  void theRawSecretTokenIsShownOnlyOnCreation() throws IOException {
    ApiKeyDTO created = store.createApiKey(new CreateApiKeyDTO("Backend", "secret", "u"));

    ApiKeyDTO retrieved = store.retrieveApiKey(created.id());
    assertThat(retrieved.token()).isEmpty();
    assertThat(store.listApiKeys(null, null)).extracting(ApiKeyDTO::token).containsOnly("");
    JsonNode json = JSON.valueToTree(retrieved);
    assertThat(json.has("salt")).isFalse();
    assertThat(json.fieldNames())
        .toIterable()
        .containsExactly(
            "id",
            "token",
            "redacted",
            "title",
            "type",
            "last_used_at",
            "created_by",
            "created_at",
            "updated_at",
            "deleted_at",
            "revoked_by",
            "revoked_at");
    assertThat(json.get("type").asText()).isEqualTo("secret");
  }

  @Test
  void keysHashedByMedusaAuthenticate() throws IOException {
    JsonNode vectors = vectors();
    for (JsonNode v : vectors.get("secret_keys")) {
      insertAsMedusa(v, "secret");
    }
    insertAsMedusa(vectors.get("publishable_key"), "publishable");

    for (JsonNode v : vectors.get("secret_keys")) {
      assertThat(SecretTokens.hash(v.get("token").asText(), v.get("salt").asText()))
          .isEqualTo(v.get("stored_token").asText());
      assertThat(SecretTokens.redact(v.get("token").asText()))
          .isEqualTo(v.get("redacted").asText());
      assertThat(store.authenticate(v.get("token").asText()))
          .get()
          .extracting(ApiKeyDTO::redacted, ApiKeyDTO::token)
          .containsExactly(v.get("redacted").asText(), "");
    }
    // Medusa's publishable key is found by its token through list, never by authenticate.
    String publishable = vectors.get("publishable_key").get("token").asText();
    assertThat(store.authenticate(publishable)).isEmpty();
    assertThat(store.listApiKeys(JSON.createObjectNode().put("token", publishable), null))
        .extracting(ApiKeyDTO::token)
        .containsExactly(publishable);
  }

  @Test
  void aTokenSeenBeforeIsCheckedAgainstTheDatabaseOnEveryCall() {
    ApiKeyDTO key = store.createApiKey(new CreateApiKeyDTO("k", "secret", "u"));
    ApiKeyStore otherProcess = new ApiKeyStore(db.jdbi(), Duration.ofSeconds(5));
    assertThat(store.authenticate(key.token())).isPresent();
    assertThat(otherProcess.authenticate(key.token())).isPresent();

    // Revoked a moment ago: both stores, each having verified the token before, answer false.
    db.jdbi()
        .useHandle(
            h ->
                h.execute(
                    "update api_key set revoked_at = now() - interval '1 millisecond' where id = ?",
                    key.id()));
    assertThat(store.authenticate(key.token())).isEmpty();
    assertThat(otherProcess.authenticate(key.token())).isEmpty();

    // A revocation scheduled for later still lets the key in until then.
    db.jdbi()
        .useHandle(
            h ->
                h.execute(
                    "update api_key set revoked_at = now() + interval '1 hour' where id = ?",
                    key.id()));
    assertThat(store.authenticate(key.token())).get().extracting(ApiKeyDTO::revokedAt).isNotNull();

    // A wrong token with the same redacted form is still refused after the right one was seen.
    String forged = key.token().substring(0, 10) + "0".repeat(54) + key.token().substring(64);
    assertThat(store.authenticate(forged)).isEmpty();

    db.jdbi()
        .useHandle(h -> h.execute("update api_key set deleted_at = now() where id = ?", key.id()));
    assertThat(store.authenticate(key.token())).isEmpty();
    db.jdbi().useHandle(h -> h.execute("delete from api_key where id = ?", key.id()));
    assertThat(store.authenticate(key.token())).isEmpty();
  }

  @Test
  void aRevokedTokenIsRefusedWhetherOrNotItWasSeenBefore() {
    ApiKeyDTO key = store.createApiKey(new CreateApiKeyDTO("k", "secret", "u"));
    db.jdbi()
        .useHandle(
            h ->
                h.execute(
                    "update api_key set revoked_at = now() - interval '1 second' where id = ?",
                    key.id()));

    assertThat(store.authenticate(key.token())).isEmpty();
    assertThat(store.authenticate(key.token())).isEmpty();

    // Had the revocation been undone, the token is the key's again.
    db.jdbi()
        .useHandle(h -> h.execute("update api_key set revoked_at = null where id = ?", key.id()));
    assertThat(store.authenticate(key.token())).get().extracting(ApiKeyDTO::id).isEqualTo(key.id());
  }

  /**
   * The lookup behind revoking a leaked token: each token's key, position for position, found as
   * authenticate finds it (Medusa's own hashes included) but revoked keys too, and with whether
   * each is revoked now; publishable keys by equality; nothing for the rest.
   */
  @Test
  void findByTokensFindsTheKeyOfEachTokenRevokedOrNot() throws IOException {
    JsonNode medusa = vectors().get("secret_keys").get(0);
    insertAsMedusa(medusa, "secret");
    ApiKeyDTO live = store.createApiKey(new CreateApiKeyDTO("live", "secret", "u"));
    ApiKeyDTO revoked = store.createApiKey(new CreateApiKeyDTO("revoked", "secret", "u"));
    ApiKeyDTO later = store.createApiKey(new CreateApiKeyDTO("revoked later", "secret", "u"));
    ApiKeyDTO deleted = store.createApiKey(new CreateApiKeyDTO("deleted", "secret", "u"));
    ApiKeyDTO storefront =
        store.createApiKey(new CreateApiKeyDTO("storefront", "publishable", "u"));
    db.jdbi()
        .useHandle(
            h -> {
              h.execute(
                  "update api_key set revoked_at = now() - interval '1 second' where id = ?",
                  revoked.id());
              h.execute(
                  "update api_key set revoked_at = now() + interval '1 hour' where id = ?",
                  later.id());
              h.execute("update api_key set deleted_at = now() where id = ?", deleted.id());
            });
    String forged = live.token().substring(0, 10) + "0".repeat(54) + live.token().substring(64);
    List<String> tokens =
        new ArrayList<>(
            List.of(
                live.token(),
                medusa.get("token").asText(),
                revoked.token(),
                later.token(),
                deleted.token(),
                storefront.token(),
                forged,
                "sk_" + "0".repeat(64),
                "pk_unknown",
                "hello",
                live.token()));
    tokens.add(null);

    List<Optional<ApiKeyStore.TokenOwner>> found = store.findByTokens(tokens);

    assertThat(found).hasSize(tokens.size());
    assertThat(
            found.stream()
                .map(
                    o ->
                        o.map(t -> t.apiKey().title() + (t.revoked() ? " (revoked)" : ""))
                            .orElse("-")))
        .containsExactly(
            "live",
            "medusa",
            "revoked (revoked)",
            "revoked later",
            "-",
            "storefront",
            "-",
            "-",
            "-",
            "-",
            "live",
            "-");
    assertThat(found.get(0).orElseThrow().apiKey().token()).isEmpty();
    // The proof is remembered as authenticate remembers it: a store that verified the token
    // answers authenticate for it after the key is gone from the candidates' narrowing.
    db.jdbi()
        .useHandle(h -> h.execute("update api_key set redacted = 'moved' where id = ?", live.id()));
    assertThat(store.authenticate(live.token()))
        .get()
        .extracting(ApiKeyDTO::id)
        .isEqualTo(live.id());
    assertThat(new ApiKeyStore(db.jdbi(), Duration.ofSeconds(5)).authenticate(live.token()))
        .isEmpty();
  }

  @Test
  void verifiedTokensAreRememberedByDigestAndBounded() {
    VerifiedSecretTokens tokens = new VerifiedSecretTokens(2);
    String a = VerifiedSecretTokens.digest("sk_a");
    assertThat(a).matches("[0-9a-f]{64}").doesNotContain("sk_");
    tokens.remember(a, "apk_a");
    tokens.remember(VerifiedSecretTokens.digest("sk_b"), "apk_b");
    assertThat(tokens.keyId(a)).contains("apk_a");
    tokens.remember(VerifiedSecretTokens.digest("sk_c"), "apk_c");

    // "sk_a" was used more recently than "sk_b", so "sk_b" made room for "sk_c".
    assertThat(tokens.size()).isEqualTo(2);
    assertThat(tokens.keyId(a)).contains("apk_a");
    assertThat(tokens.keyId(VerifiedSecretTokens.digest("sk_b"))).isEmpty();
    assertThat(tokens.keyId(VerifiedSecretTokens.digest("sk_c"))).contains("apk_c");
  }

  @Test
  void onlySecretKeysAuthenticateAsInMedusa() {
    ApiKeyDTO publishable = store.createApiKey(new CreateApiKeyDTO("p", "publishable", "u"));
    ApiKeyDTO secret = store.createApiKey(new CreateApiKeyDTO("s", "secret", "u"));

    // Publishable tokens ship in storefront code: anyone who reads the page holds one.
    assertThat(store.authenticate(publishable.token())).isEmpty();
    assertThat(store.authenticate(secret.token()))
        .get()
        .extracting(ApiKeyDTO::id)
        .isEqualTo(secret.id());
    // The lookup Medusa offers for them instead.
    assertThat(store.listApiKeys(JSON.createObjectNode().put("token", publishable.token()), null))
        .extracting(ApiKeyDTO::id)
        .containsExactly(publishable.id());
  }

  @Test
  void authenticateAnswersEmptyForWhatIsNotAnActiveKey() {
    ApiKeyDTO secret = store.createApiKey(new CreateApiKeyDTO("s", "secret", "u"));
    ApiKeyDTO later = store.createApiKey(new CreateApiKeyDTO("l", "secret", "u"));
    ApiKeyDTO publishable = store.createApiKey(new CreateApiKeyDTO("p", "publishable", "u"));
    ApiKeyDTO deleted = store.createApiKey(new CreateApiKeyDTO("d", "secret", "u"));
    db.jdbi()
        .useHandle(
            h -> {
              h.execute(
                  "update api_key set revoked_at = now() - interval '1 second' where id = ?",
                  secret.id());
              h.execute(
                  "update api_key set revoked_at = now() + interval '1 hour' where id = ?",
                  later.id());
              h.execute("update api_key set deleted_at = now() where id = ?", deleted.id());
            });

    assertThat(store.authenticate(secret.token())).isEmpty();
    assertThat(store.authenticate(later.token())).isPresent();
    assertThat(store.authenticate(deleted.token())).isEmpty();
    // A secret token with a valid redaction but the wrong body.
    String forged = later.token().substring(0, 10) + "0".repeat(54) + later.token().substring(64);
    assertThat(store.authenticate(forged)).isEmpty();
    // A publishable token presented with the secret prefix, and nonsense of all kinds.
    assertThat(store.authenticate("sk_" + publishable.token().substring(3))).isEmpty();
    assertThat(store.authenticate("")).isEmpty();
    assertThat(store.authenticate(null)).isEmpty();
    assertThat(store.authenticate("x".repeat(100_000))).isEmpty();
    assertThat(store.authenticate("pk_\0")).isEmpty();
    assertThat(store.authenticate("pk_' or '1'='1")).isEmpty();
  }

  @Test
  void retrieveOfAnUnknownIdIsNotFoundInMedusasWords() {
    assertRefused(
        () -> store.retrieveApiKey("apk_123"),
        ApiKeyErrorType.NOT_FOUND,
        "ApiKey with id: apk_123 was not found");
  }

  /** Issue 14, finding 3: retrieve, update and delete never repeat a pasted secret token. */
  @Test
  void aSecretTokenGivenAsAnIdIsRefusedWithoutBeingRepeated() {
    ApiKeyDTO key = store.createApiKey(new CreateApiKeyDTO("backend", "secret", "u"));
    String token = key.token();
    List<Runnable> calls =
        List.of(
            () -> store.retrieveApiKey(token),
            () -> store.updateApiKey(token, new UpdateApiKeyDTO("renamed")),
            () -> store.deleteApiKeys(List.of(token)));
    for (Runnable call : calls) {
      assertThatThrownBy(call::run)
          .isInstanceOfSatisfying(
              ApiKeyException.class,
              e -> assertThat(e.getType()).isEqualTo(ApiKeyErrorType.INVALID_DATA))
          .hasMessageEndingWith(
              "looks like a raw secret token, not a key id; name the key by its" + " id (apk_…)")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain(token.substring(3, 12)));
    }
    assertThat(store.retrieveApiKey(key.id()).title()).isEqualTo("backend");

    String longId = "apk_" + "x".repeat(5_000);
    assertThatThrownBy(() -> store.retrieveApiKey(longId))
        .hasMessage("ApiKey with id: apk_" + "x".repeat(60) + "… was not found");
  }

  /**
   * Issue 14, finding 6: a selector cannot tell a secret key's stored hash by its digits, nor find
   * a secret key by its hash; a publishable key is still found by its token.
   */
  @Test
  void aSelectorCannotProbeASecretKeysStoredHash() throws IOException {
    ApiKeyDTO secret = store.createApiKey(new CreateApiKeyDTO("backend", "secret", "u"));
    ApiKeyDTO publishable = store.createApiKey(new CreateApiKeyDTO("shop", "publishable", "u"));
    String hash =
        db.jdbi()
            .withHandle(
                h ->
                    h.createQuery("select token from api_key where id = ?")
                        .bind(0, secret.id())
                        .mapTo(String.class)
                        .one());

    assertThat(store.listApiKeys(JSON.readTree("{\"token\": \"" + hash + "\"}"), null)).isEmpty();
    assertThat(store.listApiKeys(JSON.readTree("{\"token\": [\"" + hash + "\"]}"), null)).isEmpty();
    for (String probe :
        List.of(
            "{\"$like\": \"" + hash.charAt(0) + "%\"}",
            "{\"$re\": \"^" + hash.charAt(0) + "\"}",
            "{\"$gt\": \"" + hash.charAt(0) + "\"}",
            "{\"$ne\": \"x\"}",
            "{\"$not\": {\"$eq\": \"x\"}}")) {
      assertRefused(
          () -> {
            try {
              store.listApiKeys(JSON.readTree("{\"token\": " + probe + "}"), null);
            } catch (IOException e) {
              throw new IllegalStateException(e);
            }
          },
          ApiKeyErrorType.INVALID_DATA,
          "selector.token.$");
    }
    assertThat(
            store.listApiKeys(JSON.readTree("{\"token\": \"" + publishable.token() + "\"}"), null))
        .extracting(ApiKeyDTO::id)
        .containsExactly(publishable.id());
  }

  @Test
  void createRefusesBadInputNamingTheFieldAndInsertsNothing() {
    assertRefused(
        () -> store.createApiKey(new CreateApiKeyDTO(null, "secret", "u")),
        ApiKeyErrorType.INVALID_DATA,
        "title: is required and must not be blank");
    assertRefused(
        () -> store.createApiKey(new CreateApiKeyDTO("t", "admin", "u")),
        ApiKeyErrorType.INVALID_DATA,
        "type: must be \"publishable\" or \"secret\"");
    assertRefused(
        () -> store.createApiKey(new CreateApiKeyDTO("t", "secret", " ")),
        ApiKeyErrorType.INVALID_DATA,
        "created_by: is required and must not be blank");
    assertRefused(
        () ->
            store.createApiKeys(
                List.of(
                    new CreateApiKeyDTO("ok", "secret", "u"),
                    new CreateApiKeyDTO("t\0", "secret", "u"))),
        ApiKeyErrorType.INVALID_DATA,
        "data[1].title: contains a NUL character");
    assertThat(rowCount()).isZero();
  }

  @Test
  void listAndCountPagesAndOrders() {
    for (String title : List.of("c", "a", "b", "d")) {
      store.createApiKey(new CreateApiKeyDTO(title, "publishable", "u"));
    }
    ListResult page =
        store.listAndCountApiKeys(null, new FindConfig(1, 2, Map.of("title", "DESC")));
    assertThat(page.count()).isEqualTo(4);
    assertThat(page.apiKeys()).extracting(ApiKeyDTO::title).containsExactly("c", "b");
    assertRefused(
        () -> store.listApiKeys(null, new FindConfig(null, null, Map.of("salt", "asc"))),
        ApiKeyErrorType.INVALID_DATA,
        "config.order.salt: unknown field \"salt\"");
    assertRefused(
        () -> store.listApiKeys(null, new FindConfig(null, null, Map.of("title", "up"))),
        ApiKeyErrorType.INVALID_DATA,
        "config.order.title: expected \"ASC\" or \"DESC\"");
  }

  @Test
  void updateChangesTheTitleOnly() throws IOException {
    ApiKeyDTO a = store.createApiKey(new CreateApiKeyDTO("old", "secret", "u"));
    ApiKeyDTO updated = store.updateApiKey(a.id(), new UpdateApiKeyDTO("new"));
    assertThat(updated.title()).isEqualTo("new");
    assertThat(updated.updatedAt()).isAfterOrEqualTo(a.updatedAt());
    assertThat(store.authenticate(a.token())).isPresent();
    assertRefused(
        () -> store.updateApiKey("apk_nope", new UpdateApiKeyDTO("x")),
        ApiKeyErrorType.NOT_FOUND,
        "ApiKey with id: apk_nope was not found");

    List<ApiKeyDTO> bySelector =
        store.updateApiKeys(JSON.readTree("{\"title\":\"new\"}"), new UpdateApiKeyDTO("newer"));
    assertThat(bySelector).extracting(ApiKeyDTO::title).containsExactly("newer");
    assertRefused(
        () -> store.updateApiKeys(node("{}"), new UpdateApiKeyDTO("x")),
        ApiKeyErrorType.INVALID_DATA,
        "selector: an empty selector would match every key");
  }

  @Test
  void deleteRefusesKeysThatAreNotRevokedAndDeletesNone() {
    ApiKeyDTO revoked = store.createApiKey(new CreateApiKeyDTO("r", "secret", "u"));
    ApiKeyDTO active = store.createApiKey(new CreateApiKeyDTO("a", "secret", "u"));
    ApiKeyDTO pending = store.createApiKey(new CreateApiKeyDTO("p", "secret", "u"));
    db.jdbi()
        .useHandle(
            h -> {
              h.execute(
                  "update api_key set revoked_at = now() - interval '1 minute' where id = ?",
                  revoked.id());
              h.execute(
                  "update api_key set revoked_at = now() + interval '1 hour' where id = ?",
                  pending.id());
            });
    List<String> sorted = List.of(active.id(), pending.id()).stream().sorted().toList();

    assertRefused(
        () -> store.deleteApiKeys(List.of(revoked.id(), active.id(), pending.id())),
        ApiKeyErrorType.NOT_ALLOWED,
        "Cannot delete api keys that are not revoked - " + String.join(", ", sorted));
    assertThat(rowCount()).isEqualTo(3);

    store.deleteApiKeys(List.of(revoked.id()));
    assertThat(rowCount()).isEqualTo(2);
    assertRefused(
        () -> store.retrieveApiKey(revoked.id()),
        ApiKeyErrorType.NOT_FOUND,
        "ApiKey with id: " + revoked.id() + " was not found");
  }

  @Test
  void statementErrorsDoNotCarryBoundValues() {
    ApiKeyDTO created = store.createApiKey(new CreateApiKeyDTO("p", "publishable", "u"));
    assertThatThrownBy(
            () ->
                db.jdbi()
                    .useHandle(
                        h ->
                            h.attach(ApiKeyDao.class)
                                .insert(
                                    "apk_dup", created.token(), "", "r", "t", "publishable", "u")))
        .isInstanceOf(StatementException.class)
        .satisfies(
            e -> {
              assertThat(e.getMessage()).doesNotContain(created.token());
              assertThat(String.valueOf(e.getCause().getMessage())).doesNotContain(created.token());
            });
  }

  private void insertAsMedusa(JsonNode v, String type) {
    db.jdbi()
        .useHandle(
            h ->
                h.createUpdate(
                        "insert into api_key (id, token, salt, redacted, title, type, created_by)"
                            + " values (:id, :token, :salt, :redacted, 'medusa', :type, 'user_medusa')")
                    .bind("id", ApiKeyIds.newId())
                    .bind("token", v.get("stored_token").asText())
                    .bind("salt", v.get("salt").asText())
                    .bind("redacted", v.get("redacted").asText())
                    .bind("type", type)
                    .execute());
  }

  private long rowCount() {
    return db.jdbi()
        .withHandle(h -> h.select("select count(*) from api_key").mapTo(Long.class).one());
  }

  private static JsonNode node(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  static JsonNode vectors() throws IOException {
    try (InputStream in =
        ApiKeyStoreTest.class.getResourceAsStream("/medusa-api-key-hashes.json")) {
      return JSON.readTree(in);
    }
  }

  static void assertRefused(Runnable call, ApiKeyErrorType type, String messagePrefix) {
    assertThatThrownBy(call::run)
        .isInstanceOf(ApiKeyException.class)
        .satisfies(e -> assertThat(((ApiKeyException) e).getType()).isEqualTo(type))
        .hasMessageStartingWith(messagePrefix);
  }
}
