package dev.apikeys.store;

import java.util.concurrent.Semaphore;
import org.jdbi.v3.core.config.JdbiConfig;

/**
 * How many selector evaluations one {@code Jdbi} runs at once. A selector is a caller's query
 * ({@code $re}, {@code $like}, a long {@code $in}) that may run up to the selector timeout; left
 * unbounded, a handful of them hold every pooled connection, and {@code authenticate} or a
 * revocation's stamp waits behind them. With a limit below the pool's size, the connections above
 * it are always there for everything else.
 *
 * <p>Set once, where the {@code Jdbi} is made ({@link Database#jdbi(javax.sql.DataSource, int)});
 * every handle and every store on that {@code Jdbi} shares the same permits.
 */
public final class SelectorConcurrency implements JdbiConfig<SelectorConcurrency> {
  private Semaphore permits;

  public SelectorConcurrency() {}

  private SelectorConcurrency(SelectorConcurrency other) {
    this.permits = other.permits;
  }

  /** At most {@code evaluations} selector transactions at once; at least one. */
  void limit(int evaluations) {
    if (evaluations < 1) {
      throw new IllegalArgumentException("at least one selector evaluation must be allowed");
    }
    permits = new Semaphore(evaluations, true);
  }

  /** The permits, or null when unbounded (a data source with no pool, as in tests). */
  Semaphore permits() {
    return permits;
  }

  @Override
  public SelectorConcurrency createCopy() {
    // Copies share the permits: the limit is per Jdbi, not per handle.
    return new SelectorConcurrency(this);
  }
}
