/**
 * The domain metrics: {@code ApiKeyMetrics}, the interface the stores and the reconciler report to
 * once a change has committed (a no-op by default), and {@code MicrometerApiKeyMetrics}, its
 * Micrometer implementation, which the worker puts on its Prometheus registry and an application
 * may put on its own. What each meter counts: docs/operations.md.
 *
 * <p>No HTTP serving here (the worker serves {@code /metrics}), and no label that could carry a
 * token, a key id or any other unbounded value.
 */
package dev.apikeys.metrics;
