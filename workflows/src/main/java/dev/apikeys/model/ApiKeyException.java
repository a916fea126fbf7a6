package dev.apikeys.model;

import io.temporal.failure.ApplicationFailure;
import java.util.Objects;
import java.util.Optional;

/**
 * A refusal of a request: the request was wrong, not the system. Callers see the type and a message
 * that names the problem; the message never carries a raw token or a salt.
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

  /**
   * This refusal as workflow and activity code throws it: a non-retryable {@code
   * ApplicationFailure} whose type is the refusal's type name, so callers in any language match on
   * it and Temporal never retries it.
   */
  public ApplicationFailure toFailure() {
    return ApplicationFailure.newNonRetryableFailure(getMessage(), type.name());
  }

  /**
   * The refusal a Temporal failure carries, wherever in its cause chain: the {@code
   * ApplicationFailure} whose type names a refusal. Empty for anything else (a fault).
   */
  public static Optional<ApiKeyException> from(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof ApplicationFailure app) {
        for (ApiKeyErrorType candidate : ApiKeyErrorType.values()) {
          if (candidate.name().equals(app.getType())) {
            return Optional.of(new ApiKeyException(candidate, app.getOriginalMessage()));
          }
        }
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return type + ": " + getMessage();
  }
}
