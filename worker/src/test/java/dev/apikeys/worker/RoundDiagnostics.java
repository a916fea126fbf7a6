package dev.apikeys.worker;

import com.google.protobuf.ByteString;
import dev.apikeys.config.TemporalConnection;
import dev.apikeys.revocation.ApiKeysDataConverter;
import dev.apikeys.revocation.RevokeApiKeysWorkflowImpl;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.api.workflowservice.v1.ListClosedWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.ListClosedWorkflowExecutionsResponse;
import io.temporal.api.workflowservice.v1.ListOpenWorkflowExecutionsRequest;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What a crashed interleaving round leaves to read: each open workflow whose workflow tasks keep
 * failing or timing out, with its history written beside the worker logs and replayed here (a
 * replay that fails shows the failure's stack), and the worker logs' failed workflow tasks with
 * their exceptions.
 */
final class RoundDiagnostics {
  private static final int STUCK_AFTER_FAILED_TASKS = 3;
  private static final int LOG_LINES_PER_FAILURE = 40;
  private static final int FAILURES_SHOWN = 3;
  private static final int REPLAY_LINES = 20;
  private static final String REVOCATION_TYPE = "RevokeApiKeysWorkflow";

  private RoundDiagnostics() {}

  /** The worker processes' logback configuration, on the test classpath. */
  static String logbackFile() {
    try {
      return Path.of(RoundDiagnostics.class.getResource("/interleaving-worker-logback.xml").toURI())
          .toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static String describe(TemporalConnection temporal, Path logs) {
    StringBuilder out = new StringBuilder("diagnostics (logs and histories in " + logs + "):\n");
    try {
      stuckWorkflows(temporal, logs, out);
    } catch (RuntimeException e) {
      out.append("  open workflows not read: ").append(e).append('\n');
    }
    try {
      failedTasksInLogs(logs, out);
    } catch (IOException | RuntimeException e) {
      out.append("  worker logs not read: ").append(e).append('\n');
    }
    return out.toString();
  }

  private static void stuckWorkflows(TemporalConnection temporal, Path logs, StringBuilder out) {
    String namespace = temporal.client().getOptions().getNamespace();
    List<WorkflowExecutionInfo> open =
        temporal
            .stubs()
            .blockingStub()
            .listOpenWorkflowExecutions(
                ListOpenWorkflowExecutionsRequest.newBuilder()
                    .setNamespace(namespace)
                    .setMaximumPageSize(1000)
                    .build())
            .getExecutionsList();
    out.append("  ").append(open.size()).append(" workflows open\n");
    for (WorkflowExecutionInfo info : open) {
      String workflowId = info.getExecution().getWorkflowId();
      WorkflowExecutionHistory history =
          temporal.client().fetchHistory(workflowId, info.getExecution().getRunId());
      long failedTasks =
          history.getEvents().stream()
              .map(HistoryEvent::getEventType)
              .filter(
                  t ->
                      t == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
                          || t == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT)
              .count();
      if (failedTasks < STUCK_AFTER_FAILED_TASKS) {
        continue;
      }
      Path file = writeHistory(logs, workflowId, history);
      out.append("  stuck: ")
          .append(workflowId)
          .append(", ")
          .append(history.getEvents().size())
          .append(" events, ")
          .append(failedTasks)
          .append(" workflow tasks failed or timed out; history in ")
          .append(file)
          .append("\n    replay: ")
          .append(replay(history))
          .append('\n');
    }
  }

  private static String replay(WorkflowExecutionHistory history) {
    try (TestWorkflowEnvironment env = replayEnvironment()) {
      String failure = replayOn(replayWorker(env), history);
      return failure == null ? "replays without failure" : failure;
    }
  }

  private static int lastReplayCount;

  /** How many histories the last {@link #replayClosed} replayed. */
  static int lastReplayCount() {
    return lastReplayCount;
  }

  /**
   * Replays the history of every closed revocation workflow through the workflow code as it is;
   * returns one line (and the stack) for each that fails, after writing its history beside the
   * logs.
   */
  static List<String> replayClosed(TemporalConnection temporal, Path logs) {
    String namespace = temporal.client().getOptions().getNamespace();
    List<String> failures = new ArrayList<>();
    int replayed = 0;
    try (TestWorkflowEnvironment env = replayEnvironment()) {
      io.temporal.worker.Worker worker = replayWorker(env);
      ByteString page = ByteString.EMPTY;
      do {
        ListClosedWorkflowExecutionsResponse response =
            temporal
                .stubs()
                .blockingStub()
                .listClosedWorkflowExecutions(
                    ListClosedWorkflowExecutionsRequest.newBuilder()
                        .setNamespace(namespace)
                        .setMaximumPageSize(1000)
                        .setNextPageToken(page)
                        .build());
        for (WorkflowExecutionInfo info : response.getExecutionsList()) {
          if (!info.getType().getName().equals(REVOCATION_TYPE)) {
            continue;
          }
          String workflowId = info.getExecution().getWorkflowId();
          WorkflowExecutionHistory history =
              temporal.client().fetchHistory(workflowId, info.getExecution().getRunId());
          replayed++;
          String failure = replayOn(worker, history);
          if (failure != null) {
            Path file = writeHistory(logs, workflowId, history);
            failures.add(workflowId + " (history in " + file + "):" + failure);
          }
        }
        page = response.getNextPageToken();
      } while (!page.isEmpty());
    }
    lastReplayCount = replayed;
    return failures;
  }

  /** Writes the history beside the logs; the file's name, or what stopped the writing. */
  private static Path writeHistory(Path logs, String workflowId, WorkflowExecutionHistory history) {
    Path file = logs.resolve("history-" + workflowId + ".json");
    try {
      Files.writeString(file, history.toJson(true), StandardCharsets.UTF_8);
      return file.getFileName();
    } catch (IOException e) {
      return Path.of("(not written: " + e.getMessage() + ")");
    }
  }

  private static TestWorkflowEnvironment replayEnvironment() {
    return TestWorkflowEnvironment.newInstance(
        TestEnvironmentOptions.newBuilder()
            .setWorkflowClientOptions(
                WorkflowClientOptions.newBuilder()
                    .setDataConverter(ApiKeysDataConverter.newDataConverter())
                    .build())
            .build());
  }

  private static io.temporal.worker.Worker replayWorker(TestWorkflowEnvironment env) {
    io.temporal.worker.Worker worker = env.newWorker("replay");
    worker.registerWorkflowImplementationTypes(RevokeApiKeysWorkflowImpl.class);
    return worker;
  }

  /** Null when the history replays; otherwise the failure's first lines. */
  private static String replayOn(io.temporal.worker.Worker worker, WorkflowExecutionHistory h) {
    try {
      WorkflowReplayer.replayWorkflowExecution(h, worker);
      return null;
    } catch (Exception e) {
      StringWriter stack = new StringWriter();
      e.printStackTrace(new PrintWriter(stack));
      return stack.toString().lines().limit(REPLAY_LINES).reduce("", (a, b) -> a + "\n      " + b);
    }
  }

  private static void failedTasksInLogs(Path logs, StringBuilder out) throws IOException {
    List<String> shown = new ArrayList<>();
    try (Stream<Path> files = Files.list(logs)) {
      for (Path log : files.filter(f -> f.toString().endsWith(".err")).sorted().toList()) {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size() && shown.size() < FAILURES_SHOWN; i++) {
          String line = lines.get(i);
          if (line.contains("Workflow task processing failure")
              || line.contains("uncaught exception")) {
            StringBuilder block = new StringBuilder("  " + log.getFileName() + ":");
            lines.stream()
                .skip(i)
                .limit(LOG_LINES_PER_FAILURE)
                .forEach(l -> block.append("\n    ").append(l));
            shown.add(block.toString());
            i += LOG_LINES_PER_FAILURE;
          }
        }
      }
    }
    out.append(shown.isEmpty() ? "  no failed workflow task in the worker logs\n" : "");
    shown.forEach(b -> out.append(b).append('\n'));
  }
}
