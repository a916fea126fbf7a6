package dev.apikeys.cli;

import dev.apikeys.codec.PayloadKeyUnavailableException;
import dev.apikeys.config.ConfigurationException;
import dev.apikeys.config.DatabaseConfig;
import dev.apikeys.config.TemporalConfig;
import dev.apikeys.model.ApiKeyErrorType;
import dev.apikeys.model.ApiKeyException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowException;
import io.temporal.client.WorkflowFailedException;
import io.temporal.common.converter.DataConverterException;
import io.temporal.common.converter.RawValue;
import io.temporal.failure.ApplicationFailure;
import io.temporal.payload.codec.PayloadCodecException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.LoggerFactory;

/**
 * What a failed command tells its user: one line on standard error and the exit code it maps to
 * (see {@link ApiKeysCommand.ExitCodes}). Every failure maps to one of them, and no line names a
 * Java class: the SDK's and the driver's exception names are for the log ({@code
 * APIKEYS_LOG_LEVEL=DEBUG}), not for the terminal.
 */
final class Failures {
  /** The line and exit code of one failure. */
  record Report(int exitCode, String line) {}

  /** PostgreSQL's codes for a table, column or function that is not there. */
  private static final Set<String> SCHEMA_MISSING = Set.of("42P01", "42703", "42883");

  private static final Set<String> DECODE_FAILURE_TYPES =
      Set.of(
          DataConverterException.class.getName(),
          PayloadCodecException.class.getName(),
          PayloadKeyUnavailableException.class.getName());

  private Failures() {}

  /**
   * The report for a failure of {@code command} (the subcommand's name, e.g. {@code revoke} or
   * {@code status}), which decides what is said about what happened before the failure.
   */
  static Report report(Throwable e, String command) {
    if (e instanceof ApiKeyException refusal) {
      return new Report(
          ApiKeysCommand.ExitCodes.REFUSED,
          refusal.getType() + ": " + DatabaseConfig.firstLine(refusal.getMessage()));
    }
    if (e instanceof ConfigurationException configuration) {
      return new Report(ApiKeysCommand.ExitCodes.CONFIGURATION, configuration.getMessage());
    }
    Optional<String> codec = codecMismatch(e, command);
    if (codec.isPresent()) {
      return new Report(ApiKeysCommand.ExitCodes.CONFIGURATION, codec.get());
    }
    Optional<ApplicationFailure> refusal = find(e, ApplicationFailure.class, Failures::isRefusal);
    if (refusal.isPresent()) {
      return new Report(
          ApiKeysCommand.ExitCodes.REFUSED,
          refusal.get().getType()
              + ": "
              + DatabaseConfig.firstLine(refusal.get().getOriginalMessage()));
    }
    Optional<SQLException> schema =
        find(e, SQLException.class, s -> SCHEMA_MISSING.contains(s.getSQLState()));
    if (schema.isPresent()) {
      return new Report(
          ApiKeysCommand.ExitCodes.CONFIGURATION,
          DatabaseConfig.URL
              + ": "
              + postgresMessage(schema.get())
              + ": the database is not migrated to this version; run `apikeys migrate`");
    }
    Optional<SQLException> connection = find(e, SQLException.class, Failures::isConnectionFailure);
    if (connection.isPresent()) {
      return new Report(
          ApiKeysCommand.ExitCodes.CONFIGURATION,
          DatabaseConfig.URL
              + ": cannot reach PostgreSQL ("
              + postgresMessage(connection.get())
              + ")");
    }
    Optional<StatusRuntimeException> unavailable =
        find(
            e,
            StatusRuntimeException.class,
            s -> s.getStatus().getCode() == Status.Code.UNAVAILABLE);
    if (unavailable.isPresent()) {
      return new Report(
          ApiKeysCommand.ExitCodes.CONFIGURATION,
          TemporalConfig.ADDRESS
              + ": lost the connection to Temporal ("
              + clean(unavailable.get().getStatus().getDescription())
              + ")");
    }
    LoggerFactory.getLogger(Failures.class).debug("apikeys {} failed", command, e);
    return new Report(ApiKeysCommand.ExitCodes.FAULT, "error: " + faultMessage(e));
  }

  /**
   * A request that failed because its workflow closed first (an update sent to a workflow that
   * failed at once, for example because the worker could not read its input) says nothing of why;
   * the workflow's own failure does. This adds it as the cause when there is one.
   */
  static RuntimeException withWorkflowOutcome(RuntimeException e, WorkflowClient client) {
    if (find(e, ApplicationFailure.class, a -> isRefusal(a) || isDecodeFailure(a)).isPresent()
        || find(e, DataConverterException.class, d -> true).isPresent()
        || find(e, PayloadCodecException.class, d -> true).isPresent()) {
      return e;
    }
    Optional<WorkflowException> workflow =
        find(e, WorkflowException.class, w -> w.getExecution() != null);
    if (workflow.isEmpty()) {
      return e;
    }
    String workflowId = workflow.get().getExecution().getWorkflowId();
    try {
      client.newUntypedWorkflowStub(workflowId).getResult(1, TimeUnit.SECONDS, RawValue.class);
    } catch (WorkflowFailedException failed) {
      failed.addSuppressed(e);
      return failed;
    } catch (TimeoutException | RuntimeException stillRunningOrUnknown) {
      // The workflow's outcome tells nothing more; the failure stands as it is.
    }
    return e;
  }

  /**
   * Payloads one side encrypts with {@code APIKEYS_CODEC_KEYS} and the other cannot read: a
   * configuration error, whose line also says what the command got done before it hit it, since the
   * request itself may well have gone through.
   */
  private static Optional<String> codecMismatch(Throwable e, String command) {
    String workflow =
        find(e, WorkflowException.class, w -> w.getExecution() != null)
            .map(w -> w.getExecution().getWorkflowId())
            .orElse(null);
    boolean unreadableHere =
        find(e, DataConverterException.class, d -> true).isPresent()
            || find(e, PayloadCodecException.class, d -> true).isPresent();
    if (unreadableHere) {
      return Optional.of(
          TemporalConfig.CODEC_KEYS
              + ": cannot read the worker's answer: its payloads are"
              + " encrypted with keys this side does not have; set "
              + TemporalConfig.CODEC_KEYS
              + " as on the worker. "
              + doneAnyway(command, workflow));
    }
    boolean unreadableByWorker =
        find(e, ApplicationFailure.class, Failures::isDecodeFailure).isPresent();
    if (unreadableByWorker) {
      return Optional.of(
          TemporalConfig.CODEC_KEYS
              + ": the worker cannot read this side's payloads: they are"
              + " encrypted with keys it does not have; set "
              + TemporalConfig.CODEC_KEYS
              + " as on this side. "
              + notDone(command, workflow));
    }
    return Optional.empty();
  }

  /** The request reached the worker and was carried out; only its answer could not be read. */
  private static String doneAnyway(String command, String workflow) {
    String id = workflow == null ? "" : " (workflow " + workflow + ")";
    return switch (command) {
      case "revoke" -> "The revocation was started" + id + " and its keys are scheduled.";
      case "revoke-now", "reschedule" -> "The change was made" + id + ".";
      case "cancel" -> "The cancel was requested" + id + ".";
      case "run" -> "The rotation ran" + id + "; its successors' tokens are in its result.";
      default -> "Nothing was changed.";
    };
  }

  /** The worker could not read the request: nothing came of it yet. */
  private static String notDone(String command, String workflow) {
    String id = workflow == null ? "" : " (workflow " + workflow + ")";
    return switch (command) {
      case "revoke" ->
          "The revocation was started"
              + id
              + " and waits until a worker with the"
              + " keys runs it; no key was changed yet.";
      case "run" -> "The rotation was started" + id + " and failed; no key was changed.";
      default -> "Nothing was changed.";
    };
  }

  private static boolean isRefusal(ApplicationFailure failure) {
    for (ApiKeyErrorType type : ApiKeyErrorType.values()) {
      if (type.name().equals(failure.getType())) {
        return true;
      }
    }
    return false;
  }

  private static boolean isDecodeFailure(ApplicationFailure failure) {
    return DECODE_FAILURE_TYPES.contains(failure.getType());
  }

  private static boolean isConnectionFailure(SQLException e) {
    return e instanceof SQLTransientConnectionException
        || (e.getSQLState() != null && e.getSQLState().startsWith("08"));
  }

  /** PostgreSQL's own words, without the driver's "ERROR: " and position lines. */
  private static String postgresMessage(SQLException e) {
    String message = DatabaseConfig.firstLine(String.valueOf(e.getMessage()));
    return clean(message.startsWith("ERROR: ") ? message.substring("ERROR: ".length()) : message);
  }

  /**
   * The most telling message of a fault: the deepest one in its causes that says something, with
   * the workflow it concerns when there is one (a workflow exception's own message is only the
   * workflow's id, run and type).
   */
  private static String faultMessage(Throwable e) {
    String message = null;
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String text =
          t instanceof ApplicationFailure app
              ? app.getOriginalMessage()
              : t instanceof WorkflowException ? null : t.getMessage();
      String cleaned = clean(text);
      if (!cleaned.isBlank()) {
        message = cleaned;
      }
    }
    String workflow =
        find(e, WorkflowException.class, w -> w.getExecution() != null)
            .map(w -> "workflow " + w.getExecution().getWorkflowId() + ": ")
            .orElse("");
    return workflow
        + (message == null
            ? "unexpected failure; run with APIKEYS_LOG_LEVEL=DEBUG to see it in full"
            : message);
  }

  /** One line, without Java class names (see {@link ConfigurationException#clean}). */
  static String clean(String message) {
    return ConfigurationException.clean(message);
  }

  /**
   * The first throwable in {@code e}'s causes that is a {@code type} and satisfies {@code test}.
   */
  static <T extends Throwable> Optional<T> find(
      Throwable e, Class<T> type, java.util.function.Predicate<T> test) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t) && test.test(type.cast(t))) {
        return Optional.of(type.cast(t));
      }
    }
    return Optional.empty();
  }
}
