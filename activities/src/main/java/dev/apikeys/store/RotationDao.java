package dev.apikeys.store;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.customizer.BindMap;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.customizer.Define;
import org.jdbi.v3.sqlobject.locator.UseClasspathSqlLocator;
import org.jdbi.v3.sqlobject.statement.SqlBatch;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/**
 * The statements of {@link RotationStore}, one a method; the long ones live beside this class, in
 * {@code RotationDao/*.sql}.
 */
@RegisterConstructorMapper(RotationDao.RotationRow.class)
@RegisterConstructorMapper(RotationDao.RotationKeyRow.class)
interface RotationDao {

  /** What {@code apikeys_rotation} recorded of one rotation. */
  record RotationRow(
      String id,
      String status,
      String rotatedBy,
      long graceSeconds,
      String recipientName,
      String recipientPublicKey) {}

  /** One old key of a rotation, the id its successor gets, and its type. */
  record RotationKeyRow(String oldKeyId, String newKeyId, String keyType) {}

  /** A successor as stored, with the old key it replaces and its sealed token's JSON. */
  record SuccessorRow(String oldKeyId, String sealed, ApiKeyRow key) {
    /** Written out, as {@link ApiKeyRow#MAPPER} is. */
    static final RowMapper<SuccessorRow> MAPPER =
        (rs, ctx) ->
            new SuccessorRow(
                rs.getString("old_key_id"), rs.getString("sealed"), ApiKeyRow.MAPPER.map(rs, ctx));
  }

  /** What {@code apikeys_rotation} is given when a rotation is planned. */
  record NewRotation(
      String id,
      String workflowId,
      String rotatedBy,
      long graceSeconds,
      int keyCount,
      String recipientName,
      String recipientPublicKey) {}

  @SqlQuery(
      """
      select id, status, rotated_by, grace_seconds, recipient_name, recipient_public_key
      from apikeys_rotation where workflow_id = :workflowId""")
  Optional<RotationRow> findByWorkflowId(String workflowId);

  /** The rotation, locked until the transaction ends. */
  @SqlQuery(
      """
      select id, status, rotated_by, grace_seconds, recipient_name, recipient_public_key
      from apikeys_rotation where id = :id for update""")
  Optional<RotationRow> lock(String id);

  @SqlQuery("lock_selected")
  @UseClasspathSqlLocator
  List<ApiKeyRow> lockSelected(
      @Define("condition") String condition, @BindMap Map<String, ?> params, int limit);

  @SqlUpdate(
      """
      insert into apikeys_rotation (id, workflow_id, rotated_by, grace_seconds, status, key_count,
        recipient_name, recipient_public_key)
      values (:id, :workflowId, :rotatedBy, :graceSeconds, 'planned', :keyCount, :recipientName,
        :recipientPublicKey)""")
  void insert(@BindMethods NewRotation rotation);

  @SqlBatch(
      """
      insert into apikeys_rotation_key (rotation_id, old_key_id, new_key_id, key_type)
      values (:rotationId, :oldKeyId, :newKeyId, :keyType)""")
  void insertKeys(@Bind("rotationId") String rotationId, @BindMethods List<RotationKeyRow> keys);

  @SqlQuery(
      """
      select old_key_id, new_key_id, key_type from apikeys_rotation_key
      where rotation_id = :rotationId order by old_key_id""")
  List<RotationKeyRow> keys(String rotationId);

  /** Returns 1 when the successor was written, 0 when its old key is gone or it exists. */
  @SqlUpdate("insert_successor")
  @UseClasspathSqlLocator
  int insertSuccessor(
      @Bind("new") String newKeyId,
      String token,
      String salt,
      String redacted,
      @Bind("old") String oldKeyId);

  @SqlUpdate(
      """
      update apikeys_rotation_key set sealed_token = cast(:sealed as jsonb)
      where rotation_id = :rotationId and new_key_id = :newKeyId""")
  void seal(String rotationId, String newKeyId, String sealed);

  @SqlUpdate("insert_rotated_events")
  @UseClasspathSqlLocator
  void insertRotatedEvents(String name, String rotation);

  @SqlUpdate("update apikeys_rotation set status = 'created', completed_at = now() where id = :id")
  void markCreated(String id);

  @SqlQuery("successors")
  @UseClasspathSqlLocator
  List<SuccessorRow> successors(String r);
}
