package dev.apikeys.store;

import java.util.List;
import java.util.Map;
import org.jdbi.v3.sqlobject.customizer.AllowUnusedBindings;
import org.jdbi.v3.sqlobject.customizer.BindMap;
import org.jdbi.v3.sqlobject.customizer.Define;
import org.jdbi.v3.sqlobject.locator.UseClasspathSqlLocator;
import org.jdbi.v3.sqlobject.statement.SqlQuery;

/**
 * The statements over the keys a caller's selector matches, for {@link SelectorQueries}, which runs
 * them under its timeout. {@code <condition>} is a compiled {@link SqlCondition}'s SQL, which never
 * holds a value; its values are bound from its params.
 */
interface SelectorDao {

  /** The paging clause for {@code page}: a page size and an offset, each optional. */
  enum Window {
    ALL(""),
    TAKE("limit :take"),
    SKIP("offset :skip"),
    TAKE_AND_SKIP("limit :take offset :skip");

    private final String sql;

    Window(String sql) {
      this.sql = sql;
    }

    static Window of(Integer take, Integer skip) {
      if (take == null) {
        return skip == null ? ALL : SKIP;
      }
      return skip == null ? TAKE : TAKE_AND_SKIP;
    }

    @Override
    public String toString() {
      return sql;
    }
  }

  /**
   * A page of the matching keys; {@code window} says which of {@code take} and {@code skip} the
   * statement uses (one it leaves out is bound and unused).
   */
  @SqlQuery
  @UseClasspathSqlLocator
  @AllowUnusedBindings
  List<ApiKeyRow> page(
      @Define("condition") String condition,
      @BindMap Map<String, ?> params,
      @Define("orderBy") String orderBy,
      @Define("window") Window window,
      Integer take,
      Integer skip);

  @SqlQuery("select count(*) from api_key where deleted_at is null and (<condition>)")
  long count(@Define("condition") String condition, @BindMap Map<String, ?> params);

  @SqlQuery("select id from api_key where deleted_at is null and (<condition>) order by id")
  List<String> matchingIds(@Define("condition") String condition, @BindMap Map<String, ?> params);
}
