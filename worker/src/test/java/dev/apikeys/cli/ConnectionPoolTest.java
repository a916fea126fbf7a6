package dev.apikeys.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apikeys.config.DatabaseConfig;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.model.UpdateApiKeyDTO;
import dev.apikeys.store.ApiKeyStore;
import dev.apikeys.store.TestDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The process's pool as the CLI and the worker wire it (CommandContext): selectors that cannot
 * finish never take the connections {@code authenticate} needs.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConnectionPoolTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int POOL_SIZE = 4;

  @Test
  void slowSelectorsLeaveConnectionsForAuthenticate() throws Exception {
    TestDatabase db = TestDatabase.create();
    Map<String, String> env =
        Map.of(
            DatabaseConfig.URL, db.jdbcUrl(),
            DatabaseConfig.POOL_SIZE, String.valueOf(POOL_SIZE),
            DatabaseConfig.SELECTOR_TIMEOUT, "100");
    ExecutorService callers = Executors.newFixedThreadPool(POOL_SIZE);
    try (CommandContext context =
            new CommandContext(
                env,
                new PrintWriter(new StringWriter()),
                new PrintWriter(new StringWriter()),
                false);
        Handle blocker = db.jdbi().open()) {
      ApiKeyStore store = context.store();
      ApiKeyDTO held = store.createApiKey(new CreateApiKeyDTO("held", "secret", "u"));
      ApiKeyDTO shop = store.createApiKey(new CreateApiKeyDTO("shop", "secret", "u"));

      // Selector updates of a row another transaction holds: each waits for the lock, holding
      // its connection, for as long as the test likes. As many as the pool has connections.
      blocker.begin();
      blocker
          .createQuery("select id from api_key where id = :id for update")
          .bind("id", held.id())
          .mapTo(String.class)
          .one();
      List<Thread> threads = new CopyOnWriteArrayList<>();
      List<Future<List<ApiKeyDTO>>> updates = new ArrayList<>();
      for (int i = 0; i < POOL_SIZE; i++) {
        updates.add(
            callers.submit(
                () -> {
                  threads.add(Thread.currentThread());
                  return store.updateApiKeys(
                      JSON.readTree("{\"id\": \"" + held.id() + "\"}"),
                      new UpdateApiKeyDTO("renamed"));
                }));
      }
      // Every update is either waiting for the row lock (in PostgreSQL, holding a connection)
      // or parked before it took one.
      while (lockWaiters(db) + parked(threads) < POOL_SIZE) {
        assertThat(updates).noneMatch(Future::isDone);
        Thread.sleep(50);
      }

      assertThat(store.authenticate(shop.token()))
          .as("a secret key authenticates while the selectors wait")
          .get()
          .extracting(ApiKeyDTO::id)
          .isEqualTo(shop.id());
      assertThat(lockWaiters(db)).isLessThanOrEqualTo(POOL_SIZE - 2);
      assertThat(updates).noneMatch(Future::isDone);

      blocker.rollback();
      for (Future<List<ApiKeyDTO>> update : updates) {
        assertThat(update.get(60, TimeUnit.SECONDS))
            .extracting(ApiKeyDTO::title)
            .containsExactly("renamed");
      }
    } finally {
      callers.shutdownNow();
    }
  }

  private static long lockWaiters(TestDatabase db) {
    return db.jdbi()
        .withHandle(
            h ->
                h.createQuery(
                        "select count(*) from pg_stat_activity where datname = current_database()"
                            + " and wait_event_type = 'Lock'")
                    .mapTo(Long.class)
                    .one());
  }

  private static long parked(List<Thread> threads) {
    return threads.stream()
        .filter(
            t -> t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING)
        .count();
  }
}
