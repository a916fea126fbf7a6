package dev.apikeys.store;

import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Brings a PostgreSQL database to the schema this version needs.
 *
 * <p>The history table has a name of its own so it cannot collide with anything a Medusa database
 * already holds, and a non-empty schema is accepted (baseline below our first migration) because
 * the whole point is to run beside Medusa's existing {@code api_key} table.
 */
public final class Migrations {
  static final String HISTORY_TABLE = "apikeys_schema_history";

  private Migrations() {}

  public static MigrateResult migrate(DataSource dataSource) {
    return flyway(dataSource).migrate();
  }

  /** The schema version the database is at now, e.g. "3"; empty before the first migration. */
  public static String currentVersion(DataSource dataSource) {
    var current = flyway(dataSource).info().current();
    return current == null || current.getVersion() == null ? "" : current.getVersion().toString();
  }

  private static Flyway flyway(DataSource dataSource) {
    return Flyway.configure()
        .dataSource(dataSource)
        .locations("classpath:db/migration")
        .table(HISTORY_TABLE)
        .baselineOnMigrate(true)
        .baselineVersion("0")
        .load();
  }
}
