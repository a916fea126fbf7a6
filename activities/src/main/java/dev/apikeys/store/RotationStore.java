package dev.apikeys.store;

import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.ApiKeyType;
import dev.apikeys.rotation.IssuedToken;
import dev.apikeys.rotation.RotationPlan;
import dev.apikeys.rotation.RotationResult;
import dev.apikeys.rotation.ValidRotateRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/** The rotation tables and the successor keys they create. */
public final class RotationStore {
  /** Rotation hands back every successor's raw token in one result; this keeps it bounded. */
  public static final int MAX_KEYS_PER_ROTATION = 1_000;

  static final String EVENT_ROTATED = "api_key.rotated";

  private final Jdbi jdbi;
  private final SelectorCompiler selectors = SelectorCompiler.refusingSecretTokens();
  private final SelectorQueries selectorQueries;

  public RotationStore(Jdbi jdbi, Duration selectorTimeout) {
    this.jdbi = jdbi;
    this.selectorQueries = new SelectorQueries(selectorTimeout);
  }

  /** See {@code RotationActivities#plan}; {@code encryptedPayloads} says whether a codec is on. */
  public RotationPlan plan(String workflowId, ValidRotateRequest request, boolean encryptedPayloads) {
    SqlCondition condition =
        request.id() != null
            ? new SqlCondition("id = :s1", Map.of("s1", request.id()), 1)
            : selectors.compileNonEmpty(request.selector());
    return selectorQueries.inTransaction(
        jdbi,
        h -> {
          Optional<String[]> existing =
              h.createQuery("select id, status from apikeys_rotation where workflow_id = :w")
                  .bind("w", workflowId)
                  .map((rs, ctx) -> new String[] {rs.getString("id"), rs.getString("status")})
                  .findOne();
          if (existing.isPresent()) {
            return loadPlan(h, existing.get()[0], "created".equals(existing.get()[1]));
          }
          List<ApiKeyRow> keys =
              h.createQuery(
                      "select " + ApiKeyRow.COLUMNS + " from api_key where deleted_at is null and ("
                          + condition.sql() + ") order by id limit :limit for update")
                  .bindMap(condition.params())
                  .bind("limit", MAX_KEYS_PER_ROTATION + 1)
                  .mapTo(ApiKeyRow.class)
                  .list();
          if (request.id() != null) {
            if (keys.isEmpty()) {
              throw ApiKeyException.notFound("ApiKey with id \"" + request.id() + "\" not found");
            }
            if (keys.get(0).revokedAt() != null) {
              throw ApiKeyException.invalidData(
                  "ApiKey " + request.id() + " is already revoked or scheduled to be; it cannot"
                      + " be rotated");
            }
          }
          List<ApiKeyRow> active = keys.stream().filter(k -> k.revokedAt() == null).toList();
          if (active.size() > MAX_KEYS_PER_ROTATION) {
            throw ApiKeyException.invalidData(
                "selector: matches more than " + MAX_KEYS_PER_ROTATION
                    + " active keys; rotate them in smaller groups");
          }
          if (!encryptedPayloads
              && active.stream().anyMatch(k -> ApiKeyType.SECRET.value().equals(k.type()))) {
            throw ApiKeyException.notAllowed(
                "rotating secret keys returns their new raw tokens through workflow history;"
                    + " configure APIKEYS_CODEC_KEYS on the worker and its clients so payloads"
                    + " are encrypted");
          }
          String rotationId = ApiKeyIds.newId("rot_");
          h.createUpdate(
                  "insert into apikeys_rotation (id, workflow_id, rotated_by, grace_seconds,"
                      + " status, key_count) values (:id, :w, :by, :grace, 'planned', :n)")
              .bind("id", rotationId)
              .bind("w", workflowId)
              .bind("by", request.rotatedBy())
              .bind("grace", request.graceSeconds())
              .bind("n", active.size())
              .execute();
          var batch =
              h.prepareBatch(
                  "insert into apikeys_rotation_key (rotation_id, old_key_id, new_key_id, key_type)"
                      + " values (:rotation, :old, :new, :type)");
          for (ApiKeyRow key : active) {
            batch
                .bind("rotation", rotationId)
                .bind("old", key.id())
                .bind("new", ApiKeyIds.newId())
                .bind("type", key.type())
                .add();
          }
          if (!active.isEmpty()) {
            batch.execute();
          }
          return loadPlan(h, rotationId, false);
        });
  }

  /** See {@code RotationActivities#issueTokens}: fresh raw tokens, nothing stored. */
  public List<IssuedToken> issueTokens(RotationPlan plan) {
    List<IssuedToken> tokens = new ArrayList<>();
    for (RotationPlan.Entry entry : plan.entries()) {
      ApiKeyType type = ApiKeyType.fromValue(entry.type()).orElseThrow();
      tokens.add(new IssuedToken(entry.newKeyId(), SecretTokens.generate(type).rawToken()));
    }
    return tokens;
  }

  /** See {@code RotationActivities#createSuccessors}. */
  public List<RotationResult.Successor> createSuccessors(
      String rotationId, List<IssuedToken> tokens) {
    return jdbi.inTransaction(
        h -> {
          for (IssuedToken issued : tokens) {
            String token = issued.token();
            boolean secret = token.startsWith(ApiKeyType.SECRET.tokenPrefix());
            String salt = secret ? SecretTokens.newSalt() : "";
            String stored = secret ? SecretTokens.hash(token, salt) : token;
            // A retry after a lost completion finds the successor already there and keeps it.
            h.createUpdate(
                    "insert into api_key (id, token, salt, redacted, title, type, created_by)"
                        + " select rk.new_key_id, :token, :salt, :redacted, k.title, k.type,"
                        + " k.created_by from apikeys_rotation_key rk"
                        + " join api_key k on k.id = rk.old_key_id"
                        + " where rk.rotation_id = :rotation and rk.new_key_id = :new"
                        + " on conflict (id) do nothing")
                .bind("token", stored)
                .bind("salt", salt)
                .bind("redacted", SecretTokens.redact(token))
                .bind("rotation", rotationId)
                .bind("new", issued.newKeyId())
                .execute();
          }
          h.createUpdate(
                  "insert into apikeys_event (id, name, api_key_id, data, released_at, release_seq)"
                      + " select " + EventOutbox.NEW_EVENT_ID + ","
                      + " :name, rk.old_key_id,"
                      + " jsonb_build_object('id', rk.old_key_id, 'successor_id', rk.new_key_id,"
                      + "   'rotation_id', rk.rotation_id),"
                      + " now(), nextval('apikeys_event_release_seq')"
                      + " from apikeys_rotation_key rk where rk.rotation_id = :rotation"
                      + " order by rk.old_key_id"
                      + " on conflict (api_key_id) where name = 'api_key.rotated' do nothing")
              .bind("name", EVENT_ROTATED)
              .bind("rotation", rotationId)
              .execute();
          h.createUpdate(
                  "update apikeys_rotation set status = 'created', completed_at = now()"
                      + " where id = :rotation")
              .bind("rotation", rotationId)
              .execute();
          List<RotationResult.Successor> successors = new ArrayList<>();
          for (IssuedToken issued : tokens) {
            ApiKeyRow row =
                h.createQuery(
                        "select " + ApiKeyRow.COLUMNS + " from api_key where id = :id")
                    .bind("id", issued.newKeyId())
                    .mapTo(ApiKeyRow.class)
                    .one();
            String oldId =
                h.createQuery("select old_key_id from apikeys_rotation_key where new_key_id = :id")
                    .bind("id", issued.newKeyId())
                    .mapTo(String.class)
                    .one();
            successors.add(
                new RotationResult.Successor(oldId, row.toDto().withToken(issued.token())));
          }
          return successors;
        });
  }

  private static RotationPlan loadPlan(Handle h, String rotationId, boolean created) {
    List<RotationPlan.Entry> entries =
        h.createQuery(
                "select old_key_id, new_key_id, key_type from apikeys_rotation_key"
                    + " where rotation_id = :r order by old_key_id")
            .bind("r", rotationId)
            .map(
                (rs, ctx) ->
                    new RotationPlan.Entry(
                        rs.getString("old_key_id"), rs.getString("new_key_id"),
                        rs.getString("key_type")))
            .list();
    return new RotationPlan(rotationId, entries, created);
  }

}
