package dev.apikeys.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.statement.StatementException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Compiled selectors run against a real PostgreSQL, so that what each operator means (NULLs, casts,
 * escaping) is checked where it is decided: in the database.
 */
@Timeout(60)
class SelectorQueryTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SelectorCompiler COMPILER = new SelectorCompiler();
  private static final String ALL = "A B C D E F G";

  private static TestDatabase db;

  /**
   * A key as the test writes it. Its token, salt and redacted form follow from the letter that ends
   * its id, so that each is distinct and {@code q} can be tested against redacted too.
   */
  private record Key(
      String letter,
      String title,
      String type,
      String createdBy,
      String createdAt,
      String lastUsedAt,
      String revokedBy,
      String revokedAt,
      String deletedAt) {
    Key(String letter, String title, String type, String createdBy, String createdAt) {
      this(letter, title, type, createdBy, createdAt, null, null, null, null);
    }

    Key lastUsed(String at) {
      return new Key(
          letter, title, type, createdBy, createdAt, at, revokedBy, revokedAt, deletedAt);
    }

    Key revoked(String by, String at) {
      return new Key(letter, title, type, createdBy, createdAt, lastUsedAt, by, at, deletedAt);
    }

    Key deleted(String at) {
      return new Key(
          letter, title, type, createdBy, createdAt, lastUsedAt, revokedBy, revokedAt, at);
    }

    String id() {
      return SelectorQueryTest.id(letter);
    }

    String token() {
      return (type.equals("secret") ? "sk_" : "pk_") + letter.toLowerCase(Locale.ROOT).repeat(64);
    }

    String salt() {
      return type.equals("secret") ? "0123456789abcdef0123456789abcdef" : "";
    }

    String redacted() {
      return token().substring(0, 6) + "***" + token().substring(64);
    }
  }

  /**
   * H is soft-deleted and must never match. Titles hold LIKE wildcards, a backslash, quotes and
   * mixed case; F's title is what an unescaped {@code q} would wrongly match.
   */
  private static final List<Key> KEYS =
      List.of(
          new Key("A", "Storefront", "publishable", "user_1", "2024-01-01T00:00:00Z"),
          new Key("B", "50% off_promo", "secret", "user_1", "2024-02-01T00:00:00Z")
              .lastUsed("2024-03-01T12:00:00Z")
              .revoked("admin", "2024-06-01T00:00:00Z"),
          new Key("C", "C:\\keys\\backend", "secret", "user_2", "2024-03-01T00:00:00Z")
              .lastUsed("2024-04-01T00:00:00Z"),
          new Key("D", "O'Brien's key", "publishable", "user_2", "2024-04-01T00:00:00Z")
              .revoked("admin", "2030-01-01T00:00:00Z"),
          new Key("E", "STOREFRONT mobile", "publishable", "user_3", "2024-05-01T00:00:00Z")
              .lastUsed("2024-05-05T10:30:00Z")
              .revoked("user_3", "2024-05-02T00:00:00Z"),
          new Key("F", "offXpromo 500 keys", "secret", "user_3", "2024-06-01T00:00:00.5Z"),
          new Key("G", "Backend CI", "secret", "user_1", "2024-07-01T00:00:00Z"),
          new Key("H", "Storefront old", "publishable", "user_1", "2024-01-02T00:00:00Z")
              .lastUsed("2024-01-10T00:00:00Z")
              .revoked("admin", "2024-07-15T00:00:00Z")
              .deleted("2024-08-01T00:00:00Z"));

  @BeforeAll
  static void insertKeys() {
    db = TestDatabase.create();
    db.jdbi()
        .useHandle(
            h -> {
              PreparedBatch batch =
                  h.prepareBatch(
                      "insert into api_key (id, token, salt, redacted, title, type, last_used_at,"
                          + " created_by, created_at, updated_at, revoked_by, revoked_at,"
                          + " deleted_at) values (:id, :token, :salt, :redacted, :title, :type,"
                          + " cast(:lastUsedAt as timestamptz), :createdBy,"
                          + " cast(:createdAt as timestamptz), cast(:createdAt as timestamptz),"
                          + " :revokedBy, cast(:revokedAt as timestamptz),"
                          + " cast(:deletedAt as timestamptz))");
              for (Key key : KEYS) {
                batch
                    .bind("id", key.id())
                    .bind("token", key.token())
                    .bind("salt", key.salt())
                    .bind("redacted", key.redacted())
                    .bind("title", key.title())
                    .bind("type", key.type())
                    .bind("lastUsedAt", key.lastUsedAt())
                    .bind("createdBy", key.createdBy())
                    .bind("createdAt", key.createdAt())
                    .bind("revokedBy", key.revokedBy())
                    .bind("revokedAt", key.revokedAt())
                    .bind("deletedAt", key.deletedAt())
                    .add();
              }
              batch.execute();
            });
  }

  static Stream<Arguments> selectors() {
    return Stream.of(
        // Text columns.
        arguments("{\"id\": \"apk_01A\"}", "A"),
        arguments("{\"id\": [\"apk_01A\", \"apk_01C\", \"apk_01H\", \"nope\"]}", "A C"),
        arguments("{\"id\": []}", ""),
        // A token matches whole, and only a publishable key's: B's stored token is a secret's.
        arguments("{\"token\": \"pk_" + "a".repeat(64) + "\"}", "A"),
        arguments(
            "{\"token\": [\"pk_" + "a".repeat(64) + "\", \"pk_" + "e".repeat(64) + "\"]}", "A E"),
        arguments("{\"token\": \"sk_" + "b".repeat(64) + "\"}", ""),
        arguments(
            "{\"token\": {\"$in\": [\"sk_"
                + "b".repeat(64)
                + "\", \"sk_"
                + "c".repeat(64)
                + "\"]}}",
            ""),
        arguments("{\"title\": {\"$eq\": \"Storefront\"}}", "A"),
        arguments("{\"title\": {\"$eq\": [\"Storefront\", \"Backend CI\"]}}", "A G"),
        arguments("{\"title\": \"C:\\\\keys\\\\backend\"}", "C"),
        arguments("{\"title\": \"O'Brien's key\"}", "D"),
        arguments("{\"revoked_by\": null}", "A C F G"),
        arguments("{\"revoked_by\": {\"$eq\": null}}", "A C F G"),
        arguments("{\"revoked_by\": {\"$ne\": null}}", "B D E"),
        arguments("{\"revoked_by\": {\"$ne\": \"admin\"}}", "A C E F G"),
        arguments("{\"revoked_by\": {\"$in\": [\"admin\", \"user_3\"]}}", "B D E"),
        arguments("{\"revoked_by\": {\"$in\": []}}", ""),
        arguments("{\"revoked_by\": {\"$nin\": [\"admin\"]}}", "A C E F G"),
        arguments("{\"revoked_by\": {\"$nin\": []}}", ALL),
        arguments("{\"created_by\": {\"$gt\": \"user_1\"}}", "C D E F"),
        arguments("{\"created_by\": {\"$gte\": \"user_2\"}}", "C D E F"),
        arguments("{\"created_by\": {\"$lt\": \"user_2\"}}", "A B G"),
        arguments("{\"created_by\": {\"$lte\": \"user_2\"}}", "A B C D G"),
        arguments("{\"title\": {\"$like\": \"%front%\"}}", "A"),
        arguments("{\"title\": {\"$ilike\": \"%front%\"}}", "A E"),
        arguments("{\"title\": {\"$like\": \"50_ off%\"}}", "B"),
        arguments("{\"title\": {\"$re\": \"^S\"}}", "A E"),
        arguments("{\"title\": {\"$re\": \"^[A-Z][a-z]+ [A-Z]{2}$\"}}", "G"),
        arguments("{\"title\": {\"$fulltext\": \"storefront\"}}", "A E"),
        arguments("{\"title\": {\"$fulltext\": \"storefront mobile\"}}", "E"),
        arguments("{\"title\": {\"$fulltext\": \"backend\"}}", "C G"),
        arguments("{\"title\": {\"$exists\": true}}", ALL),
        arguments("{\"revoked_by\": {\"$exists\": false}}", "A C F G"),
        arguments("{\"title\": {\"$not\": {\"$ilike\": \"%front%\"}}}", "B C D F G"),
        arguments("{\"revoked_by\": {\"$not\": \"admin\"}}", "A C E F G"),
        arguments("{\"revoked_by\": {\"$not\": null}}", "B D E"),
        arguments("{\"revoked_by\": {\"$not\": {\"$in\": [\"admin\"]}}}", "A C E F G"),
        arguments("{\"revoked_by\": {\"$not\": {\"$ne\": \"admin\"}}}", "B D"),
        arguments("{\"title\": {\"$or\": [{\"$like\": \"S%\"}, {\"$like\": \"B%\"}]}}", "A E G"),
        arguments(
            "{\"title\": {\"$and\": [{\"$ilike\": \"%o%\"}, {\"$not\": {\"$like\":"
                + " \"%front%\"}}]}}",
            "B D E F"),
        // The enum column.
        arguments("{\"type\": \"secret\"}", "B C F G"),
        arguments("{\"type\": [\"publishable\"]}", "A D E"),
        arguments("{\"type\": {\"$ne\": \"secret\"}}", "A D E"),
        arguments("{\"type\": {\"$nin\": [\"secret\"]}}", "A D E"),
        arguments("{\"type\": {\"$in\": [\"secret\", \"publishable\"]}}", ALL),
        arguments("{\"type\": {\"$gt\": \"publishable\"}}", "B C F G"),
        arguments("{\"type\": {\"$not\": {\"$eq\": \"publishable\"}}}", "B C F G"),
        arguments("{\"type\": \"publishable\", \"revoked_by\": \"admin\"}", "D"),
        // Timestamp columns.
        arguments("{\"revoked_at\": null}", "A C F G"),
        arguments("{\"revoked_at\": \"2024-06-01T00:00:00Z\"}", "B"),
        arguments("{\"revoked_at\": \"2024-06-01T02:00:00+02:00\"}", "B"),
        arguments("{\"revoked_at\": \"2024-06-01\"}", "B"),
        arguments("{\"revoked_at\": {\"$gt\": \"2024-05-02T00:00:00Z\"}}", "B D"),
        arguments("{\"revoked_at\": {\"$gte\": \"2024-05-02T00:00:00Z\"}}", "B D E"),
        arguments("{\"revoked_at\": {\"$lt\": \"2024-06-01\"}}", "E"),
        arguments("{\"revoked_at\": {\"$lte\": \"2024-06-01\"}}", "B E"),
        arguments("{\"revoked_at\": {\"$ne\": \"2024-06-01\"}}", "A C D E F G"),
        arguments("{\"revoked_at\": {\"$in\": [\"2024-06-01\", \"2030-01-01T00:00:00Z\"]}}", "B D"),
        arguments(
            "{\"revoked_at\": {\"$nin\": [\"2024-06-01\", \"2030-01-01T00:00:00Z\"]}}",
            "A C E F G"),
        arguments("{\"revoked_at\": [\"2024-05-02\"]}", "E"),
        arguments("{\"revoked_at\": {\"$exists\": true}}", "B D E"),
        arguments("{\"created_at\": \"2024-06-01T00:00:00.500Z\"}", "F"),
        arguments("{\"created_at\": {\"$gte\": \"2024-06-01T00:00:00.5Z\"}}", "F G"),
        arguments("{\"created_at\": {\"$gt\": \"2024-06-01T00:00:00.5Z\"}}", "G"),
        arguments("{\"updated_at\": {\"$gt\": \"2024-05-15\"}}", "F G"),
        arguments("{\"last_used_at\": {\"$not\": {\"$lt\": \"2024-04-15\"}}}", "A D E F G"),
        arguments("{\"last_used_at\": {\"$exists\": false}}", "A D F G"),
        arguments(
            "{\"$or\": [{\"revoked_at\": null}, {\"revoked_at\": {\"$gt\": \"2025-01-01\"}}]}",
            "A C D F G"),
        // q: literal, case-insensitive, every word, in title or redacted.
        arguments("{\"q\": \"storefront\"}", "A E"),
        arguments("{\"q\": \"STORE mob\"}", "E"),
        arguments("{\"q\": \"50%\"}", "B"),
        arguments("{\"q\": \"%\"}", "B"),
        arguments("{\"q\": \"off_promo\"}", "B"),
        arguments("{\"q\": \"\\\\keys\"}", "C"),
        arguments("{\"q\": \"o'brien\"}", "D"),
        arguments("{\"q\": \"sk_bbb\"}", "B"),
        arguments("{\"q\": \"***ccc\"}", "C"),
        arguments("{\"q\": \"keys promo\"}", "F"),
        arguments("{\"q\": \"  \"}", ALL),
        arguments("{\"q\": \"front\", \"type\": \"publishable\", \"id\": [\"apk_01E\"]}", "E"),
        // Top-level nesting.
        arguments(
            "{\"$and\": [{\"type\": \"secret\"}, {\"$or\": [{\"$and\": [{\"revoked_at\": null},"
                + " {\"created_by\": \"user_1\"}]}, {\"$and\": [{\"revoked_by\": \"admin\"},"
                + " {\"last_used_at\": {\"$exists\": true}}]}]}]}",
            "B G"),
        arguments(
            "{\"$or\": [{\"$and\": [{\"$or\": [{\"id\": \"apk_01A\"}, {\"id\": \"apk_01H\"}]}]},"
                + " {\"q\": \"mobile\"}]}",
            "A E"),
        arguments("{\"$and\": [{}], \"id\": {\"$in\": [\"apk_01B\", \"apk_01C\"]}}", "B C"),
        arguments("{\"$or\": [{}, {\"id\": \"apk_01A\"}]}", ALL),
        // Hostile values are only values.
        arguments("{\"title\": \"'; drop table api_key; --\"}", ""),
        arguments("{\"q\": \"' OR 1=1 --\"}", ""),
        arguments("{\"title\": {\"$like\": \"%' OR '1'='1\"}}", ""),
        arguments("{\"id\": {\"$in\": [\"apk_01A'); delete from api_key; --\"]}}", ""),
        arguments("{\"title\": \"\\\\'; select pg_sleep(10); --\"}", ""),
        arguments("{\"created_by\": {\"$re\": \"x' or '1'='1\"}}", ""));
  }

  @ParameterizedTest(name = "{0} -> [{1}]")
  @MethodSource("selectors")
  void matches(String selector, String expectedLetters) {
    assertThat(ids(selector)).containsExactlyElementsOf(idsOf(expectedLetters));
  }

  @Test
  void hostileValuesLeaveTheTableIntact() {
    ids("{\"title\": \"'; drop table api_key; --\"}");
    ids("{\"id\": {\"$in\": [\"apk_01A'); delete from api_key; --\"]}}");

    int rows =
        db.jdbi()
            .withHandle(
                h -> h.createQuery("select count(*) from api_key").mapTo(Integer.class).one());
    assertThat(rows).isEqualTo(KEYS.size());
  }

  @Test
  @Timeout(30)
  void aCatastrophicRegexEndsOrIsCancelled() {
    db.jdbi()
        .useHandle(
            h -> {
              h.execute("set statement_timeout = '2s'");
              try {
                assertThat(ids(h, "{\"title\": {\"$re\": \"^(a+)+$\"}}")).isEmpty();
              } catch (StatementException e) {
                assertThat(e.getCause()).isInstanceOf(SQLException.class);
                assertThat(((SQLException) e.getCause()).getSQLState()).isEqualTo("57014");
              }
            });
  }

  private static List<String> ids(String selectorJson) {
    return db.jdbi().withHandle(h -> ids(h, selectorJson));
  }

  private static List<String> ids(Handle h, String selectorJson) {
    SqlCondition c;
    try {
      c = COMPILER.compile(JSON.readTree(selectorJson));
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
    return h.createQuery(
            "select id from api_key where deleted_at is null and (" + c.sql() + ") order by id")
        .bindMap(c.params())
        .mapTo(String.class)
        .list();
  }

  private static List<String> idsOf(String letters) {
    return Arrays.stream(letters.split(" "))
        .filter(l -> !l.isEmpty())
        .map(SelectorQueryTest::id)
        .toList();
  }

  private static String id(String letter) {
    return "apk_01" + letter;
  }
}
