package dev.apikeys.store;

import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/**
 * The fixed statements on {@code api_key}; one statement a method. "Active" is Medusa's rule: not
 * soft-deleted and {@code revoked_at} null or still in the future. Rows of the whole table come
 * back as {@link ApiKeyRow}, read by its hand-written mapper (registered by {@link Database}).
 */
@RegisterConstructorMapper(ApiKeyDao.StoredSecret.class)
@RegisterConstructorMapper(ApiKeyDao.RedactedSecret.class)
@RegisterConstructorMapper(ApiKeyDao.PublishableToken.class)
interface ApiKeyDao {

  /** What a secret token is checked against; never leaves the store. */
  record StoredSecret(String id, String token, String salt) {
    @Override
    public String toString() {
      return "StoredSecret[id=" + id + "]";
    }
  }

  /** A {@link StoredSecret} with the redacted form it was found by; never leaves the store. */
  record RedactedSecret(String redacted, String id, String token, String salt) {
    @Override
    public String toString() {
      return "RedactedSecret[id=" + id + "]";
    }
  }

  record PublishableToken(String token, String id) {}

  /** A key as it stands, with whether it is revoked at the statement's {@code now()}. */
  record KeyWithRevocation(ApiKeyRow key, boolean revoked) {
    /** Written out, as {@link ApiKeyRow#MAPPER} is. */
    static final RowMapper<KeyWithRevocation> MAPPER =
        (rs, ctx) -> new KeyWithRevocation(ApiKeyRow.MAPPER.map(rs, ctx), rs.getBoolean("revoked"));
  }

  @SqlUpdate(
      """
      insert into api_key (id, token, salt, redacted, title, type, created_by)
      values (:id, :token, :salt, :redacted, :title, :type, :createdBy)""")
  void insert(
      String id,
      String token,
      String salt,
      String redacted,
      String title,
      String type,
      String createdBy);

  @SqlQuery(
      """
      select id, token, salt, redacted, title, type, last_used_at, created_by, created_at,
        updated_at, revoked_by, revoked_at, deleted_at
      from api_key where id = any(:ids) and deleted_at is null order by id""")
  List<ApiKeyRow> findByIds(String[] ids);

  /** The key with this id, unless it was deleted. */
  @SqlQuery(
      """
      select id, token, salt, redacted, title, type, last_used_at, created_by, created_at,
        updated_at, revoked_by, revoked_at, deleted_at
      from api_key where id = :id and deleted_at is null""")
  Optional<ApiKeyRow> findById(String id);

  /**
   * The secret keys a token could be, narrowed by its redacted form (indexed). Revoked keys are
   * included, so a revoked token, once verified, is answered from then on without a scrypt.
   */
  @SqlQuery(
      """
      select id, token, salt from api_key
      where type = 'secret' and redacted = :redacted and deleted_at is null order by id""")
  List<StoredSecret> findSecretsByRedacted(String redacted);

  /**
   * The secret keys any of several tokens could be, narrowed by their redacted forms, revoked keys
   * included: what {@link ApiKeyStore#findByTokens} checks with scrypt.
   */
  @SqlQuery(
      """
      select redacted, id, token, salt from api_key
      where type = 'secret' and redacted = any(:redacted) and deleted_at is null order by id""")
  List<RedactedSecret> findSecretsByRedactions(String[] redacted);

  /**
   * The publishable keys with these tokens, which are stored as they are (public by design), so
   * found by equality through the unique token index.
   */
  @SqlQuery(
      """
      select token, id from api_key
      where type = 'publishable' and token = any(:tokens) and deleted_at is null""")
  List<PublishableToken> findPublishableByTokens(String[] tokens);

  /**
   * The keys by id as they stand, revoked or not, with whether each is revoked at this statement's
   * {@code now()} (Medusa's rule: {@code revoked_at} set and not in the future).
   */
  @SqlQuery(
      """
      select id, token, salt, redacted, title, type, last_used_at, created_by, created_at,
        updated_at, revoked_by, revoked_at, deleted_at,
        coalesce(revoked_at <= now(), false) as revoked
      from api_key where id = any(:ids) and deleted_at is null""")
  List<KeyWithRevocation> findWithRevocationByIds(String[] ids);

  /**
   * The key by primary key if it is an active secret key at this statement's {@code now()}. On the
   * hot path of authentication: one row by primary key, read by the hand-written mapper.
   */
  @SqlQuery(
      """
      select id, token, salt, redacted, title, type, last_used_at, created_by, created_at,
        updated_at, revoked_by, revoked_at, deleted_at
      from api_key
      where id = :id and type = 'secret' and deleted_at is null
        and (revoked_at is null or revoked_at > now())""")
  Optional<ApiKeyRow> findActiveSecretById(String id);

  @SqlQuery(
      """
      select id from api_key
      where id = any(:ids) and deleted_at is null and (revoked_at is null or revoked_at > now())
      order by id""")
  List<String> findNotRevoked(String[] ids);

  @SqlUpdate("delete from api_key where id = any(:ids)")
  int deleteByIds(String[] ids);

  @SqlQuery(
      """
      update api_key set title = :title, updated_at = now()
      where id = any(:ids) and deleted_at is null
      returning id, token, salt, redacted, title, type, last_used_at, created_by, created_at,
        updated_at, revoked_by, revoked_at, deleted_at""")
  List<ApiKeyRow> updateTitle(String[] ids, String title);
}
