package dev.apikeys.worker;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apikeys.module.ApiKeyModuleService;
import dev.apikeys.module.RevocationHandle;
import dev.apikeys.revocation.RevokeApiKeyDTO;
import dev.apikeys.revocation.RevokeRequest;
import dev.apikeys.revocation.RevokeResult;
import dev.apikeys.revocation.SharedContext;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code apikeys revoke}: Medusa's {@code revoke(id | selector, data, context)} from the shell. It
 * prints the revocation as soon as its keys are scheduled; with {@code --wait} it then waits for
 * the stamp and prints the final result.
 */
@Command(
    name = "revoke",
    description = {
      "Revoke one key (--id) or every key a selector matches (--selector), now or in --revoke-in"
          + " seconds, as a durable RevokeApiKeysWorkflow.",
      "Prints the scheduled revocation (its workflow_id included) as JSON; with --wait, waits for"
          + " the instant and prints the final result."
    })
final class RevokeCommand extends ApiKeysCommand.Subcommand {

  /** Exactly one of the two overloads' first arguments. */
  static final class Target {
    @Option(names = "--id", paramLabel = "<id>", required = true, description = "The key's id (apk_…).")
    String id;

    @Option(
        names = "--selector", paramLabel = "<json>",
        required = true,
        description =
            "Selector JSON (Medusa's FilterableApiKeyProps), e.g. '{\"type\":\"secret\"}'.")
    String selector;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Target target;

  @Option(names = "--revoked-by", paramLabel = "<who>", required = true, description = "Who revokes, e.g. user_123.")
  String revokedBy;

  @Option(names = "--revoke-in", paramLabel = "<seconds>", description = "Seconds from now (default 0: at once).")
  Long revokeIn;

  @Option(
      names = "--idempotency-key", paramLabel = "<key>",
      description = "The same key again returns the same revocation instead of a second one.")
  String idempotencyKey;

  @Option(names = "--event-group-id", paramLabel = "<group>", description = "Groups the api_key.revoked events.")
  String eventGroupId;

  @Option(
      names = "--prevent-release-events",
      description = "Hold the events until `apikeys events release GROUP`.")
  boolean preventReleaseEvents;

  @Option(names = "--wait", description = "Wait until the keys are revoked and print the result.")
  boolean await;

  @Override
  public Integer call() {
    CommandContext context = context();
    // Parsed before anything connects, so a typo in the JSON costs no round trip.
    JsonNode selector = target.id == null ? context.parseJson("--selector", target.selector) : null;
    RevokeApiKeyDTO data = new RevokeApiKeyDTO(revokedBy, revokeIn);
    SharedContext shared = sharedContext();
    RevokeRequest request =
        target.id != null
            ? RevokeRequest.ofId(target.id, data, shared)
            : RevokeRequest.ofSelector(selector, data, shared);

    ApiKeyModuleService service = context.moduleService();
    RevocationHandle handle;
    try {
      handle = service.startRevoke(request);
    } catch (RuntimeException e) {
      throw Failures.withWorkflowOutcome(e, context.temporal().client());
    }
    RevokeResult scheduled = handle.scheduled();
    if (!await) {
      context.print(scheduled);
      return ApiKeysCommand.ExitCodes.OK;
    }
    context.err().println(
        "scheduled " + scheduled.revocationId() + " for " + scheduled.keyCount()
            + (scheduled.keyCount() == 1 ? " key" : " keys") + " at " + scheduled.scheduledAt()
            + "; waiting…");
    context.err().flush();
    return RevocationCommand.awaitAndPrint(context, handle, RevocationCommand.WAIT_UNTIL_CLOSED);
  }

  private SharedContext sharedContext() {
    SharedContext.Builder builder = SharedContext.newBuilder();
    if (idempotencyKey != null) {
      builder.setIdempotencyKey(idempotencyKey);
    }
    if (eventGroupId != null) {
      builder.setEventGroupId(eventGroupId);
    }
    if (preventReleaseEvents) {
      builder.setPreventReleaseEvents(true);
    }
    return builder.build();
  }
}
