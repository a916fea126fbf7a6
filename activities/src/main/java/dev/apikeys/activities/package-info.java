/**
 * The activity implementations the worker registers: {@code RevocationActivitiesImpl} (schedule,
 * stamp, cancel, reschedule), {@code RotationActivitiesImpl}, {@code ReconcileActivitiesImpl}, and
 * {@code RevocationReconciler}, which finishes scheduled revocations whose workflow is gone (run by
 * the reconcile activity and by {@code apikeys revocation reconcile}).
 *
 * <p>An activity here translates between Temporal and the stores: it calls one store method (one
 * transaction), turns an {@code ApiKeyException} into a non-retryable {@code ApplicationFailure} of
 * the same type, and leaves every other exception to Temporal's retries; {@code Heartbeats} keeps a
 * long statement visible to Temporal. SQL does not live here (it is in {@code dev.apikeys.store}),
 * nor does any decision a workflow must make deterministically.
 *
 * <p>The activity names are pinned in {@code dev.apikeys.revocation.RevocationNames} and the
 * rotation interface; implementations must keep them.
 */
package dev.apikeys.activities;
