/**
 * The revocation workflow: {@code RevokeApiKeysWorkflow} and its implementation, the reconcile
 * workflow, the activity interfaces they call, the requests, results and statuses that travel as
 * payloads, request validation ({@code RevokeRequestParser}), {@code ChildRevocations} for parent
 * workflows, and the data converter every worker and client uses. What a revocation promises is
 * written in docs/semantics.md.
 *
 * <h2>Determinism: what workflow code here may do</h2>
 *
 * <p>A workflow's code runs again, from its first event, whenever a worker replays its history: on
 * another worker, after a restart, for a query. Replay must issue the same commands in the same
 * order, so the workflow classes ({@code RevokeApiKeysWorkflowImpl}, {@code
 * LegacyRevokeApiKeysWorkflow}, {@code ReconcileRevocationsWorkflowImpl}, {@code UpdatableTimer},
 * {@code ChildRevocations}) follow these rules:
 *
 * <ul>
 *   <li>Time is {@code Workflow.currentTimeMillis()}, waiting is {@code Workflow.newTimer} or
 *       {@code Workflow.await(Duration, condition)}; never the system clock, the JDK's {@code
 *       java.time} "now" methods or a thread's sleep.
 *   <li>No IO of any kind: no database, no file, no network, no environment variable or system
 *       property, no logging but {@code Workflow.getLogger}. Everything that touches the world is
 *       an activity ({@code RevocationActivities}, implemented in the {@code activities} module).
 *       This module's classpath has no JDBI, JDBC or PostgreSQL driver, so the compiler enforces
 *       the database part.
 *   <li>No randomness but {@code Workflow.randomUUID()} / {@code Workflow.newRandom()}; no threads
 *       but {@code Async} and {@code Workflow.await}; no iteration over a hash-ordered collection
 *       that decides a command.
 *   <li>A change that would issue different commands for a history already recorded goes behind
 *       {@code Workflow.getVersion}. The change ids in use are {@code revocation-v2}, {@code
 *       single-key-local-activities} and {@code report-to-parent} (legacy path); never reuse or
 *       remove one while a revocation started before it may still be open (up to ten years).
 *   <li>{@code RevokeApiKeysWorkflowReplayTest} (workflows module) replays the committed histories
 *       in {@code workflows/src/test/resources/histories}; it must stay green. {@code
 *       HistoryRecorder} (client module) records new ones when a change is meant to add a path.
 * </ul>
 *
 * <p>Payload records here are read by other SDKs and the Temporal CLI as plain JSON: their field
 * names are part of the contract ({@code PayloadJsonTest} and its fixtures pin them).
 *
 * <h2>Pinned names</h2>
 *
 * <p>Running workflows, other SDKs and the Temporal CLI depend on these strings; they are defined
 * once, in {@code RevocationNames}, and must never change:
 *
 * <ul>
 *   <li>workflow types {@code RevokeApiKeysWorkflow} and {@code ReconcileRevocationsWorkflow};
 *   <li>query {@code status}; updates {@code scheduled} (Update-with-Start), {@code revokeNow},
 *       {@code reschedule}; signal {@code revocationFinished} (to a parent);
 *   <li>activities {@code ScheduleRevocation}, {@code StampRevocation}, {@code CancelRevocation},
 *       {@code RescheduleRevocation} and {@code ReconcileRevocations};
 *   <li>task queue {@code api-keys} (the default), workflow id prefix {@code revoke-apikeys-},
 *       failure type {@code RETRY_AFTER_CLOSE}.
 * </ul>
 */
package dev.apikeys.revocation;
