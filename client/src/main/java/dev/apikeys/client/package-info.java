/**
 * What an application calls: {@code ApiKeyModuleService}, Medusa's API Key Module for Java with
 * {@code revoke} as a durable {@code RevokeApiKeysWorkflow} (Update-with-Start, returning once the
 * keys are scheduled), {@code RevocationHandle} to await, query, move or cancel one revocation, and
 * the answers of {@code revokeLeakedToken} ({@code LeakedTokenAnswer}, {@code LeakedTokensAnswer}).
 * The rotation client belongs here too.
 *
 * <p>Classes here hold a {@code WorkflowClient} and the stores; they run in the caller's process,
 * never in a worker. No workflow code lives here, and the tables are the stores' business ({@code
 * dev.apikeys.store}); a request is validated here before anything starts, so a refusal throws
 * {@code ApiKeyException} and changes nothing. No raw secret token given to this package ({@code
 * revokeLeakedToken}, {@code authenticate}) is ever put into a workflow's input.
 */
package dev.apikeys.client;
