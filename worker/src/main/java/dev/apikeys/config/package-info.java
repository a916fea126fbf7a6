/**
 * Configuration read from the environment, one record per concern ({@code DatabaseConfig}, {@code
 * TemporalConfig}, {@code WorkerConfig}, {@code MetricsConfig}, {@code DevConfig}, {@code
 * CodecServerConfig}), each checked when it is read so that a mistake fails before anything
 * connects, with a {@link dev.apikeys.config.ConfigurationException} whose one-line message names
 * the variable to fix. {@code TemporalConfig} also opens the Temporal connection it describes.
 *
 * <p>The records read the environment map a command was started with; only {@code main} and the
 * logging set-up in {@code dev.apikeys.cli} touch {@code System.getenv()} themselves, and no code
 * below the worker module reads configuration at all. This package depends on no other package of
 * the worker module, and holds no long-lived servers or workers: those are in {@code
 * dev.apikeys.dev} and {@code dev.apikeys.worker}.
 */
package dev.apikeys.config;
