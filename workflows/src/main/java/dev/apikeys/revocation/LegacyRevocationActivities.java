package dev.apikeys.revocation;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.time.Instant;

/**
 * The activities as {@link LegacyRevokeApiKeysWorkflow} calls them: the same pinned names as {@link
 * RevocationActivities}, with the arguments and result shapes of that time. Only a stub is ever
 * made of it; the worker's {@link RevocationActivities} implementation serves these calls, reading
 * the arguments it lacks as absent and answering with fields this shape can read.
 */
@ActivityInterface
public interface LegacyRevocationActivities {

  @ActivityMethod(name = RevocationNames.ACTIVITY_SCHEDULE)
  RevokeResult schedule(ScheduleRevocation command);

  @ActivityMethod(name = RevocationNames.ACTIVITY_STAMP)
  RevokeResult stamp(String revocationId, Instant now);

  @ActivityMethod(name = RevocationNames.ACTIVITY_CANCEL)
  RevokeResult cancel(String revocationId);

  @ActivityMethod(name = RevocationNames.ACTIVITY_RESCHEDULE)
  RevokeResult reschedule(String revocationId, Instant scheduledAt);
}
