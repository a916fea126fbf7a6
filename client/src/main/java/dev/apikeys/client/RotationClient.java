package dev.apikeys.client;

import dev.apikeys.model.ApiKeyException;
import dev.apikeys.rotation.RotateApiKeysWorkflow;
import dev.apikeys.rotation.RotateRequest;
import dev.apikeys.rotation.RotationNames;
import dev.apikeys.rotation.RotationResult;
import io.temporal.api.enums.v1.ScheduleOverlapPolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowException;
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
import java.util.List;
import java.util.UUID;

/**
 * Rotations as an application starts them: one now, under a workflow id of its own, or a Temporal
 * Schedule that starts one every so often. Refusals surface as {@link ApiKeyException}, as
 * everywhere in this module; a rotation is refused unless the worker enables it.
 */
public final class RotationClient {
  private final WorkflowClient client;
  private final String taskQueue;

  /**
   * @param client a client built with {@code ApiKeysDataConverter}, as the worker's is
   * @param taskQueue the task queue the worker polls
   */
  public RotationClient(WorkflowClient client, String taskQueue) {
    this.client = client;
    this.taskQueue = taskQueue;
  }

  /** A new rotation's workflow id: {@code rotate-apikeys-<random>}. */
  public static String newWorkflowId() {
    return RotationNames.workflowIdFor(UUID.randomUUID().toString());
  }

  /** A new Schedule's id, for a caller that names none: {@code apikeys-rotation-<random>}. */
  public static String newScheduleId() {
    return RotationNames.SCHEDULE_ID_PREFIX + UUID.randomUUID();
  }

  /** Rotates now under a new workflow id and waits for the result. */
  public RotationResult rotate(RotateRequest request) {
    return rotate(newWorkflowId(), request);
  }

  /**
   * Rotates under {@code workflowId} and waits for the result. A refusal (a request the worker
   * finds invalid, a rotation it does not enable) is thrown as {@link ApiKeyException}; any other
   * failure is thrown as Temporal reported it, since it is a fault and not an answer.
   */
  public RotationResult rotate(String workflowId, RotateRequest request) {
    RotateApiKeysWorkflow workflow =
        client.newWorkflowStub(
            RotateApiKeysWorkflow.class,
            WorkflowOptions.newBuilder().setTaskQueue(taskQueue).setWorkflowId(workflowId).build());
    try {
      return workflow.rotate(request);
    } catch (WorkflowException e) {
      throw ApiKeyModuleService.asRefusal(e);
    }
  }

  /**
   * Creates the Temporal Schedule {@code scheduleId}, in the client's namespace, that starts a
   * rotation of {@code request} every {@code interval} and skips a run while the previous one still
   * goes; each run's workflow id is {@code rotate-apikeys-<scheduleId>} followed by its start time.
   * A server without Schedules (Temporal's Java test server) fails with gRPC's {@code
   * UNIMPLEMENTED}.
   */
  public void createSchedule(String scheduleId, RotateRequest request, Duration interval) {
    ScheduleClient schedules =
        ScheduleClient.newInstance(
            client.getWorkflowServiceStubs(),
            ScheduleClientOptions.newBuilder()
                .setNamespace(client.getOptions().getNamespace())
                .setDataConverter(client.getOptions().getDataConverter())
                .build());
    schedules.createSchedule(
        scheduleId, schedule(request, interval, scheduleId), ScheduleOptions.newBuilder().build());
  }

  private Schedule schedule(RotateRequest request, Duration interval, String scheduleId) {
    return Schedule.newBuilder()
        .setAction(
            ScheduleActionStartWorkflow.newBuilder()
                .setWorkflowType(RotationNames.WORKFLOW_TYPE)
                .setArguments(request)
                .setOptions(
                    WorkflowOptions.newBuilder()
                        .setWorkflowId(RotationNames.workflowIdFor(scheduleId))
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
}
