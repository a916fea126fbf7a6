package dev.apikeys.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.Map;

/**
 * Logging of the {@code apikeys} command line, set up in code (parsing a logback.xml costs a
 * one-shot command more than all its own work). Logs go to standard error, so standard output
 * carries only the command's JSON.
 *
 * <ul>
 *   <li>{@code worker} and {@code dev} log at INFO: time, level and message.
 *   <li>Every other command logs nothing: what went wrong is its one line on standard error.
 *   <li>{@code APIKEYS_LOG_LEVEL} (e.g. {@code DEBUG}) sets the level of any command; at DEBUG the
 *       lines also name their logger and carry stack traces.
 *   <li>{@code -Dlogback.configurationFile=…} replaces all of this with a file of your own.
 * </ul>
 *
 * <p>Registered with logback as a {@link Configurator} service; it stands aside (and logback's
 * usual lookup applies) in any program but the command line, such as the benchmark or the tests.
 */
public final class CliLogging extends ContextAwareBase implements Configurator {
  static final String LEVEL = "APIKEYS_LOG_LEVEL";

  /** Null outside the command line; otherwise whether this process runs a server command. */
  private static volatile Boolean server;

  /** Called first thing by the command line's {@code main}. */
  static void configureFor(String[] args) {
    server = ApiKeysCommand.isLongRunning(args);
  }

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    Boolean isServer = server;
    if (isServer == null || System.getProperty("logback.configurationFile") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    Map<String, String> env = System.getenv();
    String configured = env.get(LEVEL);
    Level level =
        configured == null || configured.isBlank()
            ? (isServer ? Level.INFO : Level.OFF)
            : Level.toLevel(configured.strip(), Level.INFO);
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(level);
    if (level == Level.OFF) {
      return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
    boolean debug = !level.isGreaterOrEqual(Level.INFO);
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(
        debug
            ? "%d{HH:mm:ss.SSS} %-5level %logger{36} - %msg%n"
            : "%d{HH:mm:ss.SSS} %-5level %msg%n%nopex");
    encoder.start();
    ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
    appender.setContext(context);
    appender.setName("STDERR");
    appender.setTarget("System.err");
    appender.setEncoder(encoder);
    appender.start();
    root.addAppender(appender);
    if (!debug) {
      // The libraries' routine chatter; their warnings about real trouble still show.
      context.getLogger("org.flywaydb").setLevel(Level.ERROR);
      context.getLogger("com.zaxxer.hikari").setLevel(Level.WARN);
      context.getLogger("io.zonky").setLevel(Level.WARN);
      context.getLogger("io.temporal").setLevel(Level.WARN);
      // The Java test server of `apikeys dev` has no worker heartbeats; saying so once per start
      // is noise, not a warning.
      context.getLogger("io.temporal.internal.worker.HeartbeatManager").setLevel(Level.ERROR);
      context.getLogger("io.grpc").setLevel(Level.WARN);
      context.getLogger("io.netty").setLevel(Level.WARN);
    }
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
