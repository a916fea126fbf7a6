package dev.apikeys.cli;

import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.model.FindConfig;
import dev.apikeys.model.MessageText;
import dev.apikeys.model.UpdateApiKeyDTO;
import dev.apikeys.store.Migrations;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.flywaydb.core.api.output.MigrateResult;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * The {@code apikeys} command line. Results are JSON on standard output; a refusal is one line on
 * standard error and a non-zero exit code (see {@link ExitCodes}).
 */
@Command(
    name = "apikeys",
    mixinStandardHelpOptions = true,
    // Every subcommand answers --help too.
    scope = CommandLine.ScopeType.INHERIT,
    version = "apikeys 0.1.0",
    description = "Medusa-compatible API keys with durable, cancellable revocation on Temporal.")
public final class ApiKeysCommand implements Runnable {
  /** Exit codes, documented in the README. */
  public static final class ExitCodes {
    static final int OK = 0;
    public static final int REFUSED = 1;
    static final int USAGE = 2;
    public static final int CONFIGURATION = 3;
    static final int FAULT = 4;

    private ExitCodes() {}
  }

  /**
   * The subcommands by name, in the order help lists them. A command line builds only the one it
   * runs: picocli reads every command class it is given, and the worker's and dev mode's pull in
   * Temporal's worker, the embedded PostgreSQL and logging, which a one-shot command never needs.
   */
  private static final Map<String, Class<?>> SUBCOMMANDS = subcommands();

  private static Map<String, Class<?>> subcommands() {
    Map<String, Class<?>> commands = new LinkedHashMap<>();
    commands.put("migrate", Migrate.class);
    commands.put("create", Create.class);
    commands.put("list", ListKeys.class);
    commands.put("retrieve", Retrieve.class);
    commands.put("authenticate", Authenticate.class);
    commands.put("update", Update.class);
    commands.put("delete", Delete.class);
    commands.put("revoke", RevokeCommand.class);
    commands.put("revocation", RevocationCommand.class);
    commands.put("rotation", RotationCommand.class);
    commands.put("events", EventsCommand.class);
    commands.put("worker", WorkerCommand.class);
    commands.put("dev", DevCommand.class);
    commands.put("codec-server", CodecServerCommand.class);
    return Collections.unmodifiableMap(commands);
  }

  /** Whether the command runs until stopped (and so logs as a server does). */
  static boolean isLongRunning(String[] args) {
    return args.length > 0
        && (args[0].equals("worker") || args[0].equals("dev") || args[0].equals("codec-server"));
  }

  final CommandContext context;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  ApiKeysCommand(CommandContext context) {
    this.context = context;
  }

  @Override
  public void run() {
    throw UsageException.missingSubcommand(spec);
  }

  public static void main(String[] args) {
    CliLogging.configureFor(args);
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    System.exit(execute(args, System.getenv(), System.in, out, err));
  }

  /** Runs one command line with the given environment and nothing on standard input. */
  public static int execute(
      String[] args, Map<String, String> env, PrintWriter out, PrintWriter err) {
    return execute(args, env, InputStream.nullInputStream(), out, err);
  }

  /**
   * Runs one command line with the given environment and standard input; the entry point of tests
   * and of main. Whatever it writes to standard error is scrubbed of values that start like a raw
   * secret token and of long values (see {@link MessageText#scrub}): a mistyped command line may
   * hold a token, and picocli and the libraries below quote what they were given.
   */
  public static int execute(
      String[] args, Map<String, String> env, InputStream in, PrintWriter out, PrintWriter err) {
    try (CommandContext context = new CommandContext(env, in, out, err, !isLongRunning(args))) {
      CommandLine cli = new CommandLine(new ApiKeysCommand(context));
      Class<?> only = args.length > 0 ? SUBCOMMANDS.get(args[0]) : null;
      if (only != null) {
        cli.addSubcommand(args[0], only);
      } else {
        for (Map.Entry<String, Class<?>> command : SUBCOMMANDS.entrySet()) {
          cli.addSubcommand(command.getKey(), command.getValue());
        }
      }
      UsageException.registerConverters(cli);
      cli.setOut(out);
      cli.setErr(err);
      // Handlers are classes, not lambdas: picocli's classes are too old a class-file version for
      // the class-data archive, and a lambda implementing one of its interfaces breaks the dump.
      Handlers handlers = new Handlers(err);
      cli.setParameterExceptionHandler(handlers);
      cli.setExecutionExceptionHandler(handlers);
      cli.setExitCodeExceptionMapper(handlers);
      int code = cli.execute(args);
      err.flush();
      out.flush();
      return code;
    }
  }

  /** How a command line that failed tells its user: see {@link Failures} and the README. */
  private static final class Handlers
      implements CommandLine.IParameterExceptionHandler,
          CommandLine.IExecutionExceptionHandler,
          CommandLine.IExitCodeExceptionMapper {
    private final PrintWriter err;

    Handlers(PrintWriter err) {
      this.err = err;
    }

    @Override
    public int handleParseException(CommandLine.ParameterException e, String[] args) {
      return printUsageError(
          e.getCommandLine(), MessageText.scrubParserMessage(UsageException.describe(e)));
    }

    @Override
    public int handleExecutionException(
        Exception e, CommandLine commandLine, CommandLine.ParseResult parseResult) {
      if (e instanceof UsageException usage) {
        return printUsageError(commandLine, MessageText.scrubParserMessage(usage.getMessage()));
      }
      Failures.Report report = Failures.report(e, commandLine.getCommandName());
      err.println(MessageText.scrub(report.line()));
      return report.exitCode();
    }

    @Override
    public int getExitCode(Throwable exception) {
      return ExitCodes.USAGE;
    }

    /** A usage error: one line naming what was wrong, then where to read how it is done. */
    private int printUsageError(CommandLine commandLine, String problem) {
      String name = commandLine.getCommandSpec().qualifiedName();
      err.println(name + ": " + problem);
      err.println("Try '" + name + " --help'");
      err.flush();
      return ExitCodes.USAGE;
    }
  }

  /** Base of the subcommands: access to the shared context through the parent command. */
  abstract static class Subcommand implements Callable<Integer> {
    @ParentCommand ApiKeysCommand parent;

    CommandContext context() {
      return parent.context;
    }
  }

  @Command(
      name = "migrate",
      description = "Create or update the schema (Medusa's api_key table included).")
  static final class Migrate extends Subcommand {
    @Override
    public Integer call() {
      MigrateResult result = Migrations.migrate(context().dataSource());
      Map<String, Object> summary = new LinkedHashMap<>();
      summary.put("migrations_executed", result.migrationsExecuted);
      summary.put("schema_version", Migrations.currentVersion(context().dataSource()));
      context().print(summary);
      return ExitCodes.OK;
    }
  }

  @Command(
      name = "create",
      description = "Create a key; prints it with its raw token, shown only this once.")
  static final class Create extends Subcommand {
    @Option(
        names = "--title",
        paramLabel = "<title>",
        required = true,
        description = "The key's title.")
    String title;

    @Option(
        names = "--type",
        paramLabel = "<type>",
        required = true,
        description = "secret or publishable.")
    String type;

    @Option(
        names = "--created-by",
        paramLabel = "<who>",
        required = true,
        description = "Who creates it, e.g. user_123.")
    String createdBy;

    @Override
    public Integer call() {
      context().print(context().store().createApiKey(new CreateApiKeyDTO(title, type, createdBy)));
      return ExitCodes.OK;
    }
  }

  @Command(
      name = "list",
      description = "List keys matching a selector (Medusa's FilterableApiKeyProps as JSON).")
  static final class ListKeys extends Subcommand {
    @Option(
        names = "--selector",
        paramLabel = "<json>",
        defaultValue = "{}",
        description = "Selector JSON, e.g. '{\"type\":\"secret\"}'.")
    String selector;

    @Option(names = "--skip", paramLabel = "<n>", description = "Rows to skip.")
    Integer skip;

    @Option(
        names = "--take",
        paramLabel = "<n>",
        description = "Rows to return at most (default: all).")
    Integer take;

    @Option(
        names = "--order",
        paramLabel = "<field:dir>",
        description = "field:asc|desc, repeatable, e.g. --order created_at:desc.")
    List<String> order;

    @Option(
        names = "--count",
        description = "Print {\"api_keys\": […], \"count\": N} instead of an array.")
    boolean count;

    @Override
    public Integer call() {
      Map<String, String> orderMap = new LinkedHashMap<>();
      for (String term : order == null ? List.<String>of() : order) {
        int colon = term.indexOf(':');
        orderMap.put(
            colon < 0 ? term : term.substring(0, colon),
            colon < 0 ? "asc" : term.substring(colon + 1));
      }
      FindConfig config = new FindConfig(skip, take, orderMap);
      var store = context().store();
      var selectorJson = context().parseJson("--selector", selector);
      if (count) {
        context().print(store.listAndCountApiKeys(selectorJson, config));
      } else {
        context().print(store.listApiKeys(selectorJson, config));
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "retrieve", description = "Print one key.")
  static final class Retrieve extends Subcommand {
    @Parameters(paramLabel = "ID", description = "The key's id (apk_…).")
    String id;

    @Override
    public Integer call() {
      context().print(context().store().retrieveApiKey(id));
      return ExitCodes.OK;
    }
  }

  @Command(
      name = "authenticate",
      description = {
        "Print the active key a raw token belongs to, or false (exit code 1).",
        "The token is read from standard input (its first line) or from --token-file. Given as"
            + " an argument it still works, with a warning: other users see it in ps, and it"
            + " stays in shell history."
      })
  static final class Authenticate extends Subcommand {
    @Parameters(
        arity = "0..1",
        paramLabel = "TOKEN",
        description =
            "Discouraged: a raw secret token, sk_…; prefer standard input. A publishable token"
                + " (pk_…) answers false, as in Medusa; look one up with list --selector"
                + " '{\"token\":\"pk_…\"}'.")
    String token;

    @Option(names = "--token-file", description = "A file whose first line is the token.")
    Path tokenFile;

    static final String ARGUMENT_WARNING =
        "warning: a token given as an argument is visible to other users in ps and stays in"
            + " shell history; pipe it on standard input or use --token-file";

    @Override
    public Integer call() throws IOException {
      Optional<ApiKeyDTO> key = context().store().authenticate(readToken());
      context().print(key.isPresent() ? key.get() : Boolean.FALSE);
      return key.isPresent() ? ExitCodes.OK : ExitCodes.REFUSED;
    }

    private String readToken() throws IOException {
      if (token != null && tokenFile != null) {
        throw ApiKeyException.invalidData(
            "give the token on standard input or with --token-file, not also as an argument");
      }
      if (token != null) {
        context().err().println(ARGUMENT_WARNING);
        context().err().flush();
        return token;
      }
      String text;
      if (tokenFile != null) {
        try {
          text = Files.readString(tokenFile, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
          throw ApiKeyException.invalidData("--token-file: " + tokenFile + " does not exist");
        }
      } else if (context().in() == System.in && System.console() != null) {
        // A person at a terminal: ask, without echoing what they type.
        char[] typed = System.console().readPassword("token: ");
        text = typed == null ? "" : new String(typed);
      } else {
        text = new String(context().in().readNBytes(MAX_TOKEN_INPUT), StandardCharsets.UTF_8);
      }
      String first = text.lines().findFirst().orElse("").strip();
      if (first.isEmpty()) {
        throw ApiKeyException.invalidData(
            "no token: give it on standard input (its first line) or with --token-file");
      }
      return first;
    }

    /** Far more than a token; what a mistaken pipe sends beyond it is not read. */
    private static final int MAX_TOKEN_INPUT = 4_096;
  }

  @Command(name = "update", description = "Change a key's title.")
  static final class Update extends Subcommand {
    @Parameters(paramLabel = "ID", description = "The key's id.")
    String id;

    @Option(
        names = "--title",
        paramLabel = "<title>",
        required = true,
        description = "The new title.")
    String title;

    @Override
    public Integer call() {
      context().print(context().store().updateApiKey(id, new UpdateApiKeyDTO(title)));
      return ExitCodes.OK;
    }
  }

  @Command(
      name = "delete",
      description = "Delete revoked keys (refused, deleting none, if any is not revoked).")
  static final class Delete extends Subcommand {
    @Parameters(arity = "1..*", paramLabel = "ID", description = "Ids of revoked keys.")
    List<String> ids;

    @Override
    public Integer call() {
      context().store().deleteApiKeys(ids);
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("ids", ids);
      result.put("object", "api_key");
      result.put("deleted", true);
      context().print(result);
      return ExitCodes.OK;
    }
  }
}
