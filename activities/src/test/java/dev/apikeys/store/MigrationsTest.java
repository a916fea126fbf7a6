package dev.apikeys.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MigrationsTest {
  private static final List<String> MEDUSA_INDEXES =
      List.of(
          "IDX_api_key_token_unique",
          "IDX_api_key_type",
          "IDX_api_key_deleted_at",
          "IDX_api_key_revoked_at",
          "IDX_api_key_redacted",
          "api_key_pkey");

  @Test
  void freshDatabaseGetsMedusasApiKeyTableExactly() {
    TestDatabase db = TestDatabase.create();

    List<Map<String, Object>> columns =
        db.jdbi()
            .withHandle(
                h ->
                    h.select(
                            "select column_name, data_type, is_nullable, column_default"
                                + " from information_schema.columns where table_name = 'api_key'"
                                + " order by ordinal_position")
                        .mapToMap()
                        .list());
    assertThat(columns)
        .extracting(
            c ->
                c.get("column_name")
                    + " "
                    + c.get("data_type")
                    + " "
                    + c.get("is_nullable")
                    + " "
                    + c.get("column_default"))
        .containsExactly(
            "id text NO null",
            "token text NO null",
            "salt text NO null",
            "redacted text NO null",
            "title text NO null",
            "type text NO null",
            "last_used_at timestamp with time zone YES null",
            "created_by text NO null",
            "created_at timestamp with time zone NO now()",
            "updated_at timestamp with time zone NO now()",
            "revoked_by text YES null",
            "revoked_at timestamp with time zone YES null",
            "deleted_at timestamp with time zone YES null");
    assertThat(indexes(db)).containsAll(MEDUSA_INDEXES);
    String check =
        db.jdbi()
            .withHandle(
                h ->
                    h.select(
                            "select pg_get_constraintdef(oid) from pg_constraint"
                                + " where conrelid = 'api_key'::regclass and contype = 'c'")
                        .mapTo(String.class)
                        .one());
    assertThat(check).contains("publishable").contains("secret");
    String unique =
        db.jdbi()
            .withHandle(
                h ->
                    h.select(
                            "select indexdef from pg_indexes where indexname = 'IDX_api_key_token_unique'")
                        .mapTo(String.class)
                        .one());
    assertThat(unique).startsWith("CREATE UNIQUE INDEX").endsWith("(token)");
  }

  @Test
  void aDatabaseWhereMedusaCreatedApiKeyKeepsItsRows() {
    TestDatabase db = TestDatabase.createEmpty();
    // The table as Medusa's first API key migration created it, before later columns were added.
    db.jdbi()
        .useHandle(
            h -> {
              h.execute(
                  "create table if not exists \"api_key\" (\"id\" text not null, \"token\" text not null,"
                      + " \"salt\" text not null, \"redacted\" text not null, \"title\" text not null,"
                      + " \"type\" text not null, \"last_used_at\" timestamptz null, \"created_by\" text not null,"
                      + " \"created_at\" timestamptz not null default now(), \"revoked_by\" text null,"
                      + " \"revoked_at\" timestamptz null, constraint \"api_key_pkey\" primary key (\"id\"))");
              h.execute(
                  "create unique index if not exists \"IDX_api_key_token_unique\" on \"api_key\" (token)");
              h.execute(
                  "insert into api_key (id, token, salt, redacted, title, type, created_by, created_at,"
                      + " revoked_by, revoked_at) values ('apk_medusa', 'pk_abc', '', 'pk_abc***abc', 'Store',"
                      + " 'publishable', 'user_1', '2024-02-21T14:49:43Z', 'user_2', '2024-03-01T00:00:00Z')");
            });
    Map<String, Object> before = row(db);

    Migrations.migrate(db.dataSource());
    Migrations.migrate(db.dataSource());

    Map<String, Object> after = row(db);
    for (String column : before.keySet()) {
      assertThat(after.get(column)).as(column).isEqualTo(before.get(column));
    }
    assertThat(after).containsKeys("updated_at", "deleted_at");
    assertThat(after.get("deleted_at")).isNull();
    assertThat(indexes(db)).containsAll(MEDUSA_INDEXES);
    assertThat(indexes(db)).contains("apikeys_revocation_key_api_key_idx");
  }

  /** What a worker's health check reads: one line naming what to do, or nothing when current. */
  @Test
  void theSchemaCheckSaysWhatIsMissing() {
    TestDatabase db = TestDatabase.createEmpty();
    String latest = Migrations.latestVersion(db.dataSource());
    assertThat(latest).isNotEmpty();
    assertThat(schemaProblem(db, latest))
        .hasValue(
            "the database has no apikeys schema (no apikeys_schema_history table);"
                + " run `apikeys migrate`");

    Migrations.migrate(db.dataSource());
    assertThat(schemaProblem(db, latest)).isEmpty();
    // A newer build migrated it further: still fine for this one.
    assertThat(schemaProblem(db, "1")).isEmpty();

    db.jdbi()
        .useHandle(
            h ->
                h.createUpdate("delete from apikeys_schema_history where version = :v")
                    .bind("v", latest)
                    .execute());
    String previous =
        db.jdbi()
            .withHandle(
                h ->
                    h.createQuery(
                            "select version from apikeys_schema_history where version is not null"
                                + " order by installed_rank desc limit 1")
                        .mapTo(String.class)
                        .one());
    assertThat(schemaProblem(db, latest))
        .hasValue(
            "the database schema is at version "
                + previous
                + ", this worker needs "
                + latest
                + "; run `apikeys migrate`");

    db.jdbi()
        .useHandle(
            h ->
                h.createUpdate(
                        "update apikeys_schema_history set success = false where version = :v")
                    .bind("v", previous)
                    .execute());
    assertThat(schemaProblem(db, latest))
        .hasValue(
            "migration " + previous + " failed; repair the database, then run `apikeys migrate`");
  }

  private static Optional<String> schemaProblem(TestDatabase db, String latest) {
    return db.jdbi().withHandle(h -> Migrations.schemaProblem(h, latest));
  }

  private static Map<String, Object> row(TestDatabase db) {
    return db.jdbi()
        .withHandle(
            h -> h.select("select * from api_key where id = 'apk_medusa'").mapToMap().one());
  }

  private static List<String> indexes(TestDatabase db) {
    return db.jdbi()
        .withHandle(h -> h.select("select indexname from pg_indexes").mapTo(String.class).list());
  }
}
