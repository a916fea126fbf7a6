/**
 * {@code apikeys dev}: a local, throwaway environment in one process, bound to the loopback
 * interface only. {@link dev.apikeys.dev.DevEnvironment} starts an embedded PostgreSQL (real server
 * binaries, password authentication), Temporal's Java test server ({@link
 * dev.apikeys.dev.LocalTemporalServer}, which the tests and the benchmark use too) and the same
 * {@code RevocationWorker} that {@code apikeys worker} runs, with the examples hosted.
 *
 * <p>Nothing here is used by {@code apikeys worker} in production, and nothing here may listen on
 * anything but 127.0.0.1.
 */
package dev.apikeys.dev;
