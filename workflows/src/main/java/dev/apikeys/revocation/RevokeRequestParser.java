package dev.apikeys.revocation;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.ApiKeyType;
import dev.apikeys.model.MessageText;
import java.math.BigDecimal;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Checks a revoke request the way docs/semantics.md#refusals says, before anything is scheduled.
 * Pure and deterministic, so it runs inside workflow code and, for the Java API, in the caller's
 * process before a workflow is even started.
 */
public final class RevokeRequestParser {
  /** Medusa's own message for a missing or blank {@code revoked_by}, word for word. */
  public static final String REVOKED_BY_REQUIRED =
      "You must provide a revoked_by field when revoking a key.";

  /** Ten years of 365.25 days: the furthest a revocation may be scheduled. */
  public static final long MAX_REVOKE_IN_SECONDS = 315_576_000L;

  /** Longer text is refused rather than stored or sent to the database. */
  public static final int MAX_TEXT_LENGTH = 10_000;

  /**
   * The longest {@code reason}: a word or a short phrase that labels the revocation in its events
   * ({@code "leaked"}), not a place for notes.
   */
  public static final int MAX_REASON_LENGTH = 100;

  private static final Set<String> REQUEST_FIELDS =
      Set.of("id", "selector", "data", "context", "reason");
  private static final Set<String> DATA_FIELDS = Set.of("revoked_by", "revoke_in");
  private static final Set<String> CONTEXT_TEXT_FIELDS =
      Set.of(
          "requestId",
          "transactionId",
          "runId",
          "eventGroupId",
          "idempotencyKey",
          "parentStepIdempotencyKey",
          "isolationLevel");
  private static final Set<String> CONTEXT_FLAG_FIELDS =
      Set.of(
          "preventReleaseEvents",
          "isCancelling",
          "cancelingFromParentStep",
          "enableNestedTransactions");

  private RevokeRequestParser() {}

  public static ValidRevokeRequest parse(RevokeRequest request) {
    JsonNode json = request == null ? null : request.json();
    if (json != null && json.isMissingNode()) {
      // ApiKeysDataConverter hands over a missing node for a payload it could not read, so that
      // such a payload is refused here instead of failing workflow tasks forever.
      throw ApiKeyException.invalidData(
          "request: not readable as JSON (malformed, or beyond the JSON reader's limits on"
              + " nesting and on the length of numbers and names)");
    }
    if (json == null || !json.isObject()) {
      throw ApiKeyException.invalidData(
          "request: expected a JSON object with \"id\" or \"selector\", \"data\" and"
              + " \"context\", got "
              + kind(json));
    }
    rejectUnknown(json, REQUEST_FIELDS, "request");
    JsonNode id = json.get("id");
    JsonNode selector = json.get("selector");
    if (id != null && selector != null) {
      throw ApiKeyException.invalidData("request: give either \"id\" or \"selector\", not both");
    }
    if (id == null && selector == null) {
      throw ApiKeyException.invalidData("request: give \"id\" or \"selector\"");
    }
    String keyId = null;
    if (id != null) {
      if (!id.isTextual()) {
        throw ApiKeyException.invalidData(
            "id: expected a string, got "
                + kind(id)
                + "; to revoke several keys use \"selector\": {\"id\": [...]}");
      }
      keyId = text("id", id);
      if (keyId.startsWith(ApiKeyType.SECRET.tokenPrefix())) {
        // An id never starts like a secret token; refusing here keeps a pasted token out of the
        // NOT_FOUND message, and out of workflow history when the Java API is the caller.
        throw ApiKeyException.invalidData(
            "id: looks like a raw secret token, not a key id; revoke the key by its id (apk_…)");
      }
    } else {
      if (!selector.isObject()) {
        throw ApiKeyException.invalidData("selector: expected an object, got " + kind(selector));
      }
      if (selector.isEmpty()) {
        throw ApiKeyException.invalidData(
            "selector: an empty selector would match every key; name the keys explicitly");
      }
    }

    JsonNode data = json.get("data");
    if (data == null || data.isNull()) {
      throw ApiKeyException.invalidData(REVOKED_BY_REQUIRED);
    }
    if (!data.isObject()) {
      throw ApiKeyException.invalidData("data: expected an object, got " + kind(data));
    }
    rejectUnknown(data, DATA_FIELDS, "data");
    String revokedBy = revokedBy(data.get("revoked_by"));
    long revokeIn = revokeInSeconds(data.get("revoke_in"), "data.revoke_in");

    SharedContext context = context(json.get("context"));
    String reason = reason(json.get("reason"));
    return new ValidRevokeRequest(
        keyId, keyId == null ? selector : null, revokedBy, revokeIn, context, reason);
  }

  /** The optional {@code reason}: absent or null means none; otherwise short, non-blank text. */
  private static String reason(JsonNode value) {
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isTextual()) {
      throw ApiKeyException.invalidData("reason: expected a string, got " + kind(value));
    }
    String reason = requireText(value.asText(), "reason");
    if (reason.length() > MAX_REASON_LENGTH) {
      throw ApiKeyException.invalidData("reason: longer than " + MAX_REASON_LENGTH + " characters");
    }
    if (MessageText.holdsSecretToken(reason)) {
      // The reason is kept in history, the revocation's row and every event: a pasted token
      // would stay there for good.
      throw ApiKeyException.invalidData(
          "reason: holds what looks like a raw secret token (sk_…); say why without it");
    }
    return reason;
  }

  /**
   * A {@code revoke_in} value: absent or null means 0; otherwise a whole JSON number of seconds
   * from 0 to ten years. Shared with the {@code reschedule} update.
   */
  public static long revokeInSeconds(JsonNode value, String path) {
    if (value == null || value.isNull()) {
      return 0;
    }
    if (!value.isNumber()) {
      throw ApiKeyException.invalidData(
          path + ": expected a whole number of seconds, got " + kind(value));
    }
    if (value.isFloatingPointNumber() && !Double.isFinite(value.doubleValue())) {
      // Jackson reads a literal beyond the range of a double (1e400) as infinity, which has no
      // BigDecimal form; without this the conversion below throws an untyped exception.
      throw ApiKeyException.invalidData(
          Double.isNaN(value.doubleValue())
              ? path + ": expected a whole number of seconds, got NaN"
              : value.doubleValue() < 0
                  ? path + ": must be 0 or more seconds"
                  : path + ": at most " + MAX_REVOKE_IN_SECONDS + " seconds (10 years)");
    }
    BigDecimal seconds = value.decimalValue();
    if (seconds.signum() < 0) {
      throw ApiKeyException.invalidData(path + ": must be 0 or more seconds");
    }
    if (seconds.stripTrailingZeros().scale() > 0) {
      throw ApiKeyException.invalidData(path + ": must be a whole number of seconds");
    }
    if (seconds.compareTo(BigDecimal.valueOf(MAX_REVOKE_IN_SECONDS)) > 0) {
      throw ApiKeyException.invalidData(
          path + ": at most " + MAX_REVOKE_IN_SECONDS + " seconds (10 years)");
    }
    return seconds.longValueExact();
  }

  private static String revokedBy(JsonNode value) {
    if (value == null || value.isNull() || (value.isTextual() && value.asText().isBlank())) {
      throw ApiKeyException.invalidData(REVOKED_BY_REQUIRED);
    }
    if (!value.isTextual()) {
      throw ApiKeyException.invalidData("data.revoked_by: expected a string, got " + kind(value));
    }
    return text("data.revoked_by", value);
  }

  private static SharedContext context(JsonNode json) {
    if (json == null || json.isNull()) {
      return SharedContext.EMPTY;
    }
    if (!json.isObject()) {
      throw ApiKeyException.invalidData("context: expected an object, got " + kind(json));
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      String path = "context." + field.getKey();
      JsonNode value = field.getValue();
      if (CONTEXT_TEXT_FIELDS.contains(field.getKey())) {
        if (!value.isNull() && !value.isTextual()) {
          throw ApiKeyException.invalidData(path + ": expected a string, got " + kind(value));
        }
        if (value.isTextual()) {
          text(path, value);
        }
      } else if (CONTEXT_FLAG_FIELDS.contains(field.getKey())) {
        if (!value.isNull() && !value.isBoolean()) {
          throw ApiKeyException.invalidData(path + ": expected true or false, got " + kind(value));
        }
      } else {
        String name = MessageText.shown(field.getKey());
        throw ApiKeyException.invalidData(
            "context."
                + name
                + ": unknown field \""
                + name
                + "\" (context fields are camelCase,"
                + " e.g. idempotencyKey)");
      }
    }
    String idempotencyKey = optionalText(json, "idempotencyKey");
    if (idempotencyKey != null && idempotencyKey.isBlank()) {
      throw ApiKeyException.invalidData("context.idempotencyKey: must not be blank");
    }
    return new SharedContext(
        optionalText(json, "requestId"),
        optionalText(json, "transactionId"),
        optionalText(json, "runId"),
        optionalText(json, "eventGroupId"),
        idempotencyKey,
        optionalText(json, "parentStepIdempotencyKey"),
        optionalFlag(json, "preventReleaseEvents"),
        optionalFlag(json, "isCancelling"),
        optionalFlag(json, "cancelingFromParentStep"),
        optionalText(json, "isolationLevel"),
        optionalFlag(json, "enableNestedTransactions"),
        null,
        null,
        null);
  }

  private static String optionalText(JsonNode json, String field) {
    JsonNode v = json.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static Boolean optionalFlag(JsonNode json, String field) {
    JsonNode v = json.get(field);
    return v == null || v.isNull() ? null : v.asBoolean();
  }

  /**
   * Free text a caller gives besides the request (who moves or cancels a revocation): not blank, no
   * NUL character, at most {@value #MAX_TEXT_LENGTH} characters.
   */
  public static String requireText(String value, String path) {
    if (value.isBlank()) {
      throw ApiKeyException.invalidData(path + ": must not be blank");
    }
    return checkedText(path, value);
  }

  private static String text(String path, JsonNode value) {
    return checkedText(path, value.asText());
  }

  private static String checkedText(String path, String s) {
    if (s.indexOf('\0') >= 0) {
      throw ApiKeyException.invalidData(path + ": contains a NUL character");
    }
    if (s.length() > MAX_TEXT_LENGTH) {
      throw ApiKeyException.invalidData(path + ": longer than " + MAX_TEXT_LENGTH + " characters");
    }
    return s;
  }

  private static void rejectUnknown(JsonNode object, Set<String> known, String path) {
    for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!known.contains(name)) {
        String shown = MessageText.shown(name);
        throw ApiKeyException.invalidData(path + "." + shown + ": unknown field \"" + shown + "\"");
      }
    }
  }

  static String kind(JsonNode node) {
    if (node == null || node.isMissingNode()) {
      return "nothing";
    }
    return node.getNodeType().name().toLowerCase(Locale.ROOT);
  }
}
