package dev.apikeys.cli;

import dev.apikeys.config.DatabaseConfig;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * The command line itself was wrong: a missing or unknown option, a value of the wrong kind, text
 * that should be JSON and is not. The message is one line naming the option and what it takes; the
 * command prints it after the command's name and follows it with where to find the help.
 */
final class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  UsageException(String message) {
    super(message, null, false, false);
  }

  /** A command that only groups subcommands was given none. */
  static UsageException missingSubcommand(CommandSpec spec) {
    return new UsageException(
        "missing a command: " + String.join(", ", spec.subcommands().keySet()));
  }

  /**
   * Whole numbers are read by these converters, so that a bad value is described in words ("a whole
   * number") rather than by the name of a Java type.
   */
  static void registerConverters(CommandLine cli) {
    WholeNumbers numbers = new WholeNumbers();
    cli.registerConverter(Long.class, numbers);
    cli.registerConverter(Long.TYPE, numbers);
    SmallWholeNumbers small = new SmallWholeNumbers();
    cli.registerConverter(Integer.class, small);
    cli.registerConverter(Integer.TYPE, small);
  }

  // Converters are classes, not lambdas: see ApiKeysCommand.Handlers.
  private static final class WholeNumbers implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String text) {
      try {
        return Long.parseLong(text.strip());
      } catch (NumberFormatException e) {
        throw new CommandLine.TypeConversionException(
            "expected a whole number, got \"" + text + "\"");
      }
    }
  }

  private static final class SmallWholeNumbers implements CommandLine.ITypeConverter<Integer> {
    @Override
    public Integer convert(String text) {
      long value = new WholeNumbers().convert(text);
      if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
        throw new CommandLine.TypeConversionException(
            "expected a whole number up to " + Integer.MAX_VALUE + ", got \"" + text + "\"");
      }
      return (int) value;
    }
  }

  /** One line for what picocli found wrong with the arguments. */
  static String describe(CommandLine.ParameterException e) {
    if (e instanceof CommandLine.MissingParameterException missing) {
      return missing(missing.getMissing());
    }
    if (e instanceof CommandLine.UnmatchedArgumentException unmatched) {
      List<String> args = unmatched.getUnmatched();
      String first = args.isEmpty() ? "" : args.get(0);
      if (first.startsWith("-")) {
        return "unknown option " + first;
      }
      CommandSpec spec = e.getCommandLine().getCommandSpec();
      if (!spec.subcommands().isEmpty()) {
        return "unknown command \""
            + first
            + "\"; the commands are "
            + String.join(", ", spec.subcommands().keySet());
      }
      return "unexpected argument \"" + first + "\"";
    }
    if (e instanceof CommandLine.MutuallyExclusiveArgsException) {
      return "give only one of " + exclusiveOptions(e);
    }
    if (e instanceof CommandLine.OverwrittenOptionException overwritten) {
      return name(overwritten.getOverwritten()) + " was given more than once";
    }
    ArgSpec arg = e.getArgSpec();
    String message = firstLine(e.getMessage());
    if (arg != null) {
      // "Invalid value for option '--revoke-in': expected a whole number, got "1.5"".
      int colon = message.indexOf("': ");
      String problem = colon >= 0 ? message.substring(colon + 3) : message;
      return label(arg) + ": " + problem;
    }
    return message.startsWith("Error: ") ? message.substring("Error: ".length()) : message;
  }

  private static String missing(List<ArgSpec> missing) {
    if (missing.size() == 1) {
      ArgSpec arg = missing.get(0);
      String what = arg.description().length > 0 ? " (" + arg.description()[0] + ")" : "";
      return "missing " + label(arg) + what;
    }
    List<String> labels = new ArrayList<>();
    for (ArgSpec arg : missing) {
      labels.add(label(arg));
    }
    return "missing " + String.join(" or ", labels);
  }

  private static String exclusiveOptions(CommandLine.ParameterException e) {
    // Picocli names the clashing options in its message, e.g. "--id=<id>, --selector=<json> are
    // mutually exclusive (specify only one)"; the part before " are" is that list.
    String message = firstLine(e.getMessage());
    int are = message.indexOf(" are mutually exclusive");
    String options = are > 0 ? message.substring(0, are) : message;
    return options.startsWith("Error: ") ? options.substring("Error: ".length()) : options;
  }

  private static String label(ArgSpec arg) {
    if (arg instanceof OptionSpec option) {
      return option.longestName() + (option.arity().max() > 0 ? "=" + option.paramLabel() : "");
    }
    if (arg instanceof PositionalParamSpec positional) {
      return positional.paramLabel();
    }
    return arg.paramLabel();
  }

  private static String name(ArgSpec arg) {
    return arg instanceof OptionSpec option ? option.longestName() : arg.paramLabel();
  }

  private static String firstLine(String message) {
    return DatabaseConfig.firstLine(message == null ? "" : message.strip());
  }
}
