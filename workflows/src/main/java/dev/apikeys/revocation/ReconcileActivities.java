package dev.apikeys.revocation;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/** The reconciler's one step: it talks to Temporal and the database, so it is an activity. */
@ActivityInterface
public interface ReconcileActivities {
  @ActivityMethod(name = RevocationNames.ACTIVITY_RECONCILE)
  ReconcileReport reconcile();
}
