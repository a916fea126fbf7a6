/**
 * What a worker process hosts: {@link dev.apikeys.worker.RevocationWorker}, the one place the
 * workflows and activities are registered (configured by {@link
 * dev.apikeys.worker.RevocationWorkerOptions}), its {@code /metrics} and {@code /healthz} endpoints
 * ({@code WorkerMonitoring}, {@code Readiness}), and the codec server that lets the Temporal UI
 * show encrypted payloads ({@code CodecServer}).
 *
 * <p>Everything here is built from values passed to its constructor or factory (an {@code
 * ApiKeysDatabase}, a {@code WorkflowClient}, the config records): nothing reads the environment or
 * opens its own database. It may depend on {@code dev.apikeys.config}, never on the command line
 * ({@code dev.apikeys.cli}) or dev mode ({@code dev.apikeys.dev}).
 */
package dev.apikeys.worker;
