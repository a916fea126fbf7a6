package dev.apikeys.config;

import dev.apikeys.model.MessageText;
import dev.apikeys.store.RotationStore;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * How {@code apikeys worker} runs, read from the environment and checked before anything starts.
 *
 * @param migrate whether the worker brings the schema up to date before it polls
 * @param rotationEnabled whether this worker runs key rotations; they issue new credentials, so
 *     they are off unless the operator turns them on
 * @param stickyTimeout the sticky queue's schedule-to-start timeout; empty leaves Temporal's
 *     default. Zero turns sticky execution off, which the Java test server needs: it never moves a
 *     workflow task off a dead worker's sticky queue, so a restarted worker would otherwise wait
 *     forever for a timer's task.
 * @param examples whether the worker also hosts the example workflows ({@code
 *     OffboardUserWorkflow}); off unless asked for, since production has no use for them
 */
public record WorkerConfig(
    boolean migrate, Optional<Duration> stickyTimeout, boolean rotationEnabled, boolean examples) {
  public static final String MIGRATE = "APIKEYS_MIGRATE";
  public static final String STICKY_TIMEOUT = "APIKEYS_STICKY_TIMEOUT";
  static final String ROTATION_ENABLED = RotationStore.ENABLED_VARIABLE;
  static final String EXAMPLES = "APIKEYS_EXAMPLES";

  public static WorkerConfig fromEnvironment(Map<String, String> env) {
    return new WorkerConfig(
        flag(env, MIGRATE, true),
        stickyTimeout(env),
        rotationEnabled(env),
        flag(env, EXAMPLES, false));
  }

  /**
   * What dev mode uses: it migrates its own database, runs on the Java test server and hosts the
   * examples; rotation as the environment says.
   */
  public static WorkerConfig dev(Map<String, String> env) {
    return new WorkerConfig(true, Optional.of(Duration.ZERO), rotationEnabled(env), true);
  }

  private static boolean rotationEnabled(Map<String, String> env) {
    return flag(env, ROTATION_ENABLED, false);
  }

  private static boolean flag(Map<String, String> env, String name, boolean defaultValue) {
    String text = env.get(name);
    if (text == null || text.isBlank()) {
      return defaultValue;
    }
    switch (text.strip().toLowerCase(Locale.ROOT)) {
      case "true":
        return true;
      case "false":
        return false;
      default:
        throw new ConfigurationException(
            name + " must be true or false, got \"" + MessageText.shown(text) + "\"");
    }
  }

  private static Optional<Duration> stickyTimeout(Map<String, String> env) {
    String text = env.get(STICKY_TIMEOUT);
    if (text == null || text.isBlank()) {
      return Optional.empty();
    }
    try {
      long seconds = Long.parseLong(text.strip());
      if (seconds >= 0) {
        return Optional.of(Duration.ofSeconds(seconds));
      }
    } catch (NumberFormatException ignored) {
      // Falls through to the one error below.
    }
    throw new ConfigurationException(
        STICKY_TIMEOUT + " must be a whole number of seconds, 0 or more, got \"" + text + "\"");
  }
}
