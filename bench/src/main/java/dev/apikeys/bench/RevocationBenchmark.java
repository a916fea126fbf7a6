package dev.apikeys.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.apikeys.client.ApiKeyModuleService;
import dev.apikeys.client.RevocationHandle;
import dev.apikeys.dev.LocalTemporalServer;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.model.FilterableApiKeyProps;
import dev.apikeys.revocation.ApiKeysDataConverter;
import dev.apikeys.revocation.RevocationNames;
import dev.apikeys.revocation.RevokeApiKeyDTO;
import dev.apikeys.revocation.RevokeRequest;
import dev.apikeys.revocation.RevokeResult;
import dev.apikeys.store.ApiKeyStore;
import dev.apikeys.store.ApiKeysDatabase;
import dev.apikeys.store.Database;
import dev.apikeys.store.Migrations;
import dev.apikeys.store.RevocationStore;
import dev.apikeys.worker.RevocationWorker;
import dev.apikeys.worker.RevocationWorkerOptions;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;

/**
 * One run, one PostgreSQL, one Temporal server: each measurement of ours beside the floor it is
 * compared with, printed as a table. Nothing here asserts a time; it only reports.
 *
 * <p>Arguments: {@code --sizes 1000,10000,100000} (bulk sizes), {@code --single 200} (single-key
 * runs), {@code --concurrent 1000}, {@code --auth-keys 10000}, {@code --skip-two-workers}.
 */
public final class RevocationBenchmark {
  private static final String TASK_QUEUE = "api-keys-bench";

  private final Jdbi jdbi;
  private final ApiKeyStore store;
  private final ApiKeyModuleService module;
  private final WorkflowClient client;
  private final String temporalAddress;
  private final String jdbcUrl;
  private final List<String> rows = new ArrayList<>();
  private final Map<Integer, Double> warmBulkMs = new java.util.HashMap<>();
  private double engineMaxLateness;

  private RevocationBenchmark(
      Jdbi jdbi,
      ApiKeyStore store,
      ApiKeyModuleService module,
      WorkflowClient client,
      String temporalAddress,
      String jdbcUrl) {
    this.jdbi = jdbi;
    this.store = store;
    this.module = module;
    this.client = client;
    this.temporalAddress = temporalAddress;
    this.jdbcUrl = jdbcUrl;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = parse(args);
    List<Integer> sizes =
        Arrays.stream(options.getOrDefault("sizes", "1000,10000,100000").split(","))
            .map(String::trim)
            .map(Integer::parseInt)
            .toList();
    int single = Integer.parseInt(options.getOrDefault("single", "200"));
    int concurrent = Integer.parseInt(options.getOrDefault("concurrent", "1000"));
    int authKeys = Integer.parseInt(options.getOrDefault("auth-keys", "10000"));
    boolean twoWorkers = !options.containsKey("skip-two-workers");

    System.out.printf(Locale.ROOT, "apikeys benchmark, %s%n", Instant.now());
    System.out.printf(
        Locale.ROOT,
        "machine: %d cores, %s %s, JVM %s (%s), max heap %d MiB%n",
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("os.name"),
        System.getProperty("os.arch"),
        System.getProperty("java.vm.version"),
        System.getProperty("java.vm.name"),
        Runtime.getRuntime().maxMemory() >> 20);

    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
        LocalTemporalServer temporal = LocalTemporalServer.start(0)) {
      String jdbcUrl = "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres?user=postgres";
      HikariConfig hikari = new HikariConfig();
      hikari.setJdbcUrl(jdbcUrl);
      hikari.setMaximumPoolSize(16);
      hikari.addDataSourceProperty("logServerErrorDetail", "false");
      try (HikariDataSource ds = new HikariDataSource(hikari)) {
        Migrations.migrate(ds);
        Jdbi jdbi = Database.jdbi(ds);
        String pgVersion =
            jdbi.withHandle(h -> h.select("show server_version").mapTo(String.class).one());
        System.out.printf(
            Locale.ROOT,
            "PostgreSQL %s (embedded), Temporal Java test server on %s%n%n",
            pgVersion,
            temporal.address());
        WorkflowServiceStubs service =
            WorkflowServiceStubs.newServiceStubs(
                WorkflowServiceStubsOptions.newBuilder().setTarget(temporal.address()).build());
        WorkflowClient client =
            WorkflowClient.newInstance(
                service,
                WorkflowClientOptions.newBuilder()
                    .setDataConverter(ApiKeysDataConverter.newDataConverter())
                    .build());
        ApiKeysDatabase database = new ApiKeysDatabase(jdbi, Duration.ofSeconds(60));
        ApiKeyStore store = database.apiKeys();
        ApiKeyModuleService module =
            new ApiKeyModuleService(client, store, database.revocations(), TASK_QUEUE);
        try (RevocationWorker worker =
            new RevocationWorker(
                client,
                database,
                RevocationWorkerOptions.forTaskQueue(TASK_QUEUE)
                    .withStickyTimeout(Duration.ZERO))) {
          worker.start();
          RevocationBenchmark bench =
              new RevocationBenchmark(jdbi, store, module, client, temporal.address(), jdbcUrl);
          bench.warmUp();
          for (int n : sizes) {
            bench.bulk(n);
          }
          bench.singleKeyLatency(single);
          double engine = bench.engineFloor(client, concurrent);
          double oneWorker = bench.concurrent(concurrent, "1 worker", engine);
          if (twoWorkers) {
            Process second = bench.startWorkerProcess(TASK_QUEUE);
            try {
              Thread.sleep(3000);
              double two = bench.concurrent(concurrent, "2 workers", engine);
              bench.rows.add(
                  String.format(
                      Locale.ROOT,
                      "| scale-out | 2 workers vs 1, completions/s | %.1f vs %.1f | | speed-up %.2fx |",
                      two,
                      oneWorker,
                      two / oneWorker));
            } finally {
              second.destroy();
              second.waitFor(30, TimeUnit.SECONDS);
            }
          }
          if (sizes.contains(10_000)) {
            bench.coldWorker(10_000);
          }
          bench.commandLine();
          bench.authenticate(authKeys);
          bench.print();
        }
        service.shutdown();
      }
    }
    System.exit(0);
  }

  private void warmUp() throws Exception {
    List<ApiKeyDTO> keys = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      keys.add(store.createApiKey(new CreateApiKeyDTO("warm-up", "publishable", "warm-up")));
    }
    for (ApiKeyDTO k : keys) {
      module
          .startRevoke(RevokeRequest.ofId(k.id(), RevokeApiKeyDTO.now("bench"), null))
          .await(Duration.ofMinutes(1));
    }
  }

  /**
   * Bulk revoke by selector through the workflow, beside one hand-written UPDATE of as many rows.
   */
  private void bulk(int n) throws Exception {
    insertPublishable("bulk-" + n + "-ours", n);
    insertPublishable("bulk-" + n + "-floor", n);
    analyze();
    long heapBefore = heapUsedAfterGc();

    long f0 = System.nanoTime();
    int floorRows =
        jdbi.withHandle(
            h ->
                h.createUpdate(
                        "update api_key set revoked_at = now(), revoked_by = 'floor', updated_at = now()"
                            + " where deleted_at is null and created_by = :c")
                    .bind("c", "bulk-" + n + "-floor")
                    .execute());
    double floorMs = (System.nanoTime() - f0) / 1e6;

    long t0 = System.nanoTime();
    RevocationHandle handle =
        module.startRevoke(
            RevokeRequest.ofSelector(
                FilterableApiKeyProps.where("created_by", "bulk-" + n + "-ours").json(),
                RevokeApiKeyDTO.now("bench"),
                null));
    double scheduledMs = (System.nanoTime() - t0) / 1e6;
    RevokeResult result = handle.await(Duration.ofMinutes(30));
    double oursMs = (System.nanoTime() - t0) / 1e6;
    long heapAfter = heapUsedAfterGc();

    long stamped =
        jdbi.withHandle(
            h ->
                h.createQuery(
                        "select count(*) from api_key where created_by = :c and revoked_by = 'bench'"
                            + " and revoked_at = :at")
                    .bind("c", "bulk-" + n + "-ours")
                    .bind("at", result.scheduledAt())
                    .mapTo(Long.class)
                    .one());
    long events =
        jdbi.withHandle(
            h ->
                h.createQuery("select count(*) from apikeys_event where revocation_id = :r")
                    .bind("r", result.revocationId())
                    .mapTo(Long.class)
                    .one());
    int historyEvents = client.fetchHistory(handle.workflowId()).getEvents().size();
    warmBulkMs.put(n, oursMs);
    rows.add(
        String.format(
            Locale.ROOT,
            "| bulk %,d by selector | schedule %.0f ms, end to end %.0f ms | one UPDATE %.0f ms (%,d rows) | %.2fx |"
                + " %,d stamped, %,d events, %d history events, heap %+d MiB |",
            n,
            scheduledMs,
            oursMs,
            floorMs,
            floorRows,
            oursMs / floorMs,
            stamped,
            events,
            historyEvents,
            (heapAfter - heapBefore) >> 20));
    System.err.println(rows.get(rows.size() - 1));
  }

  /** Start → stamped row for one key with revoke_in 0, one after another. */
  private void singleKeyLatency(int runs) throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      ids.add(insertOnePublishable("single"));
    }
    analyze();
    double[] ms = new double[runs];
    long f0 = System.nanoTime();
    for (String id : ids.subList(0, Math.min(runs, ids.size()))) {
      jdbi.useHandle(h -> h.execute("update api_key set title = title where id = ?", id));
    }
    double floorPerKey = (System.nanoTime() - f0) / 1e6 / runs;
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      module
          .startRevoke(RevokeRequest.ofId(ids.get(i), RevokeApiKeyDTO.now("bench"), null))
          .await(Duration.ofMinutes(1));
      ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    Arrays.sort(ms);
    rows.add(
        String.format(
            Locale.ROOT,
            "| single key, start → stamped (%d runs) | p50 %.1f ms, p99 %.1f ms | one UPDATE by id %.2f ms |"
                + " %.0fx | sequential, revoke_in 0 |",
            runs,
            pct(ms, 50),
            pct(ms, 99),
            floorPerKey,
            pct(ms, 50) / floorPerKey));
    System.err.println(rows.get(rows.size() - 1));
  }

  /**
   * Starts {@code n} single-key revocations with revoke_in 1 at once; returns completions per
   * second and records timer lateness (stamp commit minus scheduled instant) from the database.
   */
  private double concurrent(int n, String label, double engineMaxMs) throws Exception {
    String tag = "concurrent-" + label.replace(' ', '-');
    List<String> ids = insertPublishable(tag, n);
    analyze();
    ExecutorService pool = Executors.newFixedThreadPool(32);
    long t0 = System.nanoTime();
    Instant wallStart = Instant.now();
    // Plain starts rather than the module's Update-with-Start: under this many concurrent calls
    // the Java test server's Update-with-Start fails now and then with an internal error, and
    // what is measured here is the workflow's throughput and its timers, not that call.
    List<Future<String>> started = new ArrayList<>();
    for (String id : ids) {
      started.add(
          pool.submit(
              () -> {
                WorkflowStub stub =
                    client.newUntypedWorkflowStub(
                        RevocationNames.WORKFLOW_TYPE,
                        WorkflowOptions.newBuilder()
                            .setTaskQueue(TASK_QUEUE)
                            .setWorkflowId(tag + "-" + id)
                            .build());
                stub.start(RevokeRequest.ofId(id, new RevokeApiKeyDTO(tag, 2L), null));
                return tag + "-" + id;
              }));
    }
    List<String> workflowIds = new ArrayList<>();
    for (Future<String> f : started) {
      workflowIds.add(f.get(5, TimeUnit.MINUTES));
    }
    List<Future<RevokeResult>> done = new ArrayList<>();
    for (String workflowId : workflowIds) {
      done.add(
          pool.submit(
              () ->
                  client
                      .newUntypedWorkflowStub(workflowId)
                      .getResult(5, TimeUnit.MINUTES, RevokeResult.class)));
    }
    for (Future<RevokeResult> f : done) {
      f.get(10, TimeUnit.MINUTES);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    pool.shutdown();

    List<Double> lateness =
        jdbi.withHandle(
            h ->
                h.createQuery(
                        "select extract(epoch from (completed_at - scheduled_at)) * 1000"
                            + " from apikeys_revocation where revoked_by = :tag and status = 'revoked'")
                    .bind("tag", tag)
                    .mapTo(Double.class)
                    .list());
    long eventsPerKeyOk =
        jdbi.withHandle(
            h ->
                h.createQuery(
                        "select count(*) from (select e.api_key_id from apikeys_event e"
                            + " join apikeys_revocation r on r.id = e.revocation_id"
                            + " where r.revoked_by = :tag group by e.api_key_id having count(*) = 1) x")
                    .bind("tag", tag)
                    .mapTo(Long.class)
                    .one());
    double[] late = lateness.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    double perSecond = n / seconds;
    String tasks = tasksPerRun(workflowIds.get(0));
    rows.add(
        String.format(
            Locale.ROOT,
            "| %,d single-key revocations at once, revoke_in 2, %s | stamp lateness p50 %.0f ms,"
                + " p99 %.0f ms, max %.0f ms; %.1f completions/s | engine floor max %.0f ms | %.2fx |"
                + " %,d of %,d stamped, %,d with exactly one event; %s per revocation |",
            n,
            label,
            pct(late, 50),
            pct(late, 99),
            late[late.length - 1],
            perSecond,
            engineMaxMs,
            late[late.length - 1] / Math.max(1, engineMaxMs),
            lateness.size(),
            n,
            eventsPerKeyOk,
            tasks));
    System.err.println(rows.get(rows.size() - 1));
    return perSecond;
  }

  /**
   * The engine's floor for the burst: {@code n} trivial workflows (a 2 s timer, then one no-op
   * activity) started the same way, on the same server, by a worker in this process. Returns the
   * largest lateness, the figure the revocations' own is set beside.
   */
  private double engineFloor(WorkflowClient client, int n) throws Exception {
    String queue = "bench-engine-floor";
    io.temporal.worker.WorkerFactory factory = io.temporal.worker.WorkerFactory.newInstance(client);
    io.temporal.worker.Worker worker = factory.newWorker(queue);
    worker.registerWorkflowImplementationTypes(EngineFloor.TimerThenNoOpImpl.class);
    EngineFloor.NoOpImpl noOp = new EngineFloor.NoOpImpl();
    worker.registerActivitiesImplementations(noOp);
    factory.start();
    try {
      ExecutorService pool = Executors.newFixedThreadPool(32);
      long intended = System.currentTimeMillis() + 2_000;
      List<Future<String>> started = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String id = "engine-floor-" + i + "-" + UUID.randomUUID();
        started.add(
            pool.submit(
                () -> {
                  WorkflowStub stub =
                      client.newUntypedWorkflowStub(
                          "BenchTimerThenNoOp",
                          WorkflowOptions.newBuilder()
                              .setTaskQueue(queue)
                              .setWorkflowId(id)
                              .build());
                  // Each run's own instant: 2 s after its start, as a revocation's revoke_in 2.
                  stub.start(System.currentTimeMillis() + 2_000);
                  return id;
                }));
      }
      List<String> ids = new ArrayList<>();
      for (Future<String> f : started) {
        ids.add(f.get(5, TimeUnit.MINUTES));
      }
      for (String id : ids) {
        client.newUntypedWorkflowStub(id).getResult(5, TimeUnit.MINUTES, Void.class);
      }
      pool.shutdown();
      double[] late = noOp.lateness.stream().mapToDouble(Long::doubleValue).sorted().toArray();
      engineMaxLateness = late[late.length - 1];
      rows.add(
          String.format(
              Locale.ROOT,
              "| engine floor: %,d trivial workflows at once (2 s timer, one no-op activity) |"
                  + " lateness p50 %.0f ms, p99 %.0f ms, max %.0f ms | | | %s per run; intended start %s |",
              n,
              pct(late, 50),
              pct(late, 99),
              late[late.length - 1],
              tasksPerRun(ids.get(0)),
              Instant.ofEpochMilli(intended)));
      System.err.println(rows.get(rows.size() - 1));
      return engineMaxLateness;
    } finally {
      factory.shutdown();
      factory.awaitTermination(30, TimeUnit.SECONDS);
    }
  }

  /** How many workflow tasks, activity tasks and local activities one run took. */
  private String tasksPerRun(String workflowId) {
    var events = client.fetchHistory(workflowId).getEvents();
    long workflowTasks =
        events.stream()
            .filter(
                e ->
                    e.getEventType()
                        == io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
            .count();
    long activityTasks =
        events.stream()
            .filter(
                e ->
                    e.getEventType()
                        == io.temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED)
            .count();
    long markers =
        events.stream()
            .filter(
                e ->
                    e.getEventType()
                            == io.temporal.api.enums.v1.EventType.EVENT_TYPE_MARKER_RECORDED
                        && e.getMarkerRecordedEventAttributes()
                            .getMarkerName()
                            .equals("LocalActivity"))
            .count();
    return workflowTasks
        + " workflow tasks, "
        + activityTasks
        + " activity tasks, "
        + markers
        + " local activities";
  }

  /**
   * A worker process started now, its time until it polls, and the first bulk revocation it takes
   * beside the same size taken by the warm worker earlier in the run.
   */
  private void coldWorker(int n) throws Exception {
    String queue = "bench-cold-" + UUID.randomUUID();
    File log = File.createTempFile("apikeys-cold-worker", ".log");
    log.deleteOnExit();
    long t0 = System.nanoTime();
    Process worker = startWorkerProcess(queue, log);
    while (!java.nio.file.Files.readString(log.toPath()).contains("apikeys worker started")) {
      if (!worker.isAlive()) {
        throw new IllegalStateException(
            "the cold worker stopped:\n" + java.nio.file.Files.readString(log.toPath()));
      }
      Thread.sleep(10);
    }
    double readyMs = (System.nanoTime() - t0) / 1e6;
    try {
      ApiKeyModuleService cold =
          new ApiKeyModuleService(
              client, store, new RevocationStore(jdbi, Duration.ofSeconds(60)), queue);
      double coldMs = timedBulk(cold, "cold-" + n, n);
      // The same work again on the same process: what is left of the gap is that process's own
      // first-run cost (class loading, JIT), since the database and the server are the warm ones.
      double againMs = timedBulk(cold, "cold-again-" + n, n);
      double warm = warmBulkMs.getOrDefault(n, Double.NaN);
      rows.add(
          String.format(
              Locale.ROOT,
              "| first bulk %,d after `apikeys worker` starts | end to end %.0f ms | the warm worker's"
                  + " %.0f ms | %.2fx | start to polling %.0f ms (JVM, pool, migrations check,"
                  + " warm-up); a second %,d on the same process %.0f ms |",
              n,
              coldMs,
              warm,
              coldMs / warm,
              readyMs,
              n,
              againMs));
      System.err.println(rows.get(rows.size() - 1));
    } finally {
      worker.destroy();
      worker.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /**
   * Inserts {@code n} keys created by {@code createdBy}; revokes them by selector, timed, in ms.
   */
  private double timedBulk(ApiKeyModuleService module, String createdBy, int n) throws Exception {
    insertPublishable(createdBy, n);
    analyze();
    long t0 = System.nanoTime();
    module
        .startRevoke(
            RevokeRequest.ofSelector(
                FilterableApiKeyProps.where("created_by", createdBy).json(),
                RevokeApiKeyDTO.now("bench"),
                null))
        .await(Duration.ofMinutes(10));
    return (System.nanoTime() - t0) / 1e6;
  }

  /**
   * {@code bin/apikeys retrieve ID} as a user runs it, beside {@code psql} running the same SELECT,
   * each the median of five whole processes.
   */
  private void commandLine() throws Exception {
    String id = insertOnePublishable("cli");
    File root = new File(System.getProperty("user.dir"));
    File script = new File(root, "bin/apikeys");
    if (!script.canExecute()) {
      rows.add(
          "| `bin/apikeys retrieve ID` wall time | not measured: run bin/bench from the"
              + " repository's root | | | |");
      return;
    }
    double[] ours = new double[5];
    double[] floor = new double[5];
    for (int i = 0; i < 5; i++) {
      ours[i] = runProcess(List.of(script.getPath(), "retrieve", id));
      floor[i] =
          runProcess(
              List.of(
                  "psql",
                  jdbcUrl.replace("jdbc:", "").replace("?user=postgres", ""),
                  "-U",
                  "postgres",
                  "-Atc",
                  "select id, title, revoked_at from api_key where id = '" + id + "'"));
    }
    Arrays.sort(ours);
    Arrays.sort(floor);
    rows.add(
        String.format(
            Locale.ROOT,
            "| `bin/apikeys retrieve ID` wall time (median of 5) | %.0f ms | psql doing the same"
                + " SELECT %.0f ms | %.1fx | class-data archive, one-shot wiring |",
            ours[2],
            floor[2],
            ours[2] / floor[2]));
    System.err.println(rows.get(rows.size() - 1));
  }

  private double runProcess(List<String> command) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("APIKEYS_DATABASE_URL", jdbcUrl);
    pb.environment().put("TEMPORAL_ADDRESS", temporalAddress);
    pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    long t0 = System.nanoTime();
    Process p = pb.start();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      return Double.NaN;
    }
    return (System.nanoTime() - t0) / 1e6;
  }

  /**
   * authenticate with {@code total} keys in the table: a secret token the first time a store sees
   * it (one scrypt), the same tokens seen before (the remembered token → id mapping, then the key's
   * state by primary key), and a token no key has; beside them the floor, a SELECT of the key's
   * revocation state by id. Publishable keys never authenticate; their lookup is {@code list
   * --selector '{"token":"pk_…"}'}, beside a SELECT by token.
   */
  private void authenticate(int total) {
    final int distinct = 100;
    final int warm = 1000;
    final int runs = 1000;
    jdbi.useHandle(h -> h.execute("delete from api_key"));
    List<ApiKeyDTO> secrets = new ArrayList<>();
    for (int i = 0; i < distinct; i++) {
      secrets.add(store.createApiKey(new CreateApiKeyDTO("auth", "secret", "auth")));
    }
    List<String> publishable = insertPublishableTokens("auth", total / 2);
    // The rest are secret rows as Medusa stores them; their hashes are random, which is all a
    // lookup by redacted form and a scrypt check need to be exercised at this size.
    jdbi.useHandle(
        h ->
            h.execute(
                "insert into api_key (id, token, salt, redacted, title, type, created_by)"
                    + " select 'apk_auth_s' || i, md5(random()::text) || md5(random()::text),"
                    + " substr(md5(random()::text), 1, 32),"
                    + " 'sk_' || substr(md5(i::text), 1, 3) || '***' || substr(md5(i::text), 4, 3),"
                    + " 'auth', 'secret', 'auth' from generate_series(1, ?) i",
                Math.max(0, total - publishable.size() - secrets.size())));
    analyze();
    long rowsNow =
        jdbi.withHandle(h -> h.select("select count(*) from api_key").mapTo(Long.class).one());

    // A store that has seen none of these tokens, as a process just started.
    ApiKeyStore fresh = new ApiKeyStore(jdbi, Duration.ofSeconds(60));
    double[] firstSeen = new double[distinct];
    for (int i = 0; i < distinct; i++) {
      String token = secrets.get(i).token();
      long t0 = System.nanoTime();
      fresh.authenticate(token).orElseThrow();
      firstSeen[i] = (System.nanoTime() - t0) / 1e6;
    }
    double[] seenBefore = new double[runs];
    double[] floorById = new double[runs];
    for (int i = -warm; i < runs; i++) {
      ApiKeyDTO key = secrets.get(Math.floorMod(i, distinct));
      long t0 = System.nanoTime();
      fresh.authenticate(key.token()).orElseThrow();
      long t1 = System.nanoTime();
      jdbi.withHandle(
          h ->
              h.select("select revoked_at, deleted_at from api_key where id = ?", key.id())
                  .mapToMap()
                  .one());
      long t2 = System.nanoTime();
      if (i >= 0) {
        seenBefore[i] = (t1 - t0) / 1e6;
        floorById[i] = (t2 - t1) / 1e6;
      }
    }
    double[] unknown = new double[distinct];
    for (int i = 0; i < distinct; i++) {
      String token =
          "sk_"
              + UUID.randomUUID().toString().replace("-", "")
              + UUID.randomUUID().toString().replace("-", "");
      long t0 = System.nanoTime();
      if (fresh.authenticate(token).isPresent()) {
        throw new IllegalStateException("a random token authenticated");
      }
      unknown[i] = (System.nanoTime() - t0) / 1e6;
    }
    double[] lookup = new double[runs];
    double[] floorByToken = new double[runs];
    for (int i = -warm; i < runs; i++) {
      String token = publishable.get(Math.floorMod(i, publishable.size()));
      ObjectNode selector = JsonNodeFactory.instance.objectNode().put("token", token);
      long t0 = System.nanoTime();
      if (store.listApiKeys(selector, null).size() != 1) {
        throw new IllegalStateException("a publishable key was not found by its token");
      }
      long t1 = System.nanoTime();
      jdbi.withHandle(
          h -> h.select("select id from api_key where token = ?", token).mapTo(String.class).one());
      long t2 = System.nanoTime();
      if (i >= 0) {
        lookup[i] = (t1 - t0) / 1e6;
        floorByToken[i] = (t2 - t1) / 1e6;
      }
    }
    for (double[] sample :
        List.of(firstSeen, seenBefore, floorById, unknown, lookup, floorByToken)) {
      Arrays.sort(sample);
    }
    rows.add(
        String.format(
            Locale.ROOT,
            "| authenticate, secret, first seen (%,d keys in table, %d tokens) | p50 %.1f ms,"
                + " p99 %.1f ms | | | one scrypt (N=16384) per token, then remembered |",
            rowsNow,
            distinct,
            pct(firstSeen, 50),
            pct(firstSeen, 99)));
    rows.add(
        String.format(
            Locale.ROOT,
            "| authenticate, secret, seen before (%,d calls) | p50 %.2f ms, p99 %.2f ms |"
                + " SELECT revoked_at, deleted_at by id p50 %.2f ms | %.1fx |"
                + " the key's state read by primary key on every call |",
            runs,
            pct(seenBefore, 50),
            pct(seenBefore, 99),
            pct(floorById, 50),
            pct(seenBefore, 50) / pct(floorById, 50)));
    rows.add(
        String.format(
            Locale.ROOT,
            "| authenticate, unknown secret token | p50 %.1f ms, p99 %.1f ms | | |"
                + " one throwaway scrypt, never remembered |",
            pct(unknown, 50),
            pct(unknown, 99)));
    rows.add(
        String.format(
            Locale.ROOT,
            "| publishable lookup, list --selector {\"token\":…} (%,d calls) | p50 %.2f ms, p99 %.2f ms |"
                + " one SELECT by token p50 %.2f ms | %.1fx | publishable keys never authenticate |",
            runs,
            pct(lookup, 50),
            pct(lookup, 99),
            pct(floorByToken, 50),
            pct(lookup, 50) / pct(floorByToken, 50)));
    rows.subList(rows.size() - 4, rows.size()).forEach(System.err::println);
  }

  /**
   * Refreshes the planner's statistics after a bulk load, as autovacuum would within a minute on a
   * real server. Without them, right after 200,000 rows appear, PostgreSQL may read a key by the
   * partial index on deleted_at (every live row) instead of the primary key.
   */
  private void analyze() {
    jdbi.useHandle(h -> h.execute("analyze"));
  }

  private void print() {
    System.out.println("| what | ours | floor | ours/floor | notes |");
    System.out.println("|---|---|---|---|---|");
    rows.forEach(System.out::println);
  }

  private Process startWorkerProcess(String taskQueue) throws Exception {
    return startWorkerProcess(taskQueue, null);
  }

  /** {@code apikeys worker} in a JVM of its own, its output to {@code log} (or nowhere). */
  private Process startWorkerProcess(String taskQueue, File log) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
            new File(System.getProperty("java.home"), "bin/java").getPath(),
            "-cp",
            System.getProperty("java.class.path"),
            "dev.apikeys.cli.ApiKeysCommand",
            "worker");
    pb.environment().put("APIKEYS_DATABASE_URL", jdbcUrl);
    pb.environment().put("TEMPORAL_ADDRESS", temporalAddress);
    pb.environment().put("APIKEYS_TASK_QUEUE", taskQueue);
    pb.environment().put("APIKEYS_STICKY_TIMEOUT", "0");
    pb.environment().put("APIKEYS_MIGRATE", "false");
    // No /metrics or /healthz: the default port may be taken, and the bench does not scrape.
    pb.environment().put("APIKEYS_METRICS_PORT", "0");
    pb.redirectErrorStream(true)
        .redirectOutput(
            log == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.to(log));
    return pb.start();
  }

  private List<String> insertPublishable(String createdBy, int n) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "insert into api_key (id, token, salt, redacted, title, type, created_by)"
                        + " select 'apk_' || :c || '_' || i, 'pk_' || :c || '_' || i || '_' || md5(random()::text),"
                        + " '', 'pk_xxx***xxx', 'bench', 'publishable', :c"
                        + " from generate_series(1, :n) i returning id")
                .bind("c", createdBy)
                .bind("n", n)
                .mapTo(String.class)
                .list());
  }

  private List<String> insertPublishableTokens(String createdBy, int n) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "insert into api_key (id, token, salt, redacted, title, type, created_by)"
                        + " select 'apk_' || :c || '_p' || i, 'pk_' || md5(random()::text) || md5(i::text),"
                        + " '', 'pk_xxx***xxx', 'bench', 'publishable', :c"
                        + " from generate_series(1, :n) i returning token")
                .bind("c", createdBy)
                .bind("n", n)
                .mapTo(String.class)
                .list());
  }

  private String insertOnePublishable(String createdBy) {
    return store.createApiKey(new CreateApiKeyDTO("bench", "publishable", createdBy)).id();
  }

  private static double pct(double[] sorted, int p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  private static long heapUsedAfterGc() {
    System.gc();
    long used = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        used += pool.getUsage().getUsed();
      }
    }
    return used;
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> options = new java.util.HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].startsWith("--")) {
        String name = args[i].substring(2);
        String value = i + 1 < args.length && !args[i + 1].startsWith("--") ? args[++i] : "true";
        options.put(name, value);
      }
    }
    return options;
  }
}
