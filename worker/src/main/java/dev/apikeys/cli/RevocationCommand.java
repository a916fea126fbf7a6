package dev.apikeys.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.apikeys.client.RevocationHandle;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.revocation.RevocationState;
import dev.apikeys.revocation.RevocationStatus;
import dev.apikeys.revocation.RevokeRequestParser;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.failure.CanceledFailure;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code apikeys revocation …}: one running or finished revocation, by its workflow id (the {@code
 * workflow_id} that {@code apikeys revoke} prints): ask it, move it, cancel it, or wait for it.
 */
@Command(
    name = "revocation",
    description = "Query, move, cancel or await one revocation by its workflow id.",
    subcommands = {
      RevocationCommand.Status.class,
      RevocationCommand.RevokeNow.class,
      RevocationCommand.Reschedule.class,
      RevocationCommand.Cancel.class,
      RevocationCommand.Result.class,
      RevocationCommand.ListScheduled.class,
      RevocationCommand.Reconcile.class,
    })
final class RevocationCommand implements Runnable {
  /**
   * Waiting for a result has no deadline of its own, as with {@code temporal workflow result}: a
   * revocation may be scheduled years ahead, and Ctrl-C stops only the waiting.
   */
  static final Duration WAIT_UNTIL_CLOSED = Duration.ofDays(11 * 366);

  /** A cancelled workflow runs its compensation and closes; this bounds the wait for that. */
  static final Duration CANCEL_WAIT = Duration.ofMinutes(2);

  @ParentCommand ApiKeysCommand parent;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw UsageException.missingSubcommand(spec);
  }

  /**
   * Waits for the workflow to close and prints what it came to: the result (also when a cancel came
   * after the instant and the revocation stands: the result says so), or {@code {"workflow_id",
   * "status": "cancelled"}} when it was cancelled before its instant.
   */
  static int awaitAndPrint(CommandContext context, RevocationHandle handle, Duration timeout) {
    try {
      context.print(awaitResult(handle, timeout));
      return ApiKeysCommand.ExitCodes.OK;
    } catch (WorkflowFailedException e) {
      if (e.getCause() instanceof CanceledFailure) {
        context.print(cancelled(handle.workflowId()));
        return ApiKeysCommand.ExitCodes.OK;
      }
      throw e;
    } catch (StillRunning e) {
      context.err().println(stillRunning(handle, timeout));
      return ApiKeysCommand.ExitCodes.FAULT;
    }
  }

  private static Map<String, Object> cancelled(String workflowId) {
    Map<String, Object> cancelled = new LinkedHashMap<>();
    cancelled.put("workflow_id", workflowId);
    cancelled.put("status", RevocationState.CANCELLED.value());
    return cancelled;
  }

  private static String stillRunning(RevocationHandle handle, Duration timeout) {
    return "revocation "
        + handle.workflowId()
        + " is still running after "
        + timeout.toSeconds()
        + "s; see `apikeys revocation result "
        + handle.workflowId()
        + "`";
  }

  private static Object awaitResult(RevocationHandle handle, Duration timeout) {
    try {
      return handle.await(timeout);
    } catch (TimeoutException e) {
      throw new StillRunning();
    } catch (WorkflowNotFoundException e) {
      throw ApiKeyException.notFound(
          "no revocation workflow with id \"" + handle.workflowId() + "\"");
    }
  }

  /** The wait ended before the workflow closed. */
  private static final class StillRunning extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StillRunning() {
      super(null, null, false, false);
    }
  }

  /** Base of the subcommands: the workflow id, and the context through the parents. */
  abstract static class ByWorkflowId implements Callable<Integer> {
    @ParentCommand RevocationCommand parent;

    @Parameters(
        index = "0",
        paramLabel = "WORKFLOW_ID",
        description = "The revocation's workflow id, as `apikeys revoke` printed it.")
    String workflowId;

    CommandContext context() {
      return parent.parent.context;
    }

    RevocationHandle handle() {
      return context().moduleService().revocation(workflowId);
    }
  }

  @Command(name = "status", description = "Print the state, scheduled instant and key count.")
  static final class Status extends ByWorkflowId {
    @Override
    public Integer call() {
      context().print(handle().status());
      return ApiKeysCommand.ExitCodes.OK;
    }
  }

  @Command(name = "revoke-now", description = "Revoke at once instead of at the scheduled instant.")
  static final class RevokeNow extends ByWorkflowId {
    @Option(names = "--by", paramLabel = "<who>", description = "Recorded as who revoked now.")
    String by;

    @Override
    public Integer call() {
      RevocationHandle handle = handle();
      context().print(handle.revokeNow(by));
      return ApiKeysCommand.ExitCodes.OK;
    }
  }

  @Command(name = "reschedule", description = "Move the instant to --revoke-in seconds from now.")
  static final class Reschedule extends ByWorkflowId {
    @Option(
        names = "--revoke-in",
        paramLabel = "<seconds>",
        required = true,
        description = "Seconds from now.")
    long revokeIn;

    @Option(names = "--by", paramLabel = "<who>", description = "Recorded as who moved it.")
    String by;

    @Override
    public Integer call() {
      // Checked here with the workflow's own rule and words, before any round trip.
      RevokeRequestParser.revokeInSeconds(
          JsonNodeFactory.instance.numberNode(revokeIn), "revoke_in");
      RevocationHandle handle = handle();
      context().print(handle.reschedule(revokeIn, by));
      return ApiKeysCommand.ExitCodes.OK;
    }
  }

  @Command(
      name = "cancel",
      description = {
        "Cancel the revocation and wait for the workflow to close.",
        "Before the instant the keys are restored and this prints status \"cancelled\"; after it"
            + " the revocation stands, nothing is cancelled, and this is refused (NOT_ALLOWED)."
      })
  static final class Cancel extends ByWorkflowId {
    @Option(
        names = "--by",
        paramLabel = "<who>",
        description = "Recorded as who cancelled (sent as the cancel request's reason).")
    String by;

    @Override
    public Integer call() {
      RevocationHandle handle = handle();
      RevocationStatus status;
      try {
        status = handle.cancelAndWait(CANCEL_WAIT, by);
      } catch (TimeoutException e) {
        context().err().println(stillRunning(handle, CANCEL_WAIT));
        return ApiKeysCommand.ExitCodes.FAULT;
      }
      if (status.state() == RevocationState.CANCELLED) {
        context().print(cancelled(handle.workflowId()));
        return ApiKeysCommand.ExitCodes.OK;
      }
      // The cancel did not happen: the instant had passed (the revocation stands), or the
      // revocation had already ended some other way.
      throw ApiKeyException.notAllowed(
          status.message() != null
              ? status.message()
              : "revocation workflow \""
                  + handle.workflowId()
                  + "\" has closed ("
                  + status.state().value()
                  + "); nothing was cancelled");
    }
  }

  @Command(name = "result", description = "Wait for the revocation to finish and print its result.")
  static final class Result extends ByWorkflowId {
    @Override
    public Integer call() {
      return awaitAndPrint(context(), handle(), WAIT_UNTIL_CLOSED);
    }
  }

  @Command(
      name = "list",
      description = {
        "List the revocations that are scheduled, each with the state of its workflow.",
        "A workflow that is not running (terminated, failed, missing) leaves its revocation to"
            + " `apikeys revocation reconcile`."
      })
  static final class ListScheduled implements Callable<Integer> {
    @ParentCommand RevocationCommand parent;

    @Option(
        names = "--state",
        paramLabel = "<state>",
        defaultValue = "scheduled",
        description = "Which revocations: only `scheduled` (the default) is listed here.")
    String state;

    @Override
    public Integer call() {
      if (!"scheduled".equals(state)) {
        throw new UsageException(
            "--state=<state>: only `scheduled` revocations are listed; finished ones are in"
                + " `apikeys events list` and the apikeys_revocation table");
      }
      CommandContext context = parent.parent.context;
      context.print(context.reconciler().list());
      return ApiKeysCommand.ExitCodes.OK;
    }
  }

  @Command(
      name = "reconcile",
      description = {
        "Finish scheduled revocations whose workflow is gone: stamp those past their instant (with"
            + " that instant), start a fresh workflow for the others.",
        "Prints what it found and did. Safe to run at any time; a Temporal Schedule can run"
            + " ReconcileRevocationsWorkflow for the same."
      })
  static final class Reconcile implements Callable<Integer> {
    @ParentCommand RevocationCommand parent;

    @Override
    public Integer call() {
      CommandContext context = parent.parent.context;
      context.print(context.reconciler().reconcile());
      return ApiKeysCommand.ExitCodes.OK;
    }
  }
}
