package dev.apikeys.worker;

import dev.apikeys.rotation.RotateApiKeysWorkflow;
import dev.apikeys.rotation.RotateRequest;
import dev.apikeys.rotation.RotationResult;
import dev.apikeys.rotation.ValidRotateRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.enums.v1.ScheduleOverlapPolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.schedules.Schedule;
import io.temporal.client.schedules.ScheduleActionStartWorkflow;
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleClientOptions;
import io.temporal.client.schedules.ScheduleIntervalSpec;
import io.temporal.client.schedules.ScheduleOptions;
import io.temporal.client.schedules.SchedulePolicy;
import io.temporal.client.schedules.ScheduleSpec;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code apikeys rotation run|schedule}: rotate keys now, or create a Temporal Schedule that
 * rotates them every so often. Each rotation gives every key a successor and revokes the old key
 * after the grace period.
 */
@Command(
    name = "rotation",
    description = "Rotate keys now (run) or on a Temporal Schedule (schedule).",
    subcommands = {RotationCommand.Run.class, RotationCommand.ScheduleRotation.class})
final class RotationCommand implements Runnable {
  /** Prefix of rotation workflow ids; a Schedule appends each run's start time to it. */
  static final String WORKFLOW_ID_PREFIX = "rotate-apikeys-";

  private static final Pattern HUMAN_DURATION = Pattern.compile("(\\d+)([smhd])");

  @ParentCommand ApiKeysCommand parent;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw UsageException.missingSubcommand(spec);
  }

  /** Which keys: one id, or a selector. */
  static final class Target {
    @Option(names = "--id", paramLabel = "<id>", required = true, description = "The key's id (apk_…).")
    String id;

    @Option(names = "--selector", paramLabel = "<json>", required = true, description = "Selector JSON, e.g. '{\"created_by\":\"svc\"}'.")
    String selector;
  }

  /** What the two subcommands share. */
  abstract static class RotationOptions implements Callable<Integer> {
    @ParentCommand RotationCommand parent;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    @Option(names = "--grace", paramLabel = "<duration>", defaultValue = "24h", description = "How long old keys keep working: 30m, 24h, 7d (default 24h).")
    String grace;

    @Option(names = "--rotated-by", paramLabel = "<who>", defaultValue = "apikeys-rotation", description = "Recorded as the old keys' revoked_by.")
    String rotatedBy;

    CommandContext context() {
      return parent.parent.context;
    }

    /** The request, checked here so that a mistake costs no round trip. */
    RotateRequest request() {
      long graceSeconds = parseDuration("--grace", grace).toSeconds();
      RotateRequest request =
          target.id != null
              ? RotateRequest.ofId(target.id, rotatedBy, graceSeconds)
              : RotateRequest.ofSelector(
                  context().parseJson("--selector", target.selector), rotatedBy, graceSeconds);
      ValidRotateRequest.parse(request);
      return request;
    }
  }

  @Command(name = "run", description = "Rotate now; prints each successor with its raw token, shown only this once.")
  static final class Run extends RotationOptions {
    @Override
    public Integer call() {
      RotateRequest request = request();
      CommandContext context = context();
      WorkflowClient client = context.temporal().client();
      RotateApiKeysWorkflow workflow =
          client.newWorkflowStub(
              RotateApiKeysWorkflow.class,
              WorkflowOptions.newBuilder()
                  .setTaskQueue(context.temporalConfig().taskQueue())
                  .setWorkflowId(WORKFLOW_ID_PREFIX + UUID.randomUUID())
                  .build());
      // A refusal, a fault or an answer this side cannot decrypt: each is reported by its kind
      // (see Failures), whatever the failure's type.
      RotationResult result = workflow.rotate(request);
      context.print(result);
      return ApiKeysCommand.ExitCodes.OK;
    }
  }

  @Command(name = "schedule", description = "Create a Temporal Schedule that rotates the keys every --every (overlap: skip).")
  static final class ScheduleRotation extends RotationOptions {
    @Option(names = "--every", paramLabel = "<duration>", required = true, description = "How often: e.g. 90d, 12h.")
    String every;

    @Option(names = "--schedule-id", paramLabel = "<id>", description = "The Schedule's id (default: apikeys-rotation-<random>).")
    String scheduleId;

    @Override
    public Integer call() {
      RotateRequest request = request();
      Duration interval = parseDuration("--every", every);
      String id = scheduleId != null ? scheduleId : "apikeys-rotation-" + UUID.randomUUID();
      CommandContext context = context();
      TemporalConfig config = context.temporalConfig();
      TemporalConnection connection = context.temporal();
      ScheduleClient schedules =
          ScheduleClient.newInstance(
              connection.stubs(),
              ScheduleClientOptions.newBuilder()
                  .setNamespace(config.namespace())
                  .setDataConverter(config.clientOptions().getDataConverter())
                  .build());
      try {
        schedules.createSchedule(id, schedule(request, interval, id, config.taskQueue()),
            ScheduleOptions.newBuilder().build());
      } catch (RuntimeException e) {
        if (Failures.find(e, StatusRuntimeException.class,
                s -> s.getStatus().getCode() == Status.Code.UNIMPLEMENTED).isPresent()) {
          // Temporal's Java test server, which `apikeys dev` runs, has no Schedules.
          throw new ConfigurationException(
              TemporalConfig.ADDRESS + ": the Temporal server at " + config.address()
                  + " has no Schedules (apikeys dev runs Temporal's Java test server); rotate"
                  + " with `apikeys rotation run` from cron, or use a Temporal server such as"
                  + " `docker compose up`'s; nothing was created");
        }
        throw e;
      }
      Map<String, Object> created = new LinkedHashMap<>();
      created.put("schedule_id", id);
      created.put("workflow_type", RotateApiKeysWorkflow.WORKFLOW_TYPE);
      created.put("every_seconds", interval.toSeconds());
      created.put("overlap", "skip");
      created.put("request", request.json());
      context.print(created);
      return ApiKeysCommand.ExitCodes.OK;
    }
  }

  /** The Schedule: start a rotation every {@code interval}; skip a run while one is still going. */
  static Schedule schedule(RotateRequest request, Duration interval, String id, String taskQueue) {
    return Schedule.newBuilder()
        .setAction(
            ScheduleActionStartWorkflow.newBuilder()
                .setWorkflowType(RotateApiKeysWorkflow.WORKFLOW_TYPE)
                .setArguments(request)
                .setOptions(
                    WorkflowOptions.newBuilder()
                        .setWorkflowId(WORKFLOW_ID_PREFIX + id)
                        .setTaskQueue(taskQueue)
                        .build())
                .build())
        .setSpec(
            ScheduleSpec.newBuilder()
                .setIntervals(List.of(new ScheduleIntervalSpec(interval)))
                .build())
        .setPolicy(
            SchedulePolicy.newBuilder()
                .setOverlap(ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP)
                .build())
        .build();
  }

  /** {@code 45s}, {@code 30m}, {@code 24h}, {@code 90d}, or ISO-8601 ({@code PT24H}); above zero. */
  static Duration parseDuration(String option, String text) {
    Duration duration = null;
    Matcher m = HUMAN_DURATION.matcher(text == null ? "" : text.trim().toLowerCase(Locale.ROOT));
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      duration =
          switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
          };
    } else if (text != null) {
      try {
        duration = Duration.parse(text.trim().toUpperCase(Locale.ROOT));
      } catch (RuntimeException ignored) {
        // Falls through to the one refusal below.
      }
    }
    if (duration == null || duration.isNegative() || duration.isZero()) {
      throw new UsageException(
          option + "=<duration>: expected a duration such as 45s, 30m, 24h or 90d, got \"" + text
              + "\"");
    }
    return duration;
  }

}
