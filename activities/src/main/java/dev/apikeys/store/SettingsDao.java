package dev.apikeys.store;

import org.jdbi.v3.sqlobject.customizer.Define;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/**
 * The settings the store gives its transactions: how long a statement may run and how long it may
 * wait for a lock, read first and put back where the transaction is a caller's. A timeout is a
 * number of the store's or of configuration, never a request's, so it is spliced into the text.
 */
interface SettingsDao {

  /** Bounds how long each later statement of this transaction may run. */
  @SqlUpdate("set local statement_timeout = <millis>")
  void boundStatements(@Define("millis") long millis);

  /** Lifts the bound on statements for the rest of the transaction. */
  @SqlUpdate("set local statement_timeout = 0")
  void liftStatementTimeout();

  /** Bounds how long each later statement of this transaction waits for a row or advisory lock. */
  @SqlUpdate("set local lock_timeout = <millis>")
  void boundLockWaits(@Define("millis") long millis);

  /** The setting's value as it stands. */
  @SqlQuery("select current_setting(:name)")
  String current(String name);

  /** Sets the setting for the rest of the transaction; returns its new value. */
  @SqlQuery("select set_config(:name, :value, true)")
  String setLocal(String name, String value);
}
