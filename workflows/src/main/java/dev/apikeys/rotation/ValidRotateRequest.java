package dev.apikeys.rotation;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.ApiKeyType;
import dev.apikeys.model.MessageText;
import dev.apikeys.revocation.RevokeRequestParser;
import java.util.Base64;
import java.util.Iterator;
import java.util.Set;

/**
 * A rotation request that passed {@link #parse}: the same checks a revoke request gets, made before
 * anything is started or written (by the CLI before it starts the workflow, and by the workflow
 * itself for a request sent some other way).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ValidRotateRequest(
    @JsonProperty("id") String id,
    @JsonProperty("selector") JsonNode selector,
    @JsonProperty("rotated_by") String rotatedBy,
    @JsonProperty("grace_seconds") long graceSeconds,
    @JsonProperty("recipient") Recipient recipient) {

  private static final Set<String> FIELDS =
      Set.of("id", "selector", "rotated_by", "grace_seconds", "recipient");
  private static final Set<String> RECIPIENT_FIELDS = Set.of("name", "public_key");

  /** Names a service; longer is a mistake. */
  static final int MAX_RECIPIENT_NAME_LENGTH = 200;

  public static ValidRotateRequest parse(RotateRequest request) {
    JsonNode json = request == null ? null : request.json();
    if (json == null || !json.isObject()) {
      throw ApiKeyException.invalidData("request: expected a JSON object");
    }
    rejectUnknown(json, FIELDS, "request");
    JsonNode id = json.get("id");
    JsonNode selector = json.get("selector");
    if ((id == null) == (selector == null)) {
      throw ApiKeyException.invalidData("request: give exactly one of \"id\" and \"selector\"");
    }
    if (id != null && (!id.isTextual() || id.asText().isBlank())) {
      throw ApiKeyException.invalidData("id: expected a non-blank string");
    }
    String keyId = id == null ? null : text("id", id);
    if (keyId != null && keyId.startsWith(ApiKeyType.SECRET.tokenPrefix())) {
      // As for revoke: a pasted token is refused without being repeated, instead of reaching a
      // NOT_FOUND message, the workflow's failure and the worker's log.
      throw ApiKeyException.invalidData(
          "id: looks like a raw secret token, not a key id; rotate the key by its id (apk_…)");
    }
    if (selector != null && (!selector.isObject() || selector.isEmpty())) {
      throw ApiKeyException.invalidData("selector: expected a non-empty object");
    }
    JsonNode by = json.get("rotated_by");
    if (by == null || !by.isTextual() || by.asText().isBlank()) {
      throw ApiKeyException.invalidData("rotated_by: is required and must not be blank");
    }
    String rotatedBy = text("rotated_by", by);
    long grace = RevokeRequestParser.revokeInSeconds(json.get("grace_seconds"), "grace_seconds");
    Recipient recipient = recipient(json.get("recipient"));
    return new ValidRotateRequest(keyId, selector, rotatedBy, grace, recipient);
  }

  /**
   * The recipient: required, since a successor's token leaves the worker only sealed to it. The
   * key's bytes are checked here; whether X25519 accepts them is checked when the plan is made.
   */
  private static Recipient recipient(JsonNode json) {
    if (json == null || json.isNull()) {
      throw ApiKeyException.invalidData(
          "recipient: is required: {\"public_key\": \"<base64 X25519 public key>\", \"name\":"
              + " \"…\"}; the new tokens are sealed to it (apikeys rotation keygen makes a pair)");
    }
    if (!json.isObject()) {
      throw ApiKeyException.invalidData("recipient: expected an object");
    }
    rejectUnknown(json, RECIPIENT_FIELDS, "recipient");
    JsonNode key = json.get("public_key");
    if (key == null || !key.isTextual()) {
      throw ApiKeyException.invalidData(
          "recipient.public_key: expected the base64 of a 32-byte X25519 public key");
    }
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(key.asText().strip());
    } catch (IllegalArgumentException e) {
      bytes = null;
    }
    if (bytes == null || bytes.length != Recipient.PUBLIC_KEY_BYTES) {
      throw ApiKeyException.invalidData(
          "recipient.public_key: expected the base64 of a 32-byte X25519 public key");
    }
    JsonNode name = json.get("name");
    String recipientName = null;
    if (name != null && !name.isNull()) {
      if (!name.isTextual() || name.asText().isBlank()) {
        throw ApiKeyException.invalidData("recipient.name: expected a non-blank string");
      }
      recipientName = text("recipient.name", name);
      if (recipientName.length() > MAX_RECIPIENT_NAME_LENGTH) {
        throw ApiKeyException.invalidData(
            "recipient.name: longer than " + MAX_RECIPIENT_NAME_LENGTH + " characters");
      }
    }
    return new Recipient(recipientName, Base64.getEncoder().encodeToString(bytes));
  }

  /** Text PostgreSQL can store: no NUL, bounded (a NUL would fail every retry as a fault). */
  private static String text(String path, JsonNode value) {
    String s = value.asText();
    if (s.indexOf('\0') >= 0) {
      throw ApiKeyException.invalidData(path + ": contains a NUL character");
    }
    if (s.length() > RevokeRequestParser.MAX_TEXT_LENGTH) {
      throw ApiKeyException.invalidData(
          path + ": longer than " + RevokeRequestParser.MAX_TEXT_LENGTH + " characters");
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
}
