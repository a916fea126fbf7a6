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
import dev.apikeys.store.RotationDao.NewRotation;
import dev.apikeys.store.RotationDao.RotationKeyRow;
import dev.apikeys.store.RotationDao.RotationRow;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * The rotation tables and the successor keys they create. A successor's raw token exists only
 * inside {@link #createSuccessors}: it is stored as Medusa stores tokens (a secret one as its hash)
 * and leaves sealed to the rotation's recipient, never in clear.
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
          RotationDao dao = h.attach(RotationDao.class);
          Optional<RotationRow> existing = dao.findByWorkflowId(workflowId);
          if (existing.isPresent()) {
            return loadPlan(dao, existing.get());
          }
          if (!enabled) {
            throw ApiKeyException.notAllowed(
                "rotation is off on this worker: it issues new credentials, so it runs only where"
                    + " the operator set "
                    + ENABLED_VARIABLE
                    + "=true on the worker");
          }
          TokenSeal.requireUsable(request.recipient().publicKey());
          List<ApiKeyRow> keys =
              dao.lockSelected(condition.sql(), condition.params(), MAX_KEYS_PER_ROTATION + 1);
          if (request.id() != null) {
            String shown = MessageText.shown(request.id());
            if (keys.isEmpty()) {
              throw ApiKeyException.notFound("ApiKey with id \"" + shown + "\" not found");
            }
            if (keys.get(0).revokedAt() != null) {
              throw ApiKeyException.invalidData(
                  "ApiKey "
                      + shown
                      + " is already revoked or scheduled to be; it cannot"
                      + " be rotated");
            }
          }
          List<ApiKeyRow> active = keys.stream().filter(k -> k.revokedAt() == null).toList();
          if (active.size() > MAX_KEYS_PER_ROTATION) {
            throw ApiKeyException.invalidData(
                "selector: matches more than "
                    + MAX_KEYS_PER_ROTATION
                    + " active keys; rotate them in smaller groups");
          }
          String rotationId = ApiKeyIds.newId("rot_");
          dao.insert(
              new NewRotation(
                  rotationId,
                  workflowId,
                  request.rotatedBy(),
                  request.graceSeconds(),
                  active.size(),
                  request.recipient().name(),
                  request.recipient().publicKey()));
          if (!active.isEmpty()) {
            dao.insertKeys(
                rotationId,
                active.stream()
                    .map(key -> new RotationKeyRow(key.id(), ApiKeyIds.newId(), key.type()))
                    .toList());
          }
          return loadPlan(dao, dao.findByWorkflowId(workflowId).orElseThrow());
        });
  }

  /** See {@code RotationActivities#createSuccessors}. */
  public List<RotationResult.Successor> createSuccessors(String rotationId) {
    return jdbi.inTransaction(
        h -> {
          RotationDao dao = h.attach(RotationDao.class);
          RotationRow rotation = dao.lock(rotationId).orElseThrow();
          if ("created".equals(rotation.status())) {
            // A retry after a lost completion, or a re-run: the same successors, sealed as then.
            return loadSuccessors(dao, rotationId);
          }
          for (RotationKeyRow entry : dao.keys(rotationId)) {
            ApiKeyType type = ApiKeyType.fromValue(entry.keyType()).orElseThrow();
            SecretTokens.Generated token = SecretTokens.generate(type);
            int inserted =
                dao.insertSuccessor(
                    entry.newKeyId(),
                    token.storedToken(),
                    token.salt(),
                    token.redacted(),
                    entry.oldKeyId());
            if (inserted == 1) {
              SealedToken sealed =
                  TokenSeal.seal(rotation.recipientPublicKey(), entry.newKeyId(), token.rawToken());
              dao.seal(rotationId, entry.newKeyId(), json(sealed));
            }
          }
          dao.insertRotatedEvents(EVENT_ROTATED, rotationId);
          dao.markCreated(rotationId);
          return loadSuccessors(dao, rotationId);
        });
  }

  private static RotationPlan loadPlan(RotationDao dao, RotationRow row) {
    Recipient recipient =
        row.recipientPublicKey() == null
            ? null
            : new Recipient(row.recipientName(), row.recipientPublicKey());
    List<RotationPlan.Entry> entries =
        dao.keys(row.id()).stream()
            .map(k -> new RotationPlan.Entry(k.oldKeyId(), k.newKeyId(), k.keyType()))
            .toList();
    return new RotationPlan(
        row.id(),
        entries,
        "created".equals(row.status()),
        row.rotatedBy(),
        row.graceSeconds(),
        recipient);
  }

  /** Each successor with its sealed token; the DTO's token is empty, whatever the key's type. */
  private static List<RotationResult.Successor> loadSuccessors(RotationDao dao, String rotationId) {
    return dao.successors(rotationId).stream()
        .map(
            s ->
                new RotationResult.Successor(
                    s.oldKeyId(), s.key().toDto().withToken(""), sealedToken(s.sealed())))
        .toList();
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
