package dev.apikeys.model;

import java.util.Objects;

/**
 * A refusal of a request: the request was wrong, not the system. Callers see the type and a
 * message that names the problem; the message never carries a raw token or a salt.
 *
 * <p>Faults (database down, network) are never turned into this exception, because they are worth
 * retrying and a refusal is not.
 */
public class ApiKeyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ApiKeyErrorType type;

  /**
   * @param message what was wrong; passed through {@link MessageText#scrub}, so that a token or a
   *     long value quoted by whoever built it is not carried further
   */
  public ApiKeyException(ApiKeyErrorType type, String message) {
    super(MessageText.scrub(message));
    this.type = Objects.requireNonNull(type, "type");
  }

  public ApiKeyErrorType getType() {
    return type;
  }

  public static ApiKeyException invalidData(String message) {
    return new ApiKeyException(ApiKeyErrorType.INVALID_DATA, message);
  }

  public static ApiKeyException notFound(String message) {
    return new ApiKeyException(ApiKeyErrorType.NOT_FOUND, message);
  }

  public static ApiKeyException notAllowed(String message) {
    return new ApiKeyException(ApiKeyErrorType.NOT_ALLOWED, message);
  }

  public static ApiKeyException conflict(String message) {
    return new ApiKeyException(ApiKeyErrorType.CONFLICT, message);
  }

  @Override
  public String toString() {
    return type + ": " + getMessage();
  }
}
