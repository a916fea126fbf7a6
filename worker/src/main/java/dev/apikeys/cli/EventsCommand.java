package dev.apikeys.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code apikeys events …}: the {@code apikeys_event} outbox. Consumers keep the last {@code
 * release_seq} they handled and read on from there.
 */
@Command(
    name = "events",
    description = "Read released events in order, or release a held group.",
    subcommands = {EventsCommand.ListEvents.class, EventsCommand.Release.class})
final class EventsCommand implements Runnable {
  /** The most events one read returns, so a consumer far behind pages instead of flooding. */
  static final int MAX_LIMIT = 10_000;

  @ParentCommand ApiKeysCommand parent;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw UsageException.missingSubcommand(spec);
  }

  @Command(
      name = "list",
      description = "Print released events after a cursor, oldest first, as a JSON array.")
  static final class ListEvents implements Callable<Integer> {
    @ParentCommand EventsCommand parent;

    @Option(
        names = "--after",
        paramLabel = "<release_seq>",
        defaultValue = "0",
        description = "The last release_seq already handled (default 0: from the start).")
    long after;

    @Option(
        names = "--limit",
        paramLabel = "<n>",
        defaultValue = "100",
        description = "At most this many events.")
    int limit;

    @Override
    public Integer call() {
      if (after < 0) {
        throw new UsageException("--after=<release_seq>: expected 0 or more, got " + after);
      }
      if (limit < 1 || limit > MAX_LIMIT) {
        throw new UsageException(
            "--limit=<n>: expected a number from 1 to " + MAX_LIMIT + ", got " + limit);
      }
      CommandContext context = parent.parent.context;
      context.print(context.database().outbox().readAfter(context.jdbi(), after, limit));
      return ApiKeysCommand.ExitCodes.OK;
    }
  }

  @Command(
      name = "release",
      description =
          "Release the held events of a group (revocations with --prevent-release-events).")
  static final class Release implements Callable<Integer> {
    @ParentCommand EventsCommand parent;

    @Parameters(paramLabel = "GROUP", description = "The event group id.")
    String group;

    @Override
    public Integer call() {
      CommandContext context = parent.parent.context;
      context.print(
          Map.of("released", context.database().outbox().releaseGroup(context.jdbi(), group)));
      return ApiKeysCommand.ExitCodes.OK;
    }
  }
}
