/**
 * Medusa's API Key Module shapes, as Java records with the module's JSON field names: {@code
 * ApiKeyDTO}, {@code CreateApiKeyDTO}, {@code UpdateApiKeyDTO}, {@code FilterableApiKeyProps},
 * {@code FindConfig}, {@code ListResult}, the events a caller's {@code MessageAggregator} receives,
 * and the refusal every layer throws, {@code ApiKeyException} with its four types ({@code
 * ApiKeyErrorType}: INVALID_DATA, NOT_FOUND, NOT_ALLOWED, CONFLICT).
 *
 * <p>{@code ApiKeysJson} is the one Jackson configuration for payloads, CLI output and the Java
 * API; {@code MessageText} is how a message may quote a value (never a raw secret token, never a
 * long value whole).
 *
 * <p>Plain values only: no workflow code, no IO, no database. Workflows, activities, the client and
 * the CLI all use these types, so they depend on Jackson and, for {@code ApiKeyException}'s
 * translation to and from {@code ApplicationFailure}, Temporal's failure types, and on nothing
 * else.
 */
package dev.apikeys.model;
