package dev.apikeys.store;

import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.output.MigrateResult;
import org.jdbi.v3.core.Handle;

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

  /**
   * The newest migration this build carries, e.g. "4". Flyway finds it by comparing the classpath
   * with the database, so it takes a connection and logs a line: a health check asks once and then
   * uses {@link #schemaProblem}, which is one query.
   */
  public static String latestVersion(DataSource dataSource) {
    MigrationVersion latest = null;
    for (MigrationInfo migration : flyway(dataSource).info().all()) {
      MigrationVersion version = migration.getVersion();
      if (migration.getState().isResolved()
          && version != null
          && (latest == null || version.compareTo(latest) > 0)) {
        latest = version;
      }
    }
    return latest == null ? "" : latest.getVersion();
  }

  /**
   * Why the database's schema is not the one a build whose newest migration is {@code
   * latestVersion} needs, in one line; empty when it is. A schema ahead of it (a newer version
   * already migrated) is fine: migrations only add.
   */
  public static Optional<String> schemaProblem(Handle h, String latestVersion) {
    boolean migrated =
        h.createQuery("select to_regclass(:table) is not null")
            .bind("table", HISTORY_TABLE)
            .mapTo(Boolean.class)
            .one();
    if (!migrated) {
      return Optional.of(
          "the database has no apikeys schema (no "
              + HISTORY_TABLE
              + " table);"
              + " run `apikeys migrate`");
    }
    record Applied(String version, boolean success) {}
    // The table's name is this class's constant, not input: safe to write into the statement.
    List<Applied> applied =
        h.createQuery(
                "select version, success from " + HISTORY_TABLE + " where version is not null")
            .map((rs, ctx) -> new Applied(rs.getString("version"), rs.getBoolean("success")))
            .list();
    MigrationVersion current = null;
    for (Applied a : applied) {
      if (!a.success()) {
        return Optional.of(
            "migration "
                + a.version()
                + " failed; repair the database, then run `apikeys migrate`");
      }
      MigrationVersion version = MigrationVersion.fromVersion(a.version());
      if (current == null || version.compareTo(current) > 0) {
        current = version;
      }
    }
    if (!latestVersion.isEmpty()
        && (current == null
            || MigrationVersion.fromVersion(latestVersion).compareTo(current) > 0)) {
      return Optional.of(
          "the database schema is at version "
              + (current == null ? "none" : current.getVersion())
              + ", this worker needs "
              + latestVersion
              + "; run `apikeys migrate`");
    }
    return Optional.empty();
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
