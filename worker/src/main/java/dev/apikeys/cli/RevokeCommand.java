package dev.apikeys.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apikeys.client.ApiKeyModuleService;
import dev.apikeys.client.LeakedTokenAnswer;
import dev.apikeys.client.LeakedTokensAnswer;
import dev.apikeys.client.RevocationHandle;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.revocation.RevokeApiKeyDTO;
import dev.apikeys.revocation.RevokeRequest;
import dev.apikeys.revocation.RevokeResult;
import dev.apikeys.revocation.SharedContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
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
      "Revoke one key (--id), every key a selector matches (--selector), or the keys of leaked raw"
          + " tokens (--leaked-token-stdin), now or in --revoke-in seconds, as a durable"
          + " RevokeApiKeysWorkflow.",
      "Prints the scheduled revocation (its workflow_id included) as JSON; with --wait, waits for"
          + " the instant and prints the final result."
    })
final class RevokeCommand extends ApiKeysCommand.Subcommand {

  /** Exactly one of the two overloads' first arguments. */
  static final class Target {
    @Option(
        names = "--id",
        paramLabel = "<id>",
        required = true,
        description = "The key's id (apk_…).")
    String id;

    @Option(
        names = "--selector",
        paramLabel = "<json>",
        required = true,
        description =
            "Selector JSON (Medusa's FilterableApiKeyProps), e.g. '{\"type\":\"secret\"}'.")
    String selector;

    @Option(
        names = "--leaked-token-stdin",
        required = true,
        description =
            "Revoke the key of each raw token on standard input (one a line, blank lines"
                + " skipped), found here as authenticate finds it; only key ids reach Temporal."
                + " Prints {\"found\":false} for a token no key has (exit code 0).")
    boolean leakedTokenStdin;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Target target;

  @Option(
      names = "--revoked-by",
      paramLabel = "<who>",
      required = true,
      description = "Who revokes, e.g. user_123.")
  String revokedBy;

  @Option(
      names = "--revoke-in",
      paramLabel = "<seconds>",
      description = "Seconds from now (default 0: at once).")
  Long revokeIn;

  @Option(
      names = "--idempotency-key",
      paramLabel = "<key>",
      description = "The same key again returns the same revocation instead of a second one.")
  String idempotencyKey;

  @Option(
      names = "--event-group-id",
      paramLabel = "<group>",
      description = "Groups the api_key.revoked events.")
  String eventGroupId;

  @Option(
      names = "--prevent-release-events",
      description = "Hold the events until `apikeys events release GROUP`.")
  boolean preventReleaseEvents;

  @Option(names = "--wait", description = "Wait until the keys are revoked and print the result.")
  boolean await;

  @Override
  public Integer call() throws IOException {
    if (target.leakedTokenStdin) {
      return revokeLeakedTokens();
    }
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
    context
        .err()
        .println(
            "scheduled "
                + scheduled.revocationId()
                + " for "
                + scheduled.keyCount()
                + (scheduled.keyCount() == 1 ? " key" : " keys")
                + " at "
                + scheduled.scheduledAt()
                + "; waiting…");
    context.err().flush();
    return RevocationCommand.awaitAndPrint(context, handle, RevocationCommand.WAIT_UNTIL_CLOSED);
  }

  /** Far more than {@link ApiKeyModuleService#MAX_LEAKED_TOKENS} tokens of 67 characters. */
  private static final int MAX_LEAKED_INPUT = 1 << 20;

  /**
   * {@code --leaked-token-stdin}: the tokens are read from standard input, never from the command
   * line (where ps and shell history would show them), identified in this process and revoked by
   * id. One token answers as {@link ApiKeyModuleService#revokeLeakedToken(String, RevokeApiKeyDTO,
   * SharedContext)} does; several answer each by its line number and redacted form. Exit code 0
   * whatever the tokens turned out to be.
   */
  private int revokeLeakedTokens() throws IOException {
    if (await) {
      throw new UsageException(
          "--wait: not with --leaked-token-stdin; the answer's revoked_at is when each key stops"
              + " authenticating");
    }
    CommandContext context = context();
    List<String> tokens = new ArrayList<>();
    List<Integer> lines = new ArrayList<>();
    String text = readLeakedInput(context);
    List<String> all = text.lines().toList();
    for (int i = 0; i < all.size(); i++) {
      String token = all.get(i).strip();
      if (!token.isEmpty()) {
        tokens.add(token);
        lines.add(i + 1);
      }
    }
    if (tokens.isEmpty()) {
      throw ApiKeyException.invalidData(
          "no token: give the leaked tokens on standard input, one a line");
    }
    RevokeApiKeyDTO data = new RevokeApiKeyDTO(revokedBy, revokeIn);
    SharedContext shared = sharedContext();
    ApiKeyModuleService service = context.moduleService();
    try {
      if (tokens.size() == 1) {
        context.print(service.revokeLeakedToken(tokens.get(0), data, shared));
      } else {
        LeakedTokensAnswer answer = service.revokeLeakedToken(tokens, data, shared);
        List<LeakedTokenAnswer> numbered = new ArrayList<>();
        for (int i = 0; i < answer.tokens().size(); i++) {
          numbered.add(answer.tokens().get(i).atLine(lines.get(i)));
        }
        context.print(new LeakedTokensAnswer(numbered, answer.revocation()));
      }
    } catch (RuntimeException e) {
      throw Failures.withWorkflowOutcome(e, context.temporal().client());
    }
    return ApiKeysCommand.ExitCodes.OK;
  }

  private static String readLeakedInput(CommandContext context) throws IOException {
    if (context.in() == System.in && System.console() != null) {
      // A person at a terminal: ask for one token, without echoing it.
      char[] typed = System.console().readPassword("leaked token: ");
      return typed == null ? "" : new String(typed);
    }
    byte[] bytes = context.in().readNBytes(MAX_LEAKED_INPUT + 1);
    if (bytes.length > MAX_LEAKED_INPUT) {
      throw ApiKeyException.invalidData(
          "standard input: more than "
              + (MAX_LEAKED_INPUT >> 20)
              + " MiB; give at most "
              + ApiKeyModuleService.MAX_LEAKED_TOKENS
              + " tokens a call");
    }
    return new String(bytes, StandardCharsets.UTF_8);
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
