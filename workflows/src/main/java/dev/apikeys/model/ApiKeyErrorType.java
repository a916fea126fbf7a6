package dev.apikeys.model;

/**
 * The four kinds of refusal (docs/semantics.md#refusals). The names are used verbatim as the {@code
 * type} of a non-retryable {@code ApplicationFailure}, so a caller in any language can match on
 * them.
 */
public enum ApiKeyErrorType {
  INVALID_DATA,
  NOT_FOUND,
  NOT_ALLOWED,
  CONFLICT
}
