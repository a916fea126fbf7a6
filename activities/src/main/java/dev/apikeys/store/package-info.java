/**
 * Everything that touches PostgreSQL: {@code Database} (the one {@code Jdbi} configuration), {@code
 * Migrations} (Flyway, Medusa's {@code api_key} table only where it does not exist), {@code
 * ApiKeyStore} (Medusa's module: create, list, retrieve, update, delete, authenticate), {@code
 * RevocationStore} (the revocation tables and what they do to {@code api_key}), {@code
 * RotationStore}, {@code EventOutbox} ({@code apikeys_event}), the selector language ({@code
 * SelectorCompiler} to {@code SqlCondition}, run by {@code SelectorQueries} under a statement
 * timeout and {@code SelectorConcurrency}'s limit), and Medusa's token format ({@code
 * SecretTokens}, {@code ApiKeyIds}, {@code VerifiedSecretTokens}).
 *
 * <p>The rules here: SQL is always parameterized (a selector's columns come from a fixed table, its
 * values are bound); each store method is one transaction that does all it was asked or, on a
 * refusal, nothing; every revocation method is safe to run twice; row shapes that hold a hash or a
 * salt ({@code ApiKeyRow}) never leave the package except as a DTO without them, and no error
 * message carries a bound value. No Temporal types live here: the activities translate.
 */
package dev.apikeys.store;
