/**
 * Scheduled key rotation: {@code RotateApiKeysWorkflow}, its activity interface, request and result
 * payloads, and {@code SealedToken}, the sealed form in which a successor's raw token leaves the
 * worker (docs/rotation.md). The old keys are revoked through a child {@code
 * RevokeApiKeysWorkflow}, so rotation inherits every promise of a revocation.
 *
 * <h2>Determinism</h2>
 *
 * <p>{@code RotateApiKeysWorkflowImpl} is workflow code and follows the rules written out in {@code
 * dev.apikeys.revocation}'s package documentation: time from {@code Workflow.currentTimeMillis()},
 * waiting with {@code Workflow.newTimer}/{@code Workflow.await}, no IO, environment, JDBI or
 * logging but {@code Workflow.getLogger}, and any change in the commands it issues behind {@code
 * Workflow.getVersion}. A raw token never appears in this package's payloads: the activity that
 * creates a successor seals its token before returning.
 *
 * <h2>Pinned names</h2>
 *
 * <ul>
 *   <li>workflow type {@code RotateApiKeysWorkflow};
 *   <li>activities {@code PlanRotation} and {@code CreateSealedSuccessors};
 *   <li>workflow id prefix {@code rotate-apikeys-} (a Schedule appends each run's start time).
 * </ul>
 *
 * <p>Rotation runs only on a worker started with {@code APIKEYS_ROTATION_ENABLED=true}.
 */
package dev.apikeys.rotation;
