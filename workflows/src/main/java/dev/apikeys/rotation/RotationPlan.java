package dev.apikeys.rotation;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * Which keys a rotation covers and the ids their successors will have, fixed once so that a retry
 * creates the same successors, never more.
 *
 * @param alreadyCreated true when an earlier run of this workflow already created the successors
 *     (their raw tokens were returned then and cannot be shown again)
 */
public record RotationPlan(
    @JsonProperty("rotation_id") String rotationId,
    @JsonProperty("entries") List<Entry> entries,
    @JsonProperty("already_created") boolean alreadyCreated) {

  public RotationPlan {
    entries = List.copyOf(entries);
  }

  /** One old key and its successor's id and type. */
  public record Entry(
      @JsonProperty("old_key_id") String oldKeyId,
      @JsonProperty("new_key_id") String newKeyId,
      @JsonProperty("type") String type) {}
}
