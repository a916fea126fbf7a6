package dev.apikeys.activities;

import dev.apikeys.revocation.ReconcileActivities;
import dev.apikeys.revocation.ReconcileReport;

/** The reconcile step, run by the worker with its own client and database. */
public final class ReconcileActivitiesImpl implements ReconcileActivities {
  private final RevocationReconciler reconciler;

  public ReconcileActivitiesImpl(RevocationReconciler reconciler) {
    this.reconciler = reconciler;
  }

  @Override
  public ReconcileReport reconcile() {
    return Heartbeats.during(reconciler::reconcile);
  }
}
