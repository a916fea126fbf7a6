package dev.apikeys.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.apikeys.model.ApiKeyErrorType;
import dev.apikeys.model.ApiKeyException;
import java.util.Collections;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The compiler alone: its refusals, its parameters and what it counts. No database. */
class SelectorCompilerTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final SelectorCompiler compiler = new SelectorCompiler();

  static Stream<Arguments> malformedSelectors() {
    return Stream.of(
        arguments("[]", "selector: expected an object, got array"),
        arguments("\"apk_1\"", "selector: expected an object, got string"),
        arguments("null", "selector: expected an object"),
        arguments("{\"foo\": 1}", "selector.foo: unknown field \"foo\""),
        arguments("{\"salt\": \"abc\"}", "selector.salt: unknown field \"salt\""),
        arguments("{\"deleted_at\": null}", "selector.deleted_at: unknown field \"deleted_at\""),
        arguments("{\"redacted\": \"sk_abc\"}", "selector.redacted: unknown field \"redacted\""),
        arguments("{\"$foo\": 1}", "selector.$foo: unknown operator \"$foo\""),
        arguments("{\"$not\": {\"id\": \"a\"}}", "selector.$not: unknown operator \"$not\""),
        arguments(
            "{\"$or\": [{\"id\": \"a\"}, {\"revoked_at\": {\"$foo\": 1}}]}",
            "selector.$or[1].revoked_at.$foo: unknown operator \"$foo\""),
        arguments(
            "{\"$and\": [{\"$or\": [{}, {\"title\": {\"$not\": {\"$and\": [{\"$eq\": \"a\"},"
                + " {\"$nope\": 1}]}}}]}]}",
            "selector.$and[0].$or[1].title.$not.$and[1].$nope: unknown operator \"$nope\""),
        arguments(
            "{\"title\": {\"$in\": [\"a\", \"b\", 3]}}",
            "selector.title.$in[2]: expected a string, got number"),
        arguments(
            "{\"$and\": [{\"$or\": [{\"revoked_by\": {\"$in\": [\"u1\", {\"a\": 1}]}}]}]}",
            "selector.$and[0].$or[0].revoked_by.$in[1]: expected a string, got object"),
        arguments("{\"id\": 5}", "selector.id: expected a string, got number"),
        arguments("{\"token\": true}", "selector.token: expected a string, got boolean"),
        arguments("{\"id\": [\"a\", null]}", "selector.id[1]: expected a string, got null"),
        arguments("{\"id\": {\"$gt\": null}}", "selector.id.$gt: expected a string, got null"),
        arguments("{\"id\": {\"$ne\": [\"a\"]}}", "selector.id.$ne: expected a string, got array"),
        arguments(
            "{\"title\": {\"$eq\": {\"$eq\": \"a\"}}}",
            "selector.title.$eq: expected a string, got object"),
        arguments("{\"$and\": []}", "selector.$and: $and needs at least one condition"),
        arguments("{\"$or\": []}", "selector.$or: $or needs at least one condition"),
        arguments("{\"$or\": {}}", "selector.$or: expected an array, got object"),
        arguments("{\"$and\": [\"id\"]}", "selector.$and[0]: expected an object, got string"),
        arguments("{\"$and\": [null]}", "selector.$and[0]: expected an object, got null"),
        arguments(
            "{\"title\": {\"$and\": []}}",
            "selector.title.$and: $and needs at least one condition"),
        arguments(
            "{\"title\": {\"$or\": [\"a\"]}}",
            "selector.title.$or[0]: expected an object of operators, got string"),
        arguments(
            "{\"id\": {\"$overlap\": [\"a\"]}}",
            "selector.id.$overlap: $overlap is an array operator and api_key has no array column"),
        arguments(
            "{\"title\": {\"$contains\": \"a\"}}",
            "selector.title.$contains: $contains is an array operator and api_key has no array"
                + " column"),
        arguments(
            "{\"$or\": [{\"revoked_by\": {\"$contained\": []}}]}",
            "selector.$or[0].revoked_by.$contained: $contained is an array operator and api_key"
                + " has no array column"),
        arguments("{\"id\": {\"$in\": \"x\"}}", "selector.id.$in: expected an array, got string"),
        arguments("{\"id\": {\"$nin\": null}}", "selector.id.$nin: expected an array, got null"),
        arguments(
            "{\"id\": {\"$exists\": \"yes\"}}",
            "selector.id.$exists: expected a boolean, got string"),
        arguments("{\"id\": {}}", "selector.id: expected at least one operator"),
        arguments(
            "{\"title\": {\"$not\": {}}}", "selector.title.$not: expected at least one operator"),
        arguments("{\"id\": {\"eq\": \"a\"}}", "selector.id.eq: unknown operator \"eq\""),
        arguments("{\"type\": \"admin\"}", "selector.type: expected \"publishable\" or \"secret\""),
        arguments(
            "{\"type\": {\"$in\": [\"secret\", \"Secret\"]}}",
            "selector.type.$in[1]: expected \"publishable\" or \"secret\""),
        arguments(
            "{\"type\": {\"$like\": \"sec%\"}}",
            "selector.type.$like: $like applies to text fields only"),
        arguments(
            "{\"revoked_at\": {\"$like\": \"2024%\"}}",
            "selector.revoked_at.$like: $like applies to text fields only"),
        arguments(
            "{\"created_at\": {\"$re\": \"^2024\"}}",
            "selector.created_at.$re: $re applies to text fields only"),
        arguments(
            "{\"updated_at\": {\"$fulltext\": \"x\"}}",
            "selector.updated_at.$fulltext: $fulltext applies to text fields only"),
        arguments(
            "{\"revoked_at\": \"yesterday\"}",
            "selector.revoked_at: expected an ISO-8601 timestamp"),
        arguments(
            "{\"revoked_at\": \"2024-01-01T00:00:00\"}",
            "selector.revoked_at: expected an ISO-8601 timestamp"),
        arguments(
            "{\"revoked_at\": {\"$gt\": 1704067200}}",
            "selector.revoked_at.$gt: expected an ISO-8601 timestamp, got number"),
        arguments(
            "{\"last_used_at\": [\"2024-01-01\", \"2024-02-30\"]}",
            "selector.last_used_at[1]: expected an ISO-8601 timestamp"),
        arguments(
            "{\"created_at\": \"+10000-01-01T00:00:00Z\"}",
            "selector.created_at: expected an ISO-8601 timestamp between the years 1 and 9999"),
        arguments("{\"q\": 5}", "selector.q: expected a string, got number"),
        arguments("{\"q\": [\"a\"]}", "selector.q: expected a string, got array"),
        arguments("{\"title\": \"a\\u0000b\"}", "selector.title: contains a NUL character"),
        arguments(
            "{\"id\": {\"$in\": [\"a\", \"\\u0000\"]}}",
            "selector.id.$in[1]: contains a NUL character"),
        arguments(
            "{\"title\": \"" + "x".repeat(10_001) + "\"}",
            "selector.title: longer than 10000 characters"),
        arguments(
            "{\"id\": {\"$in\": " + stringArray(10_001) + "}}",
            "selector.id.$in: more than 10000 elements"),
        arguments(
            "{\"$or\": [" + String.join(",", Collections.nCopies(10_001, "{}")) + "]}",
            "selector.$or: more than 10000 elements"),
        arguments(
            nested("{\"$and\": [", "{}", "]}", 40),
            "selector" + ".$and[0]".repeat(32) + ": nested deeper than 32 levels"),
        arguments(
            "{\"title\": " + nested("{\"$not\": ", "\"a\"", "}", 40) + "}",
            "selector.title" + ".$not".repeat(31) + ": nested deeper than 32 levels"),
        arguments(
            "{\"" + "k".repeat(100) + "\": 1}",
            "selector." + "k".repeat(64) + "…: unknown field \"" + "k".repeat(64) + "…\""));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("malformedSelectors")
  void refusesWithThePathOfTheProblem(String selector, String expectedMessage) throws Exception {
    ApiKeyException e =
        catchThrowableOfType(
            () -> compiler.compile(JSON.readTree(selector)), ApiKeyException.class);

    assertThat(e).as("refusal of %s", abbreviate(selector)).isNotNull();
    assertThat(e.getType()).isEqualTo(ApiKeyErrorType.INVALID_DATA);
    assertThat(e.getMessage()).startsWith(expectedMessage);
  }

  @Test
  void refusesAMissingSelector() {
    for (JsonNode missing : new JsonNode[] {null, MissingNode.getInstance()}) {
      assertThatThrownBy(() -> compiler.compile(missing))
          .isInstanceOf(ApiKeyException.class)
          .hasMessage("selector: expected an object");
    }
  }

  @Test
  void pathsStartAtTheGivenRoot() {
    assertThatThrownBy(() -> compiler.compile(json("{\"$or\": [{\"x\": 1}]}"), "input.selector"))
        .hasMessage("input.selector.$or[0].x: unknown field \"x\"");
  }

  @Test
  void neverSplicesAValueIntoSql() {
    String hostile = "'; drop table api_key; --";
    SqlCondition c = compiler.compile(json("{\"title\": " + JSON.valueToTree(hostile) + "}"));

    assertThat(c.sql().toLowerCase()).doesNotContain("drop").doesNotContain("'");
    assertThat(c.params()).containsValue(hostile);
  }

  @Test
  void bindsEveryValueOfEveryOperatorAsAParameter() {
    String selector =
        "{\"q\": \"alpha beta\", \"id\": [\"gamma\"], \"title\": {\"$ne\": \"delta\", \"$gt\":"
            + " \"epsilon\", \"$like\": \"zeta%\", \"$re\": \"eta\", \"$fulltext\": \"theta\","
            + " \"$not\": {\"$nin\": [\"iota\"]}}, \"type\": \"secret\", \"revoked_at\": {\"$lte\":"
            + " \"2024-01-01\"}}";
    SqlCondition c = compiler.compile(json(selector));

    for (String value :
        new String[] {
          "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "secret",
          "2024"
        }) {
      assertThat(c.sql()).doesNotContain(value);
    }
    assertThat(c.params()).hasSize(11);
    assertThat(c.predicateCount()).isEqualTo(11);
  }

  @Test
  void namesParametersInOrderAndNormalizesInstants() {
    SqlCondition c =
        compiler.compile(
            json(
                "{\"revoked_at\": {\"$gte\": \"2024-01-01\", \"$lt\":"
                    + " \"2024-01-01T02:00:00.5+02:00\"}, \"created_at\": [\"2024-03-01T00:00Z\"],"
                    + " \"id\": {\"$in\": [\"a\", \"b\"]}}"));

    assertThat(c.params().keySet()).containsExactly("s1", "s2", "s3", "s4");
    assertThat(c.params().get("s1")).isEqualTo("2024-01-01T00:00:00Z");
    assertThat(c.params().get("s2")).isEqualTo("2024-01-01T00:00:00.500Z");
    assertThat(c.params().get("s3")).isEqualTo(new String[] {"2024-03-01T00:00:00Z"});
    assertThat(c.params().get("s4")).isEqualTo(new String[] {"a", "b"});
    assertThat(c.sql())
        .contains("CAST(:s1 AS timestamptz)")
        .contains("CAST(:s3 AS timestamptz[])")
        .contains("CAST(:s4 AS text[])");
  }

  @Test
  void escapesLikeWildcardsInQ() {
    SqlCondition c = compiler.compile(json("{\"q\": \"50%_off\\\\x\"}"));

    assertThat(c.params()).containsExactly(Map.entry("s1", "%50\\%\\_off\\\\x%"));
  }

  @Test
  void countsPredicates() {
    assertThat(count("{}")).isZero();
    assertThat(count("{\"q\": \"  \"}")).isZero();
    assertThat(count("{\"$and\": [{}]}")).isZero();
    assertThat(count("{\"$or\": [{}, {\"q\": \"\"}]}")).isZero();
    assertThat(count("{\"id\": \"a\", \"title\": {\"$ne\": null}}")).isEqualTo(2);
    assertThat(count("{\"q\": \"two words\"}")).isEqualTo(2);
    assertThat(count("{\"id\": []}")).isEqualTo(1);
    assertThat(count("{\"id\": {\"$nin\": []}}")).isZero();
    assertThat(count("{\"id\": {\"$not\": {\"$nin\": []}}}")).isEqualTo(1);
    assertThat(count("{\"$or\": [{}, {\"id\": \"a\"}]}")).isZero();
    assertThat(count("{\"title\": {\"$or\": [{\"$nin\": []}, {\"$eq\": \"a\"}]}}")).isZero();
    assertThat(count("{\"$or\": [{\"id\": \"b\"}, {\"id\": \"a\"}], \"q\": \" \"}")).isEqualTo(2);
    assertThat(count("{\"revoked_at\": {\"$gt\": \"2024-01-01\", \"$lt\": \"2025-01-01\"}}"))
        .isEqualTo(2);
  }

  @Test
  void selectorsThatRestrictNothingAreTrue() {
    for (String selector :
        new String[] {
          "{}",
          "{\"q\": \"\"}",
          "{\"$and\": [{}, {}]}",
          "{\"$or\": [{}, {\"id\": \"a\"}]}",
          "{\"id\": {\"$nin\": []}, \"title\": {\"$or\": [{\"$nin\": []}, {\"$eq\": \"a\"}]}}"
        }) {
      assertThat(compiler.compile(json(selector))).as(selector).isEqualTo(SqlCondition.TRUE);
    }
  }

  /** Issue 14, finding 8: {@code $not} of a condition that matches nothing restricts nothing. */
  @Test
  void theEmptySelectorRuleHoldsThroughNot() {
    for (String selector :
        new String[] {
          "{\"id\": {\"$not\": {\"$in\": []}}}",
          "{\"id\": {\"$not\": []}}",
          "{\"id\": {\"$not\": {\"$or\": [{\"$in\": []}, {\"$in\": []}]}}}",
          "{\"id\": {\"$not\": {\"$and\": [{\"$in\": []}, {\"$eq\": \"x\"}]}}}",
          "{\"$or\": [{\"id\": {\"$not\": {\"$in\": []}}}, {\"id\": \"x\"}]}",
          "{\"title\": {\"$not\": {\"$not\": {\"$nin\": []}}}}"
        }) {
      assertThat(compiler.compile(json(selector))).as(selector).isEqualTo(SqlCondition.TRUE);
      assertThatThrownBy(() -> compiler.compileNonEmpty(json(selector)))
          .as(selector)
          .isInstanceOf(ApiKeyException.class)
          .hasMessage(
              "selector: an empty selector would match every key; name the keys explicitly");
    }
    // Matching nothing is still a restriction, however it is spelled.
    assertThat(compiler.compileNonEmpty(json("{\"id\": {\"$not\": {\"$nin\": []}}}")).sql())
        .isEqualTo("FALSE");
    assertThat(compiler.compileNonEmpty(json("{\"id\": {\"$in\": []}, \"title\": \"x\"}")).sql())
        .isEqualTo("FALSE");
    assertThat(compiler.compile(json("{\"id\": {\"$in\": []}, \"title\": \"x\"}")).params())
        .as("the parameters of a branch folded away go with it")
        .isEmpty();
  }

  /** Issue 14, finding 6: no pattern or order on a token, and only publishable keys match it. */
  @Test
  void aTokenIsMatchedWholeAndOnlyAPublishableOne() {
    Map<String, String> probes =
        Map.ofEntries(
            Map.entry("$ne", "\"a\""),
            Map.entry("$nin", "[\"a\"]"),
            Map.entry("$gt", "\"a\""),
            Map.entry("$gte", "\"a\""),
            Map.entry("$lt", "\"a\""),
            Map.entry("$lte", "\"a\""),
            Map.entry("$like", "\"a%\""),
            Map.entry("$ilike", "\"a%\""),
            Map.entry("$re", "\"^a\""),
            Map.entry("$fulltext", "\"a\""),
            Map.entry("$exists", "true"),
            Map.entry("$not", "{\"$eq\": \"a\"}"),
            Map.entry("$and", "[{\"$eq\": \"a\"}]"),
            Map.entry("$or", "[{\"$eq\": \"a\"}]"));
    probes.forEach(
        (op, value) -> {
          String selector = "{\"token\": {\"" + op + "\": " + value + "}}";
          assertThatThrownBy(() -> compiler.compile(json(selector)))
              .as(selector)
              .isInstanceOf(ApiKeyException.class)
              .hasMessage(
                  "selector.token."
                      + op
                      + ": token allows only equality and $in: a token is"
                      + " matched whole, and only publishable keys match it");
        });
    assertThatThrownBy(() -> compiler.compile(json("{\"token\": null}")))
        .hasMessage("selector.token: expected a string, got null");

    assertThat(compiler.compile(json("{\"token\": \"pk_1\"}")).sql())
        .isEqualTo("(token = :s1 AND type = 'publishable')");
    assertThat(compiler.compile(json("{\"token\": {\"$eq\": \"pk_1\"}}")).sql())
        .isEqualTo("(token = :s1 AND type = 'publishable')");
    assertThat(compiler.compile(json("{\"token\": [\"pk_1\", \"pk_2\"]}")).sql())
        .isEqualTo("(token = ANY(CAST(:s1 AS text[])) AND type = 'publishable')");
    assertThat(compiler.compile(json("{\"token\": {\"$in\": [\"pk_1\"]}}")).sql())
        .isEqualTo("(token = ANY(CAST(:s1 AS text[])) AND type = 'publishable')");
  }

  /** Issue 14, finding 4: one selector has at most 1,000 leaves, and so as many parameters. */
  @Test
  void aSelectorHasAtMostAThousandLeaves() {
    String atTheLimit =
        "{\"$or\": ["
            + String.join(
                ",", Collections.nCopies(SelectorCompiler.MAX_LEAVES, "{\"title\": \"a\"}"))
            + "]}";
    SqlCondition c = compiler.compile(json(atTheLimit));
    assertThat(c.predicateCount()).isEqualTo(1_000);
    assertThat(c.params()).hasSize(1_000);

    String overTheLimit =
        "{\"$or\": ["
            + String.join(
                ",", Collections.nCopies(SelectorCompiler.MAX_LEAVES + 1, "{\"title\": \"a\"}"))
            + "]}";
    // 70,000 leaves, the size that hit PostgreSQL's 65,535-parameter limit and was retried.
    String huge =
        "{\"$or\": ["
            + String.join(
                ",",
                Collections.nCopies(
                    7,
                    "{\"$or\": "
                        + "["
                        + String.join(",", Collections.nCopies(10_000, "{\"id\": \"a\"}"))
                        + "]}"))
            + "]}";
    // Leaves folded away (an $or with {} in it) still count: the limit is on what was sent.
    String folded =
        "{\"$or\": [{}, "
            + String.join(
                ",", Collections.nCopies(SelectorCompiler.MAX_LEAVES + 1, "{\"title\": \"a\"}"))
            + "]}";
    for (String selector : new String[] {overTheLimit, huge, folded}) {
      assertThatThrownBy(() -> compiler.compile(json(selector)))
          .isInstanceOfSatisfying(
              ApiKeyException.class,
              e -> assertThat(e.getType()).isEqualTo(ApiKeyErrorType.INVALID_DATA))
          .hasMessage("selector: more than 1000 conditions; split it into several requests");
    }
    assertThatThrownBy(
            () ->
                compiler.compile(
                    json(
                        "{\"id\": "
                            + stringArray(6_000)
                            + ", \"title\": "
                            + stringArray(6_000)
                            + "}")))
        .hasMessage("selector: more than 10000 values in all; split it into several requests");
  }

  private int count(String selector) {
    return compiler.compile(json(selector)).predicateCount();
  }

  private static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static String stringArray(int length) {
    return "[" + String.join(",", Collections.nCopies(length, "\"a\"")) + "]";
  }

  private static String nested(String open, String innermost, String close, int levels) {
    return open.repeat(levels) + innermost + close.repeat(levels);
  }

  private static String abbreviate(String text) {
    return text.length() > 120 ? text.substring(0, 120) + "…" : text;
  }
}
