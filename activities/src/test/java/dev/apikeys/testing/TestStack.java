package dev.apikeys.testing;

import dev.apikeys.store.ApiKeyStore;
import dev.apikeys.store.RevocationStore;
import dev.apikeys.store.RotationStore;
import dev.apikeys.store.TestDatabase;
import io.temporal.client.WorkflowClient;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One test's database, stores and Temporal test environment, made by {@link ApiKeysTestKit}. The
 * stores are the ones the kit's revocation activities use, on {@link #db()}.
 */
public final class TestStack {
  private final TestDatabase db;
  private final TestWorkflowEnvironment env;
  private final Worker worker;
  private final ApiKeyStore keys;
  private final RevocationStore revocations;
  private final RotationStore rotations;
  private final Map<Class<?>, Object> provided = new LinkedHashMap<>();
  private final List<Object> activities = new ArrayList<>();
  private boolean started;

  TestStack(
      TestDatabase db, TestWorkflowEnvironment env, Worker worker, Duration revocationTimeout) {
    this.db = db;
    this.env = env;
    this.worker = worker;
    this.keys = new ApiKeyStore(db.jdbi(), ApiKeysTestKit.SELECTOR_TIMEOUT);
    this.revocations = new RevocationStore(db.jdbi(), revocationTimeout);
    this.rotations = new RotationStore(db.jdbi(), ApiKeysTestKit.SELECTOR_TIMEOUT);
  }

  public TestDatabase db() {
    return db;
  }

  public TestWorkflowEnvironment env() {
    return env;
  }

  public Worker worker() {
    return worker;
  }

  public WorkflowClient client() {
    return env.getWorkflowClient();
  }

  public String taskQueue() {
    return worker.getTaskQueue();
  }

  public ApiKeyStore keys() {
    return keys;
  }

  public RevocationStore revocations() {
    return revocations;
  }

  public RotationStore rotations() {
    return rotations;
  }

  /** An object the kit was told to {@linkplain ApiKeysTestKit.Builder#provide provide}. */
  public <T> T get(Class<T> type) {
    Object value = provided.get(type);
    if (value == null) {
      throw new IllegalStateException(
          "the test kit provides no " + type.getName() + "; add it with provide(...)");
    }
    return type.cast(value);
  }

  /** Starts the environment; the kit does it itself unless built with doNotStart(). */
  public void start() {
    if (!started) {
      started = true;
      env.start();
    }
  }

  void provide(Class<?> type, Object value) {
    provided.put(type, type.cast(value));
  }

  void registerActivities(Object implementation) {
    worker.registerActivitiesImplementations(implementation);
    activities.add(implementation);
  }

  /** What a test parameter of this type resolves to, or null. */
  Object find(Class<?> type) {
    for (Object part :
        List.of(this, db, env, worker, env.getWorkflowClient(), keys, revocations, rotations)) {
      if (type.isInstance(part)) {
        return part;
      }
    }
    Object exact = provided.get(type);
    if (exact != null) {
      return exact;
    }
    for (Object value : provided.values()) {
      if (type.isInstance(value)) {
        return value;
      }
    }
    for (Object implementation : activities) {
      if (type.isInstance(implementation)) {
        return implementation;
      }
    }
    return null;
  }
}
