package dev.apikeys.store;

import static java.util.stream.Collectors.joining;
import static java.util.stream.Collectors.toUnmodifiableMap;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.ApiKeyType;
import dev.apikeys.model.MessageText;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Compiles a selector in the language of Medusa's {@code FilterableApiKeyProps}
 * (docs/semantics.md#selectors) into a parameterized SQL condition over {@code api_key}.
 *
 * <p>Column names come only from a fixed table and every value becomes a bound parameter, so no
 * part of a selector is ever spliced into SQL text. Anything the language does not define is
 * refused with INVALID_DATA whose message starts with the path of the offending part: selectors
 * arrive as hand-written JSON from a CLI or the Temporal UI, and their author needs to know where
 * to look. The compiler holds no state and may be shared between threads.
 */
public final class SelectorCompiler {
  /** Bounds the recursion, so that a hostile selector cannot exhaust the worker's stack. */
  static final int MAX_DEPTH = 32;

  /** Bounds the SQL and the work one selector can cause; larger sets belong in several calls. */
  static final int MAX_ARRAY_LENGTH = 10_000;

  /** No value of an api_key column comes near this; a longer string is a mistake or an attack. */
  static final int MAX_STRING_LENGTH = 10_000;

  /**
   * Bounds the conditions (leaves: one comparison each) of one selector. Each leaf binds at most
   * one parameter, so this also keeps a selector far below PostgreSQL's limit of 65,535 bound
   * parameters per statement, which a larger one would hit as a database error and be retried.
   */
  public static final int MAX_LEAVES = 1_000;

  /**
   * Bounds the values of one selector, all arrays together: larger sets belong in several calls.
   */
  public static final int MAX_VALUES = 10_000;

  private static final Pattern WHITESPACE =
      Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);

  private static final String TYPE_VALUES =
      Arrays.stream(ApiKeyType.values()).map(t -> '"' + t.value() + '"').collect(joining(" or "));

  private enum Kind {
    TEXT,
    ENUM,
    TIMESTAMP
  }

  /**
   * A column a selector may name; the name is spliced into SQL, so it must come from this table.
   */
  private record Column(String name, Kind kind) {
    String scalar(String placeholder) {
      return kind == Kind.TIMESTAMP ? "CAST(" + placeholder + " AS timestamptz)" : placeholder;
    }

    String array(String placeholder) {
      return "CAST("
          + placeholder
          + (kind == Kind.TIMESTAMP ? " AS timestamptz[])" : " AS text[])");
    }
  }

  // salt, redacted and deleted_at are left out on purpose: Medusa's FilterableApiKeyProps does not
  // offer them, soft-deleted keys never match, and a salt must never be probed by a filter.
  private static final Map<String, Column> COLUMNS =
      Stream.of(
              new Column("id", Kind.TEXT),
              new Column("token", Kind.TEXT),
              new Column("title", Kind.TEXT),
              new Column("created_by", Kind.TEXT),
              new Column("revoked_by", Kind.TEXT),
              new Column("type", Kind.ENUM),
              new Column("revoked_at", Kind.TIMESTAMP),
              new Column("created_at", Kind.TIMESTAMP),
              new Column("updated_at", Kind.TIMESTAMP),
              new Column("last_used_at", Kind.TIMESTAMP))
          .collect(toUnmodifiableMap(Column::name, Function.identity()));

  /**
   * Columns whose values name keys. No id and no stored token starts like a raw secret token
   * (secret keys store its hash), so such a value is a pasted secret in a filter that cannot match:
   * refusing it tells its author at once, and lets the Java API refuse it before it is written into
   * workflow history.
   */
  private static final Set<String> KEY_NAMING_COLUMNS = Set.of("id", "token");

  /**
   * The only operators allowed on {@code token}. A secret key's {@code token} column holds a hash
   * of the secret: comparing it by pattern or by order would let a selector learn its digits from
   * which keys come back. A token is therefore matched whole, and only a publishable key's (whose
   * token is public) can match.
   */
  private static final Set<String> TOKEN_OPERATORS = Set.of("$eq", "$in");

  /** Written into SQL beside every token comparison; a constant, never a value from a request. */
  private static final String PUBLISHABLE_ONLY =
      " AND type = '" + ApiKeyType.PUBLISHABLE.value() + "'";

  @FunctionalInterface
  private interface Operator {
    String compile(Compilation c, Column column, JsonNode value, String path, int depth);
  }

  private static final Map<String, Operator> OPERATORS =
      Map.ofEntries(
          Map.entry("$eq", (c, col, v, p, d) -> c.equality(col, v, p)),
          Map.entry("$ne", (c, col, v, p, d) -> c.notEqual(col, v, p)),
          Map.entry("$in", (c, col, v, p, d) -> c.membership(col, v, p, false)),
          Map.entry("$nin", (c, col, v, p, d) -> c.membership(col, v, p, true)),
          Map.entry("$gt", comparison(">")),
          Map.entry("$gte", comparison(">=")),
          Map.entry("$lt", comparison("<")),
          Map.entry("$lte", comparison("<=")),
          Map.entry("$like", textMatch("$like", "%s LIKE %s")),
          Map.entry("$ilike", textMatch("$ilike", "%s ILIKE %s")),
          Map.entry("$re", textMatch("$re", "%s ~ %s")),
          Map.entry(
              "$fulltext",
              textMatch("$fulltext", "to_tsvector('simple', %s) @@ plainto_tsquery('simple', %s)")),
          Map.entry("$exists", (c, col, v, p, d) -> c.exists(col, v, p)),
          Map.entry("$not", (c, col, v, p, d) -> c.not(col, v, p, d)),
          Map.entry("$and", (c, col, v, p, d) -> c.group("$and", v, p, d, c.operatorsOn(col))),
          Map.entry("$or", (c, col, v, p, d) -> c.group("$or", v, p, d, c.operatorsOn(col))));

  /** Medusa's operators for array columns: understood, so that the refusal can say why. */
  private static final Set<String> ARRAY_OPERATORS = Set.of("$overlap", "$contains", "$contained");

  /** Whether a raw secret token as a value of {@code id} or {@code token} is refused. */
  private final boolean refuseSecretTokens;

  /** The selector language alone, as Medusa defines it. */
  public SelectorCompiler() {
    this(false);
  }

  private SelectorCompiler(boolean refuseSecretTokens) {
    this.refuseSecretTokens = refuseSecretTokens;
  }

  /**
   * The language, refusing a raw secret token ({@code sk_…}) as a value of {@code id} or {@code
   * token}. The stores compile every selector a request carries with this one.
   */
  public static SelectorCompiler refusingSecretTokens() {
    return new SelectorCompiler(true);
  }

  /**
   * Compiles the selector of a write (revoke, rotate, update), refusing one that matches every key
   * ({@code {}}, {@code {"$or":[{}]}}…): acting on all keys must be spelled out.
   */
  public SqlCondition compileNonEmpty(JsonNode selector) {
    SqlCondition condition = compile(selector, "selector");
    if (condition.predicateCount() == 0) {
      throw ApiKeyException.invalidData(
          "selector: an empty selector would match every key; name the keys explicitly");
    }
    return condition;
  }

  /** Compiles a selector whose error paths start at {@code selector}. */
  public SqlCondition compile(JsonNode selector) {
    return compile(selector, "selector");
  }

  /**
   * Compiles a selector. Parameters are named {@code s1}, {@code s2}, … so a caller adding its own
   * should pick other names.
   *
   * @param rootPath how error messages name the selector itself, e.g. {@code selector}
   * @throws ApiKeyException INVALID_DATA, naming the path of the first problem found
   */
  public SqlCondition compile(JsonNode selector, String rootPath) {
    if (selector == null || selector.isMissingNode() || selector.isNull()) {
      throw invalid(rootPath, "expected an object");
    }
    Compilation c = new Compilation(refuseSecretTokens, rootPath);
    String sql = c.selector(selector, rootPath, 1);
    return new SqlCondition(sql, c.params, c.predicates);
  }

  private static Operator comparison(String sqlOperator) {
    return (c, col, v, p, d) ->
        c.leaf("(" + col.name() + " " + sqlOperator + " " + c.bind(col, v, p) + ")");
  }

  private static Operator textMatch(String name, String format) {
    return (c, col, v, p, d) -> {
      if (col.kind() != Kind.TEXT) {
        throw invalid(p, name + " applies to text fields only");
      }
      return c.leaf("(" + format.formatted(col.name(), c.param(c.scalar(col, v, p))) + ")");
    };
  }

  /**
   * The state of one compile call: the parameters bound so far, the leaves that restrict rows
   * ({@code predicates}, which drops the leaves of a branch folded away into TRUE), and every leaf
   * and value written (which never drops, so the limits count what the caller sent).
   */
  private static final class Compilation {
    private final Map<String, Object> params = new LinkedHashMap<>();
    private final boolean refuseSecretTokens;
    private final String rootPath;
    private int predicates;
    private int leaves;
    private int values;

    Compilation(boolean refuseSecretTokens, String rootPath) {
      this.refuseSecretTokens = refuseSecretTokens;
      this.rootPath = rootPath;
    }

    @FunctionalInterface
    private interface Element {
      String compile(JsonNode node, String path, int depth);
    }

    String selector(JsonNode node, String path, int depth) {
      checkDepth(path, depth);
      if (!node.isObject()) {
        throw invalid(path, "expected an object, got " + typeOf(node));
      }
      Mark mark = mark();
      List<String> parts = new ArrayList<>();
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        String key = e.getKey();
        JsonNode value = e.getValue();
        String keyPath = path + "." + display(key);
        Column column = COLUMNS.get(key);
        if (column != null) {
          parts.add(
              value.isObject()
                  ? operators(column, value, keyPath, depth + 1)
                  : equality(column, value, keyPath));
        } else if (key.equals("q")) {
          parts.add(search(value, keyPath));
        } else if (key.equals("$and") || key.equals("$or")) {
          parts.add(group(key, value, keyPath, depth, this::selector));
        } else {
          String what = key.startsWith("$") ? "operator" : "field";
          throw invalid(keyPath, "unknown " + what + " \"" + display(key) + "\"");
        }
      }
      return and(parts, mark);
    }

    Element operatorsOn(Column column) {
      return (node, path, depth) -> operators(column, node, path, depth);
    }

    String operators(Column column, JsonNode node, String path, int depth) {
      checkDepth(path, depth);
      if (!node.isObject()) {
        throw invalid(path, "expected an object of operators, got " + typeOf(node));
      }
      if (node.isEmpty()) {
        throw invalid(path, "expected at least one operator");
      }
      Mark mark = mark();
      List<String> parts = new ArrayList<>();
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        String key = e.getKey();
        String keyPath = path + "." + display(key);
        if (ARRAY_OPERATORS.contains(key)) {
          throw invalid(keyPath, key + " is an array operator and api_key has no array column");
        }
        Operator operator = OPERATORS.get(key);
        if (operator == null) {
          throw invalid(keyPath, "unknown operator \"" + display(key) + "\"");
        }
        if (column.name().equals("token") && !TOKEN_OPERATORS.contains(key)) {
          throw invalid(
              keyPath,
              "token allows only equality and $in: a token is matched whole, and only"
                  + " publishable keys match it");
        }
        parts.add(operator.compile(this, column, e.getValue(), keyPath, depth));
      }
      return and(parts, mark);
    }

    String group(String operator, JsonNode node, String path, int depth, Element element) {
      array(node, path);
      if (node.isEmpty()) {
        throw invalid(path, operator + " needs at least one condition");
      }
      Mark mark = mark();
      List<String> parts = new ArrayList<>();
      for (int i = 0; i < node.size(); i++) {
        parts.add(element.compile(node.get(i), path + "[" + i + "]", depth + 1));
      }
      return operator.equals("$and") ? and(parts, mark) : or(parts, mark);
    }

    /** Where the compilation stood, so that a branch folded into a constant can be taken back. */
    private record Mark(int predicates, int params) {}

    Mark mark() {
      return new Mark(predicates, params.size());
    }

    /**
     * Folds what was compiled since {@code mark} into a constant: TRUE restricts nothing, so it
     * counts as no predicate (an empty selector stays refused however it is spelled); FALSE counts
     * as one. The branch's parameters go with it, since its SQL is no longer written.
     */
    String fold(Mark mark, boolean value) {
      predicates = mark.predicates() + (value ? 0 : 1);
      params.keySet().removeIf(name -> Integer.parseInt(name.substring(1)) > mark.params());
      return value ? "TRUE" : "FALSE";
    }

    /** Conjunction: TRUE parts (a blank q, an empty $nin, {}) add nothing; one FALSE part wins. */
    String and(List<String> parts, Mark mark) {
      if (parts.contains("FALSE")) {
        return fold(mark, false);
      }
      List<String> kept = parts.stream().filter(p -> !p.equals("TRUE")).toList();
      return kept.isEmpty() ? "TRUE" : join(kept, " AND ");
    }

    /**
     * Disjunction. A branch that matches every row makes the whole $or match every row, so the
     * other branches restrict nothing; they must not make the selector count as non-empty, or
     * {"$or":[{},{"id":"x"}]} would revoke every key. FALSE branches add nothing.
     */
    String or(List<String> parts, Mark mark) {
      if (parts.contains("TRUE")) {
        return fold(mark, true);
      }
      List<String> kept = parts.stream().filter(p -> !p.equals("FALSE")).toList();
      return kept.isEmpty() ? fold(mark, false) : join(kept, " OR ");
    }

    /** A scalar is equality, null is IS NULL and an array is IN, as in Medusa. */
    String equality(Column column, JsonNode value, String path) {
      if (value.isNull() && !isToken(column)) {
        return leaf("(" + column.name() + " IS NULL)");
      }
      if (value.isArray()) {
        return membership(column, value, path, false);
      }
      return leaf(
          "(" + column.name() + " = " + bind(column, value, path) + tokenRestriction(column) + ")");
    }

    /** Null-safe, so that "not revoked by X" also finds the keys nobody revoked. */
    String notEqual(Column column, JsonNode value, String path) {
      if (value.isNull()) {
        return leaf("(" + column.name() + " IS NOT NULL)");
      }
      return leaf("(" + column.name() + " IS DISTINCT FROM " + bind(column, value, path) + ")");
    }

    /** IN, or with {@code negated} a NOT IN that, like {@code $ne}, keeps the rows with NULL. */
    String membership(Column column, JsonNode value, String path, boolean negated) {
      array(value, path);
      countValues(value.size());
      String[] values = new String[value.size()];
      for (int i = 0; i < values.length; i++) {
        values[i] = scalar(column, value.get(i), path + "[" + i + "]");
      }
      if (values.length == 0) {
        // Excluding nothing restricts nothing, so it is not counted; including nothing is.
        return negated ? "TRUE" : leaf("FALSE");
      }
      String in = column.name() + " = ANY(" + column.array(param(values)) + ")";
      return leaf(
          negated
              ? "(" + column.name() + " IS NULL OR NOT (" + in + "))"
              : "(" + in + tokenRestriction(column) + ")");
    }

    String exists(Column column, JsonNode value, String path) {
      if (!value.isBoolean()) {
        throw invalid(path, "expected a boolean, got " + typeOf(value));
      }
      return leaf("(" + column.name() + (value.booleanValue() ? " IS NOT NULL)" : " IS NULL)"));
    }

    /**
     * An unknown (NULL) inner result counts as false, so $not of it is true, never NULL. The
     * negation of a condition that matches nothing ({@code {"$in": []}}) matches everything and so
     * restricts nothing, like {@code {"$nin": []}}: it must not make a selector non-empty.
     */
    String not(Column column, JsonNode value, String path, int depth) {
      Mark mark = mark();
      String inner =
          value.isObject()
              ? operators(column, value, path, depth + 1)
              : equality(column, value, path);
      if (inner.equals("TRUE")) {
        return fold(mark, false);
      }
      if (inner.equals("FALSE")) {
        return fold(mark, true);
      }
      return "(NOT COALESCE(" + inner + ", FALSE))";
    }

    /**
     * Every word must occur literally in title or redacted, so its LIKE wildcards are escaped with
     * a backslash. That is PostgreSQL's default LIKE escape whatever standard_conforming_strings
     * says, so no ESCAPE clause is written: JDBI's statement lexer reads {@code '\'} as the start
     * of a quoted string that swallows the parameters after it.
     */
    String search(JsonNode value, String path) {
      String text = string(value, path, "a string");
      Mark mark = mark();
      List<String> parts = new ArrayList<>();
      for (String word : WHITESPACE.split(text)) {
        if (!word.isEmpty()) {
          String literal = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
          String p = param("%" + literal + "%");
          parts.add(leaf("(title ILIKE " + p + " OR redacted ILIKE " + p + ")"));
        }
      }
      return and(parts, mark);
    }

    String bind(Column column, JsonNode value, String path) {
      return column.scalar(param(scalar(column, value, path)));
    }

    /** The value as it is bound: a string, with timestamps normalized to an instant. */
    String scalar(Column column, JsonNode value, String path) {
      return switch (column.kind()) {
        case TEXT -> {
          String text = string(value, path, "a string");
          if (refuseSecretTokens
              && KEY_NAMING_COLUMNS.contains(column.name())
              && text.startsWith(ApiKeyType.SECRET.tokenPrefix())) {
            throw invalid(
                path,
                "looks like a raw secret token; secret keys store only a hash of it, so it can"
                    + " never match: select the key by its id (apk_…)");
          }
          yield text;
        }
        case ENUM -> {
          String text = string(value, path, "a string");
          if (ApiKeyType.fromValue(text).isEmpty()) {
            throw invalid(path, "expected " + TYPE_VALUES);
          }
          yield text;
        }
        case TIMESTAMP -> instant(string(value, path, "an ISO-8601 timestamp"), path);
      };
    }

    String param(Object value) {
      String name = "s" + (params.size() + 1);
      params.put(name, value);
      return ":" + name;
    }

    String leaf(String sql) {
      if (++leaves > MAX_LEAVES) {
        throw invalid(
            rootPath, "more than " + MAX_LEAVES + " conditions; split it into several requests");
      }
      predicates++;
      return sql;
    }

    private void countValues(int n) {
      values += n;
      if (values > MAX_VALUES) {
        throw invalid(
            rootPath, "more than " + MAX_VALUES + " values in all; split it into several requests");
      }
    }

    private static boolean isToken(Column column) {
      return column.name().equals("token");
    }

    private static String tokenRestriction(Column column) {
      return isToken(column) ? PUBLISHABLE_ONLY : "";
    }
  }

  private static String string(JsonNode value, String path, String expected) {
    if (!value.isTextual()) {
      throw invalid(path, "expected " + expected + ", got " + typeOf(value));
    }
    String text = value.textValue();
    if (text.length() > MAX_STRING_LENGTH) {
      throw invalid(path, "longer than " + MAX_STRING_LENGTH + " characters");
    }
    if (text.indexOf('\0') >= 0) {
      throw invalid(path, "contains a NUL character");
    }
    return text;
  }

  private static final Instant FIRST_INSTANT = Instant.parse("0001-01-01T00:00:00Z");
  private static final Instant LAST_INSTANT = Instant.parse("9999-12-31T23:59:59.999999999Z");

  /**
   * An instant with an offset, or a date meaning its start in UTC. A local date-time is refused
   * because its zone would be a guess. Years are kept to four digits, the range in which {@link
   * Instant#toString()} and PostgreSQL agree on the spelling.
   */
  private static String instant(String text, String path) {
    Instant instant;
    try {
      instant = OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException notDateTime) {
      try {
        instant = LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant();
      } catch (DateTimeParseException notDate) {
        throw invalid(path, "expected an ISO-8601 timestamp");
      }
    }
    if (instant.isBefore(FIRST_INSTANT) || instant.isAfter(LAST_INSTANT)) {
      throw invalid(path, "expected an ISO-8601 timestamp between the years 1 and 9999");
    }
    return instant.toString();
  }

  private static void array(JsonNode value, String path) {
    if (!value.isArray()) {
      throw invalid(path, "expected an array, got " + typeOf(value));
    }
    if (value.size() > MAX_ARRAY_LENGTH) {
      throw invalid(path, "more than " + MAX_ARRAY_LENGTH + " elements");
    }
  }

  private static void checkDepth(String path, int depth) {
    if (depth > MAX_DEPTH) {
      throw invalid(path, "nested deeper than " + MAX_DEPTH + " levels");
    }
  }

  private static String join(List<String> parts, String operator) {
    return parts.size() == 1 ? parts.get(0) : "(" + String.join(operator, parts) + ")";
  }

  private static String typeOf(JsonNode node) {
    return node.getNodeType().name().toLowerCase(Locale.ROOT);
  }

  /** A name from the selector as messages show it (see {@link MessageText#shown}). */
  private static String display(String name) {
    return MessageText.shown(name);
  }

  private static ApiKeyException invalid(String path, String problem) {
    return ApiKeyException.invalidData(path + ": " + problem);
  }
}
