package dev.apikeys.revocation;

import com.fasterxml.jackson.annotation.JsonValue;

/** Where a revocation is, as the {@code status} query and the result spell it. */
public enum RevocationState {
  /** The request is being validated and its keys resolved. */
  VALIDATING("validating"),
  /** The keys carry the scheduled instant; the workflow waits on its timer. */
  SCHEDULED("scheduled"),
  /** The instant has passed and the stamp is being written. */
  REVOKING("revoking"),
  /** Stamped: final {@code revoked_at}, events recorded. */
  REVOKED("revoked"),
  /** Cancelled before the instant; the keys are as if it had never been asked for. */
  CANCELLED("cancelled"),
  /** The request was refused; nothing changed. */
  REFUSED("refused"),
  /** Started with {@code context.isCancelling}: nothing was scheduled. */
  SKIPPED("skipped");

  private final String value;

  RevocationState(String value) {
    this.value = value;
  }

  @JsonValue
  public String value() {
    return value;
  }

  /** The state spelled as in the database and JSON. */
  public static RevocationState fromValue(String text) {
    for (RevocationState s : values()) {
      if (s.value.equals(text)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown revocation state " + text);
  }
}
