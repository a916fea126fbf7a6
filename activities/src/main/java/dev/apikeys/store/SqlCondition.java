package dev.apikeys.store;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A compiled selector: a boolean SQL expression over the unqualified columns of {@code api_key},
 * with every value held apart in {@code params} under the names it refers to ({@code :s1}, {@code
 * :s2}, …). Bind the parameters with {@code bindMap(params)}; the SQL text never contains a value.
 *
 * @param predicateCount how many leaf predicates restrict the rows; zero exactly when {@code sql}
 *     is {@code TRUE}, so that a caller can refuse a selector that says nothing ({@code {}}, a
 *     blank {@code q}, {@code {"$or":[{},{"id":"x"}]}}) even though it compiles
 */
public record SqlCondition(String sql, Map<String, Object> params, int predicateCount) {
  /** The empty selector: every row. */
  public static final SqlCondition TRUE = new SqlCondition("TRUE", Map.of(), 0);

  public SqlCondition {
    Objects.requireNonNull(sql, "sql");
    // A selector may name a token, so params must stay out of logs and messages. The copy keeps
    // the order of the placeholders and stops a caller from changing what was compiled.
    params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
  }
}
