package dev.apikeys.testing;

import dev.apikeys.activities.RevocationActivitiesImpl;
import dev.apikeys.revocation.ApiKeysDataConverter;
import dev.apikeys.revocation.RevocationActivities;
import dev.apikeys.revocation.RevokeApiKeysWorkflowImpl;
import dev.apikeys.store.TestDatabase;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * The setup every workflow test on the real activities shares, as one JUnit 5 extension: for each
 * test a fresh migrated {@link TestDatabase}, its stores, a Temporal test environment whose client
 * uses {@link ApiKeysDataConverter}, and one worker that runs {@link RevokeApiKeysWorkflowImpl}
 * with the real {@link RevocationActivitiesImpl}. The test receives it all as a {@link TestStack}
 * parameter (or any part of it by type: the environment, worker, client, database, a store, a
 * registered activity object or a {@linkplain Builder#provide provided} object).
 *
 * <pre>{@code
 * @RegisterExtension
 * static final ApiKeysTestKit kit =
 *     ApiKeysTestKit.newBuilder()
 *         .registerWorkflowImplementationTypes(RotateApiKeysWorkflowImpl.class)
 *         .revocationActivities(s -> new Scripted(new RevocationActivitiesImpl(s.revocations())))
 *         .build();
 *
 * @BeforeEach
 * void setUp(TestStack stack, Scripted activities) { ... }
 * }</pre>
 *
 * <p>The environment starts before the test's own {@code @BeforeEach} methods run, unless the
 * builder says {@link Builder#doNotStart()}: then the test registers what differs per test on
 * {@link TestStack#worker()} and calls {@link TestStack#start()}. It closes after the test's
 * {@code @AfterEach} methods. Each test gets its own database; none is dropped, as each is small
 * and the embedded server goes with the JVM. A class whose many cases are independent by their own
 * care may share one stack across its tests ({@link Builder#oneStackPerClass()}): it is made before
 * the class's {@code @BeforeAll} methods and closed after its {@code @AfterAll}.
 */
public final class ApiKeysTestKit
    implements BeforeAllCallback,
        BeforeEachCallback,
        AfterEachCallback,
        AfterAllCallback,
        ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(ApiKeysTestKit.class);

  /** The stores' selector timeout unless a test asks for another. */
  public static final Duration SELECTOR_TIMEOUT = Duration.ofSeconds(5);

  private final List<Class<?>> workflowTypes;
  private final Function<TestStack, ? extends RevocationActivities> revocationActivities;
  private final List<Function<TestStack, ?>> activities;
  private final Map<Class<?>, Function<TestStack, ?>> provided;
  private final Duration revocationSelectorTimeout;
  private final String taskQueue;
  private final boolean timeSkipping;
  private final boolean doNotStart;
  private final boolean perClass;

  private ApiKeysTestKit(Builder b) {
    this.workflowTypes = List.copyOf(b.workflowTypes);
    this.revocationActivities = b.revocationActivities;
    this.activities = List.copyOf(b.activities);
    this.provided = new LinkedHashMap<>(b.provided);
    this.revocationSelectorTimeout = b.revocationSelectorTimeout;
    this.taskQueue = b.taskQueue;
    this.timeSkipping = b.timeSkipping;
    this.doNotStart = b.doNotStart;
    this.perClass = b.perClass;
  }

  public static Builder newBuilder() {
    return new Builder();
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    if (perClass) {
      open(context);
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    if (!perClass) {
      open(context);
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (!perClass) {
      close(context);
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (perClass) {
      close(context);
    }
  }

  private void open(ExtensionContext context) {
    TestDatabase db = TestDatabase.create();
    TestWorkflowEnvironment env =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder()
                .setWorkflowClientOptions(
                    WorkflowClientOptions.newBuilder()
                        .setDataConverter(ApiKeysDataConverter.newDataConverter())
                        .build())
                .setUseTimeskipping(timeSkipping)
                .build());
    // Stored before anything else can fail, so that afterEach closes what was made.
    TestStack stack;
    try {
      // A queue of the test's own unless one is named, as TestWorkflowExtension does.
      String queue =
          taskQueue != null
              ? taskQueue
              : "WorkflowTest-" + context.getDisplayName() + "-" + context.getUniqueId();
      Worker worker = env.newWorker(queue);
      List<Class<?>> types = new ArrayList<>();
      types.add(RevokeApiKeysWorkflowImpl.class);
      types.addAll(workflowTypes);
      worker.registerWorkflowImplementationTypes(types.toArray(Class<?>[]::new));
      stack = new TestStack(db, env, worker, revocationSelectorTimeout);
      context.getStore(NAMESPACE).put(TestStack.class, stack);
      provided.forEach((type, factory) -> stack.provide(type, factory.apply(stack)));
      stack.registerActivities(revocationActivities.apply(stack));
      for (Function<TestStack, ?> factory : activities) {
        stack.registerActivities(factory.apply(stack));
      }
    } catch (RuntimeException | Error e) {
      env.close();
      context.getStore(NAMESPACE).remove(TestStack.class);
      throw e;
    }
    if (!doNotStart) {
      stack.start();
    }
  }

  private static void close(ExtensionContext context) {
    TestStack stack = context.getStore(NAMESPACE).remove(TestStack.class, TestStack.class);
    if (stack != null) {
      stack.env().close();
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    TestStack stack = stack(context);
    return stack != null && stack.find(parameter.getParameter().getType()) != null;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return stack(context).find(parameter.getParameter().getType());
  }

  private static TestStack stack(ExtensionContext context) {
    return context.getStore(NAMESPACE).get(TestStack.class, TestStack.class);
  }

  /** What differs between tests; everything else is the kit's. */
  public static final class Builder {
    private final List<Class<?>> workflowTypes = new ArrayList<>();
    private Function<TestStack, ? extends RevocationActivities> revocationActivities =
        s -> new RevocationActivitiesImpl(s.revocations());
    private final List<Function<TestStack, ?>> activities = new ArrayList<>();
    private final Map<Class<?>, Function<TestStack, ?>> provided = new LinkedHashMap<>();
    private Duration revocationSelectorTimeout = SELECTOR_TIMEOUT;
    private String taskQueue;
    private boolean timeSkipping = true;
    private boolean doNotStart;
    private boolean perClass;

    private Builder() {}

    /**
     * Workflows the worker runs besides {@link RevokeApiKeysWorkflowImpl}, which it always runs.
     */
    public Builder registerWorkflowImplementationTypes(Class<?>... types) {
      workflowTypes.addAll(List.of(types));
      return this;
    }

    /**
     * The revocation activities the worker runs instead of the real ones on {@link
     * TestStack#revocations()}: the real ones wrapped with faults or pauses, or the real ones on
     * another store.
     */
    public Builder revocationActivities(
        Function<TestStack, ? extends RevocationActivities> factory) {
      revocationActivities = Objects.requireNonNull(factory);
      return this;
    }

    /** Another activity implementation the worker runs, made for each test from its stack. */
    public Builder registerActivities(Function<TestStack, ?> factory) {
      activities.add(Objects.requireNonNull(factory));
      return this;
    }

    /**
     * An object made for each test from its stack, before any activity, in the order provided; the
     * test and later factories get it by type ({@link TestStack#get}).
     */
    public <T> Builder provide(Class<T> type, Function<TestStack, ? extends T> factory) {
      provided.put(Objects.requireNonNull(type), Objects.requireNonNull(factory));
      return this;
    }

    /**
     * The selector timeout of {@link TestStack#revocations()}, {@link #SELECTOR_TIMEOUT} unless
     * given: a test whose statements scan many rows gives a longer one.
     */
    public Builder revocationSelectorTimeout(Duration timeout) {
      revocationSelectorTimeout = Objects.requireNonNull(timeout);
      return this;
    }

    /** The worker's task queue; by default one of the test's own. */
    public Builder taskQueue(String queue) {
      taskQueue = Objects.requireNonNull(queue);
      return this;
    }

    /** Whether the test server skips time while a client waits; on by default. */
    public Builder timeSkipping(boolean on) {
      timeSkipping = on;
      return this;
    }

    /** Leaves the environment for the test to start, after it registered what differs. */
    public Builder doNotStart() {
      doNotStart = true;
      return this;
    }

    /**
     * One stack for all the tests of the class, made before its {@code @BeforeAll} methods (which
     * may take it as a parameter) and closed after its {@code @AfterAll} methods.
     */
    public Builder oneStackPerClass() {
      perClass = true;
      return this;
    }

    public ApiKeysTestKit build() {
      return new ApiKeysTestKit(this);
    }
  }
}
