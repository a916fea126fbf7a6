package dev.apikeys.worker;

import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.model.FindConfig;
import dev.apikeys.model.UpdateApiKeyDTO;
import dev.apikeys.store.Migrations;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
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
    description = "Medusa-compatible API keys with durable, cancellable revocation on Temporal.",
    subcommands = {
      ApiKeysCommand.Migrate.class,
      ApiKeysCommand.Create.class,
      ApiKeysCommand.ListKeys.class,
      ApiKeysCommand.Retrieve.class,
      ApiKeysCommand.Authenticate.class,
      ApiKeysCommand.Update.class,
      ApiKeysCommand.Delete.class,
      RevokeCommand.class,
      RevocationCommand.class,
      RotationCommand.class,
      EventsCommand.class,
      WorkerCommand.class,
      DevCommand.class,
      CodecServerCommand.class,
    })
public final class ApiKeysCommand implements Runnable {
  /** Exit codes, documented in the README. */
  static final class ExitCodes {
    static final int OK = 0;
    static final int REFUSED = 1;
    static final int USAGE = 2;
    static final int CONFIGURATION = 3;
    static final int FAULT = 4;

    private ExitCodes() {}
  }

  final CommandContext context;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  ApiKeysCommand(CommandContext context) {
    this.context = context;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    System.exit(execute(args, System.getenv(), out, err));
  }

  /** Runs one command line with the given environment; the entry point of tests and of main. */
  static int execute(String[] args, Map<String, String> env, PrintWriter out, PrintWriter err) {
    try (CommandContext context = new CommandContext(env, out, err)) {
      CommandLine cli = new CommandLine(new ApiKeysCommand(context));
      cli.setOut(out);
      cli.setErr(err);
      cli.setExecutionExceptionHandler(
          (e, commandLine, parseResult) -> {
            if (e instanceof ApiKeyException refusal) {
              err.println(refusal.getType() + ": " + refusal.getMessage());
              return ExitCodes.REFUSED;
            }
            if (e instanceof ConfigurationException config) {
              err.println(config.getMessage());
              return ExitCodes.CONFIGURATION;
            }
            err.println("error: " + DatabaseConfig.firstLine(String.valueOf(e.getMessage())));
            return ExitCodes.FAULT;
          });
      cli.setExitCodeExceptionMapper(e -> ExitCodes.USAGE);
      int code = cli.execute(args);
      err.flush();
      out.flush();
      return code;
    }
  }

  /** Base of the subcommands: access to the shared context through the parent command. */
  abstract static class Subcommand implements Callable<Integer> {
    @ParentCommand ApiKeysCommand parent;

    CommandContext context() {
      return parent.context;
    }
  }

  @Command(name = "migrate", description = "Create or update the schema (Medusa's api_key table included).")
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

  @Command(name = "create", description = "Create a key; prints it with its raw token, shown only this once.")
  static final class Create extends Subcommand {
    @Option(names = "--title", required = true, description = "The key's title.")
    String title;

    @Option(names = "--type", required = true, description = "secret or publishable.")
    String type;

    @Option(names = "--created-by", required = true, description = "Who creates it, e.g. user_123.")
    String createdBy;

    @Override
    public Integer call() {
      context().print(context().store().createApiKey(new CreateApiKeyDTO(title, type, createdBy)));
      return ExitCodes.OK;
    }
  }

  @Command(name = "list", description = "List keys matching a selector (Medusa's FilterableApiKeyProps as JSON).")
  static final class ListKeys extends Subcommand {
    @Option(names = "--selector", defaultValue = "{}", description = "Selector JSON, e.g. '{\"type\":\"secret\"}'.")
    String selector;

    @Option(names = "--skip", description = "Rows to skip.")
    Integer skip;

    @Option(names = "--take", description = "Rows to return at most (default: all).")
    Integer take;

    @Option(names = "--order", description = "field:asc|desc, repeatable, e.g. --order created_at:desc.")
    List<String> order;

    @Option(names = "--count", description = "Print {\"api_keys\": […], \"count\": N} instead of an array.")
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
      description = "Print the active key a raw token belongs to, or false (exit code 1).")
  static final class Authenticate extends Subcommand {
    @Parameters(
        paramLabel = "TOKEN",
        description =
            "A raw secret token, sk_…. A publishable token (pk_…) answers false, as in Medusa;"
                + " look one up with list --selector '{\"token\":\"pk_…\"}'.")
    String token;

    @Override
    public Integer call() {
      Optional<ApiKeyDTO> key = context().store().authenticate(token);
      context().print(key.isPresent() ? key.get() : Boolean.FALSE);
      return key.isPresent() ? ExitCodes.OK : ExitCodes.REFUSED;
    }
  }

  @Command(name = "update", description = "Change a key's title.")
  static final class Update extends Subcommand {
    @Parameters(paramLabel = "ID", description = "The key's id.")
    String id;

    @Option(names = "--title", required = true, description = "The new title.")
    String title;

    @Override
    public Integer call() {
      context().print(context().store().updateApiKey(id, new UpdateApiKeyDTO(title)));
      return ExitCodes.OK;
    }
  }

  @Command(name = "delete", description = "Delete revoked keys (refused, deleting none, if any is not revoked).")
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
