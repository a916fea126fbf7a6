package dev.apikeys.worker;

import dev.apikeys.client.ApiKeyModuleService;
import dev.apikeys.config.DatabaseConfig;
import dev.apikeys.config.TemporalConfig;
import dev.apikeys.config.TemporalConnection;
import dev.apikeys.revocation.RevokeApiKeyDTO;
import dev.apikeys.revocation.SharedContext;
import dev.apikeys.store.ApiKeyStore;
import dev.apikeys.store.Database;
import dev.apikeys.store.RevocationStore;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * An application process that revokes a key inside its own transaction and then dies between the
 * commit and the start of the revocation's workflow: its first after-commit callback, registered
 * before the revoke, says "committed" and then blocks, so the service's own callback (the start)
 * never runs. The test kills it there with SIGKILL.
 *
 * <p>Arguments: key id, idempotency key. Environment: the stack's database URL and Temporal
 * address, as {@link RevocationStack#env()} gives them.
 */
public final class CallerTransactionProcess {
  private CallerTransactionProcess() {}

  public static void main(String[] args) throws Exception {
    String keyId = args[0];
    String idempotencyKey = args[1];
    PGSimpleDataSource dataSource = new PGSimpleDataSource();
    dataSource.setUrl(System.getenv(DatabaseConfig.URL));
    Jdbi jdbi = Database.jdbi(dataSource);
    TemporalConfig temporal = TemporalConfig.fromEnvironment(System.getenv());
    TemporalConnection connection = temporal.connect();
    ApiKeyModuleService service =
        new ApiKeyModuleService(
            connection.client(),
            new ApiKeyStore(jdbi, Duration.ofSeconds(10)),
            new RevocationStore(jdbi, Duration.ofSeconds(10)),
            temporal.taskQueue());
    try (Handle handle = jdbi.open()) {
      handle.begin();
      handle.execute("insert into offboarded (user_id) values ('leaver')");
      handle.afterCommit(
          () -> {
            System.out.println("committed");
            System.out.flush();
            try {
              new CountDownLatch(1).await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
      service.revoke(
          keyId,
          new RevokeApiKeyDTO("hr", 30L),
          SharedContext.newBuilder()
              .setIdempotencyKey(idempotencyKey)
              .setTransactionManager(handle)
              .build());
      handle.commit();
    }
  }
}
