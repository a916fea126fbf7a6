package dev.apikeys.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.ApiKeyType;
import dev.apikeys.model.ApiKeysJson;
import dev.apikeys.model.MessageText;
import dev.apikeys.rotation.Recipient;
import dev.apikeys.rotation.RotationPlan;
import dev.apikeys.rotation.RotationResult;
import dev.apikeys.rotation.SealedToken;
import dev.apikeys.rotation.ValidRotateRequest;
import dev.apikeys.sealing.TokenSeal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * The rotation tables and the successor keys they create. A successor's raw token exists only
 * inside {@link #createSuccessors}: it is stored as Medusa stores tokens (a secret one as its
 * hash) and leaves sealed to the rotation's recipient, never in clear.
 */
public final class RotationStore {
  /** Rotation hands back every successor's sealed token in one result; this keeps it bounded. */
  public static final int MAX_KEYS_PER_ROTATION = 1_000;

  /** The worker variable that enables rotation; named in the refusal when it is off. */
  public static final String ENABLED_VARIABLE = "APIKEYS_ROTATION_ENABLED";

  static final String EVENT_ROTATED = "api_key.rotated";

  private static final ObjectMapper JSON = ApiKeysJson.newObjectMapper();

  private final Jdbi jdbi;
  private final SelectorCompiler selectors;
  private final SelectorQueries selectorQueries;

  /** A store of its own; a process builds its stores once, in {@link ApiKeysDatabase}. */
  public RotationStore(Jdbi jdbi, Duration selectorTimeout) {
    this(jdbi, SelectorCompiler.refusingSecretTokens(), new SelectorQueries(selectorTimeout));
  }

  /** With the collaborators {@link ApiKeysDatabase} shares among the stores. */
  RotationStore(Jdbi jdbi, SelectorCompiler selectors, SelectorQueries selectorQueries) {
    this.jdbi = jdbi;
    this.selectors = selectors;
    this.selectorQueries = selectorQueries;
  }

  /** What {@code apikeys_rotation} recorded of one rotation. */
  private record RotationRow(
      String id,
      String status,
      String rotatedBy,
      long graceSeconds,
      String recipientName,
      String recipientPublicKey) {}

  /**
   * See {@code RotationActivities#plan}.
   *
   * @param enabled whether this worker allows rotation; a rotation planned earlier under this
   *     workflow id is returned either way, since continuing it mints no new credential
   */
  public RotationPlan plan(String workflowId, ValidRotateRequest request, boolean enabled) {
    SqlCondition condition =
        request.id() != null
            ? new SqlCondition("id = :s1", Map.of("s1", request.id()), 1)
            : selectors.compileNonEmpty(request.selector());
    return selectorQueries.inTransaction(
        jdbi,
        h -> {
          Optional<RotationRow> existing = findByWorkflowId(h, workflowId);
          if (existing.isPresent()) {
            return loadPlan(h, existing.get());
          }
          if (!enabled) {
            throw ApiKeyException.notAllowed(
                "rotation is off on this worker: it issues new credentials, so it runs only where"
                    + " the operator set " + ENABLED_VARIABLE + "=true on the worker");
          }
          TokenSeal.requireUsable(request.recipient().publicKey());
          List<ApiKeyRow> keys =
              h.createQuery(
                      "select " + ApiKeyRow.COLUMNS + " from api_key where deleted_at is null and ("
                          + condition.sql() + ") order by id limit :limit for update")
                  .bindMap(condition.params())
                  .bind("limit", MAX_KEYS_PER_ROTATION + 1)
                  .mapTo(ApiKeyRow.class)
                  .list();
          if (request.id() != null) {
            String shown = MessageText.shown(request.id());
            if (keys.isEmpty()) {
              throw ApiKeyException.notFound("ApiKey with id \"" + shown + "\" not found");
            }
            if (keys.get(0).revokedAt() != null) {
              throw ApiKeyException.invalidData(
                  "ApiKey " + shown + " is already revoked or scheduled to be; it cannot"
                      + " be rotated");
            }
          }
          List<ApiKeyRow> active = keys.stream().filter(k -> k.revokedAt() == null).toList();
          if (active.size() > MAX_KEYS_PER_ROTATION) {
            throw ApiKeyException.invalidData(
                "selector: matches more than " + MAX_KEYS_PER_ROTATION
                    + " active keys; rotate them in smaller groups");
          }
          String rotationId = ApiKeyIds.newId("rot_");
          h.createUpdate(
                  "insert into apikeys_rotation (id, workflow_id, rotated_by, grace_seconds,"
                      + " status, key_count, recipient_name, recipient_public_key)"
                      + " values (:id, :w, :by, :grace, 'planned', :n, :recipientName,"
                      + " :recipientKey)")
              .bind("id", rotationId)
              .bind("w", workflowId)
              .bind("by", request.rotatedBy())
              .bind("grace", request.graceSeconds())
              .bind("n", active.size())
              .bind("recipientName", request.recipient().name())
              .bind("recipientKey", request.recipient().publicKey())
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
          return loadPlan(h, findByWorkflowId(h, workflowId).orElseThrow());
        });
  }

  /** See {@code RotationActivities#createSuccessors}. */
  public List<RotationResult.Successor> createSuccessors(String rotationId) {
    return jdbi.inTransaction(
        h -> {
          RotationRow rotation =
              h.createQuery(
                      "select id, status, rotated_by, grace_seconds, recipient_name,"
                          + " recipient_public_key from apikeys_rotation where id = :id"
                          + " for update")
                  .bind("id", rotationId)
                  .map(RotationStore::rotationRow)
                  .one();
          if ("created".equals(rotation.status())) {
            // A retry after a lost completion, or a re-run: the same successors, sealed as then.
            return loadSuccessors(h, rotationId);
          }
          for (RotationPlan.Entry entry : entries(h, rotationId)) {
            ApiKeyType type = ApiKeyType.fromValue(entry.type()).orElseThrow();
            SecretTokens.Generated token = SecretTokens.generate(type);
            // The old key gives title, type and created_by; one deleted since the plan (only a
            // revoked key can be) gets no successor.
            int inserted =
                h.createUpdate(
                        "insert into api_key (id, token, salt, redacted, title, type, created_by)"
                            + " select :new, :token, :salt, :redacted, k.title, k.type,"
                            + " k.created_by from api_key k where k.id = :old"
                            + " on conflict (id) do nothing")
                    .bind("new", entry.newKeyId())
                    .bind("token", token.storedToken())
                    .bind("salt", token.salt())
                    .bind("redacted", token.redacted())
                    .bind("old", entry.oldKeyId())
                    .execute();
            if (inserted == 1) {
              SealedToken sealed =
                  TokenSeal.seal(rotation.recipientPublicKey(), entry.newKeyId(),
                      token.rawToken());
              h.createUpdate(
                      "update apikeys_rotation_key set sealed_token = cast(:sealed as jsonb)"
                          + " where rotation_id = :rotation and new_key_id = :new")
                  .bind("sealed", json(sealed))
                  .bind("rotation", rotationId)
                  .bind("new", entry.newKeyId())
                  .execute();
            }
          }
          // One event per rotated key carries the sealed token: a recipient service that follows
          // the outbox gets its new tokens there, as it would from the workflow's result.
          h.createUpdate(
                  "insert into apikeys_event (id, name, api_key_id, data, released_at, release_seq)"
                      + " select " + EventOutbox.NEW_EVENT_ID + ","
                      + " :name, rk.old_key_id,"
                      + " jsonb_build_object('id', rk.old_key_id, 'successor_id', rk.new_key_id,"
                      + "   'rotation_id', rk.rotation_id, 'recipient', r.recipient_name,"
                      + "   'sealed_token', rk.sealed_token),"
                      + " now(), nextval('apikeys_event_release_seq')"
                      + " from apikeys_rotation_key rk join apikeys_rotation r on r.id ="
                      + " rk.rotation_id where rk.rotation_id = :rotation"
                      + " and rk.sealed_token is not null"
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
          return loadSuccessors(h, rotationId);
        });
  }

  private static Optional<RotationRow> findByWorkflowId(Handle h, String workflowId) {
    return h.createQuery(
            "select id, status, rotated_by, grace_seconds, recipient_name, recipient_public_key"
                + " from apikeys_rotation where workflow_id = :w")
        .bind("w", workflowId)
        .map(RotationStore::rotationRow)
        .findOne();
  }

  private static RotationRow rotationRow(ResultSet rs, StatementContext ctx) throws SQLException {
    return new RotationRow(
        rs.getString("id"), rs.getString("status"), rs.getString("rotated_by"),
        rs.getLong("grace_seconds"), rs.getString("recipient_name"),
        rs.getString("recipient_public_key"));
  }

  private static List<RotationPlan.Entry> entries(Handle h, String rotationId) {
    return h.createQuery(
            "select old_key_id, new_key_id, key_type from apikeys_rotation_key"
                + " where rotation_id = :r order by old_key_id")
        .bind("r", rotationId)
        .map(
            (rs, ctx) ->
                new RotationPlan.Entry(
                    rs.getString("old_key_id"), rs.getString("new_key_id"),
                    rs.getString("key_type")))
        .list();
  }

  private static RotationPlan loadPlan(Handle h, RotationRow row) {
    Recipient recipient =
        row.recipientPublicKey() == null
            ? null
            : new Recipient(row.recipientName(), row.recipientPublicKey());
    return new RotationPlan(row.id(), entries(h, row.id()), "created".equals(row.status()),
        row.rotatedBy(), row.graceSeconds(), recipient);
  }

  /** Each successor with its sealed token; the DTO's token is empty, whatever the key's type. */
  private static List<RotationResult.Successor> loadSuccessors(Handle h, String rotationId) {
    return h.createQuery(
            "select rk.old_key_id, cast(rk.sealed_token as text) as sealed, "
                + ApiKeyRow.COLUMNS.replaceAll("(^|, )", "$1k.")
                + " from apikeys_rotation_key rk join api_key k on k.id = rk.new_key_id"
                + " where rk.rotation_id = :r order by rk.old_key_id")
        .bind("r", rotationId)
        .map(
            (rs, ctx) ->
                new RotationResult.Successor(
                    rs.getString("old_key_id"),
                    ApiKeyRow.MAPPER.map(rs, ctx).toDto().withToken(""),
                    sealedToken(rs.getString("sealed"))))
        .list();
  }

  private static SealedToken sealedToken(String json) {
    if (json == null) {
      return null;
    }
    try {
      return JSON.readValue(json, SealedToken.class);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("apikeys_rotation_key.sealed_token is not a sealed token");
    }
  }

  private static String json(SealedToken sealed) {
    try {
      return JSON.writeValueAsString(sealed);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("could not write a sealed token", e);
    }
  }
}
