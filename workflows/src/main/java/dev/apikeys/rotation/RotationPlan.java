package dev.apikeys.rotation;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * Which keys a rotation covers and the ids their successors will have, fixed once so that a retry
 * creates the same successors, never more; and what the rotation recorded when it was planned (who
 * rotates, the grace period, the recipient), which a re-run of the same workflow keeps.
 *
 * @param alreadyCreated true when an earlier run of this workflow already created the successors
 */
public record RotationPlan(
    @JsonProperty("rotation_id") String rotationId,
    @JsonProperty("entries") List<Entry> entries,
    @JsonProperty("already_created") boolean alreadyCreated,
    @JsonProperty("rotated_by") String rotatedBy,
    @JsonProperty("grace_seconds") long graceSeconds,
    @JsonProperty("recipient") Recipient recipient) {

  public RotationPlan {
    entries = List.copyOf(entries);
  }

  /** One old key and its successor's id and type. */
  public record Entry(
      @JsonProperty("old_key_id") String oldKeyId,
      @JsonProperty("new_key_id") String newKeyId,
      @JsonProperty("type") String type) {}
}
