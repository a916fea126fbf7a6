/**
 * Examples of workflows that use a revocation as one step: {@code OffboardUserWorkflow} revokes
 * every key a user created after a grace period, through {@code ChildRevocations}, and cancelling
 * the offboarding during the grace period puts the keys back. They show how; they are not part of
 * the product, and the production worker need not register them.
 *
 * <h2>Determinism</h2>
 *
 * <p>This is workflow code and follows the rules written out in {@code dev.apikeys.revocation}'s
 * package documentation: time from {@code Workflow.currentTimeMillis()}, waiting with {@code
 * Workflow.newTimer}/{@code Workflow.await}, no IO, environment or JDBI, and a change in the
 * commands issued behind {@code Workflow.getVersion}.
 *
 * <h2>Pinned names</h2>
 *
 * <p>Workflow type {@code OffboardUserWorkflow}; its child revocation's id is derived from the
 * offboarding's workflow id and the step name {@code revoke-user-keys}.
 */
package dev.apikeys.examples;
