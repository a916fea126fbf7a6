package dev.apikeys.revocation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.apikeys.activities.RevocationActivitiesImpl;
import dev.apikeys.client.ApiKeyModuleService;
import dev.apikeys.client.RevocationHandle;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.store.ApiKeyStore;
import dev.apikeys.store.Database;
import dev.apikeys.store.RevocationStore;
import dev.apikeys.store.TestDatabase;
import dev.apikeys.testing.ApiKeysTestKit;
import dev.apikeys.testing.ClientTestKit;
import dev.apikeys.testing.TestStack;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowStub;
import io.temporal.testing.TestWorkflowEnvironment;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A database that stays unreachable longer than the bounded activities' retry budget (about an hour
 * and a half) and then comes back: the stamp and the cancel's undo keep retrying, so the revocation
 * is stamped at its original instant, or cancelled with its keys restored, once the database
 * answers again. Time skipping crosses the hours; the outage is a data source that refuses
 * connections, as an unreachable server does.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class OutageTest {
  /** The worker's activities reach the database through the outage; the test's client does not. */
  @RegisterExtension
  static final ApiKeysTestKit kit =
      ClientTestKit.newBuilder()
          .provide(OutageDataSource.class, s -> new OutageDataSource(s.db().dataSource()))
          .revocationActivities(
              s ->
                  new RevocationActivitiesImpl(
                      new RevocationStore(
                          Database.jdbi(s.get(OutageDataSource.class)),
                          ApiKeysTestKit.SELECTOR_TIMEOUT)))
          .build();

  private TestDatabase db;
  private OutageDataSource outage;
  private ApiKeyStore keys;
  private ApiKeyModuleService module;
  private TestWorkflowEnvironment env;
  private WorkflowClient client;

  @BeforeEach
  void setUp(TestStack stack, ApiKeyModuleService module, OutageDataSource outage) {
    this.env = stack.env();
    this.client = stack.client();
    this.db = stack.db();
    this.outage = outage;
    this.keys = stack.keys();
    this.module = module;
  }

  @Test
  void theStampOutlastsAnOutageLongerThanTheRetryBudget() throws Exception {
    ApiKeyDTO key = keys.createApiKey(new CreateApiKeyDTO("k", "secret", "u"));
    RevocationHandle handle = revoke(key, 60);
    Instant instant = handle.revocation().scheduledAt();

    outage.down = true;
    env.sleep(Duration.ofHours(4));
    assertThat(outage.refused).as("the stamp kept trying").isGreaterThan(100);
    assertThat(workflow(handle).describe().getStatus())
        .isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);
    assertThat(handle.status().state()).isEqualTo(RevocationState.REVOKING);

    outage.down = false;
    RevokeResult result = handle.await(Duration.ofSeconds(60));
    assertThat(result.status()).isEqualTo(RevocationState.REVOKED);
    assertThat(result.scheduledAt()).isEqualTo(instant);
    assertThat(revokedAt(key)).isEqualTo(instant);
    assertThat(count("select count(*) from apikeys_event where name = 'api_key.revoked'"))
        .isEqualTo(1);
  }

  @Test
  void theCancelsUndoOutlastsAnOutageLongerThanTheRetryBudget() throws Exception {
    ApiKeyDTO key = keys.createApiKey(new CreateApiKeyDTO("k", "secret", "u"));
    RevocationHandle handle = revoke(key, 86_400);

    outage.down = true;
    handle.cancel("ops");
    env.sleep(Duration.ofHours(4));
    assertThat(outage.refused).as("the undo kept trying").isGreaterThan(100);
    assertThat(workflow(handle).describe().getStatus())
        .as("not closed as cancelled while the keys are still scheduled")
        .isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);
    assertThat(revokedAt(key)).isNotNull();

    outage.down = false;
    for (int i = 0;
        i < 200
            && workflow(handle).describe().getStatus()
                == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
        i++) {
      Thread.sleep(50);
    }
    assertThat(workflow(handle).describe().getStatus())
        .isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED);
    assertThat(handle.status().state()).isEqualTo(RevocationState.CANCELLED);
    assertThat(revokedAt(key)).isNull();
    assertThat(
            count(
                "select count(*) from apikeys_revocation where status = 'cancelled'"
                    + " and cancelled_by = 'ops'"))
        .isEqualTo(1);
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** Refuses every connection while {@code down}, as an unreachable server does. */
  static final class OutageDataSource implements DataSource {
    private final DataSource real;
    volatile boolean down;
    volatile int refused;

    OutageDataSource(DataSource real) {
      this.real = real;
    }

    @Override
    public Connection getConnection() throws SQLException {
      if (down) {
        refused++;
        throw new SQLException("Connection refused (simulated outage)", "08001");
      }
      return real.getConnection();
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
      return getConnection();
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
      return real.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
      real.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
      real.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
      return real.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
      return real.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      return real.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
      return real.isWrapperFor(iface);
    }
  }

  private RevocationHandle revoke(ApiKeyDTO key, long in) {
    return module.startRevoke(RevokeRequest.ofId(key.id(), new RevokeApiKeyDTO("me", in), null));
  }

  private WorkflowStub workflow(RevocationHandle handle) {
    return client.newUntypedWorkflowStub(handle.workflowId());
  }

  private Instant revokedAt(ApiKeyDTO key) {
    Instant at =
        db.jdbi()
            .withHandle(
                h ->
                    h.createQuery("select revoked_at from api_key where id = :id")
                        .bind("id", key.id())
                        .mapTo(Instant.class)
                        .findOne()
                        .orElse(null));
    return at == null ? null : at.truncatedTo(ChronoUnit.MILLIS);
  }

  private long count(String sql) {
    return db.jdbi().withHandle(h -> h.createQuery(sql).mapTo(Long.class).one());
  }
}
