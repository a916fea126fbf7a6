package dev.apikeys.store;

import java.util.List;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/**
 * The fixed statements on {@code api_key}; one statement a method. "Active" is Medusa's rule: not
 * soft-deleted and {@code revoked_at} null or still in the future.
 */
interface ApiKeyDao {

  @SqlUpdate(
      "insert into api_key (id, token, salt, redacted, title, type, created_by)"
          + " values (:id, :token, :salt, :redacted, :title, :type, :createdBy)")
  void insert(
      String id, String token, String salt, String redacted, String title, String type,
      String createdBy);

  @SqlQuery("select " + ApiKeyRow.COLUMNS + " from api_key where id = any(:ids) and deleted_at is null order by id")
  List<ApiKeyRow> findByIds(String[] ids);

  /**
   * The secret keys a token could be, narrowed by its redacted form (indexed). Revoked keys are
   * included, so a revoked token, once verified, is answered from then on without a scrypt.
   */
  @SqlQuery(
      "select id, token, salt from api_key where type = 'secret' and redacted = :redacted"
          + " and deleted_at is null order by id")
  @RegisterConstructorMapper(StoredSecret.class)
  List<StoredSecret> findSecretsByRedacted(String redacted);

  /** What a secret token is checked against; never leaves the store. */
  record StoredSecret(String id, String token, String salt) {
    @Override
    public String toString() {
      return "StoredSecret[id=" + id + "]";
    }
  }

  /**
   * The key by primary key if it is an active secret key at this statement's {@code now()}. On
   * the hot path of authentication, so run without the SqlObject layer.
   */
  String FIND_ACTIVE_SECRET_BY_ID =
      "select " + ApiKeyRow.COLUMNS + " from api_key where id = :id and type = 'secret'"
          + " and deleted_at is null and (revoked_at is null or revoked_at > now())";


  @SqlQuery(
      "select id from api_key where id = any(:ids) and deleted_at is null"
          + " and (revoked_at is null or revoked_at > now()) order by id")
  List<String> findNotRevoked(String[] ids);

  @SqlUpdate("delete from api_key where id = any(:ids)")
  int deleteByIds(String[] ids);

  @SqlQuery(
      "update api_key set title = :title, updated_at = now()"
          + " where id = any(:ids) and deleted_at is null returning " + ApiKeyRow.COLUMNS)
  List<ApiKeyRow> updateTitle(String[] ids, String title);
}
