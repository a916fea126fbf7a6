package dev.apikeys.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.apikeys.activities.RevocationActivitiesImpl;
import dev.apikeys.client.ApiKeyModuleService;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.ApiKeyErrorType;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.model.FilterableApiKeyProps;
import dev.apikeys.revocation.RevocationNames;
import dev.apikeys.revocation.RevocationState;
import dev.apikeys.revocation.RevokeApiKeyDTO;
import dev.apikeys.revocation.RevokeApiKeysWorkflowImpl;
import dev.apikeys.revocation.RevokeRequest;
import dev.apikeys.revocation.RevokeResult;
import dev.apikeys.revocation.SharedContext;
import dev.apikeys.store.ApiKeyStore;
import dev.apikeys.store.RevocationStore;
import dev.apikeys.store.TestDatabase;
import dev.apikeys.testing.ApiKeysTestKit;
import dev.apikeys.testing.ClientTestKit;
import dev.apikeys.testing.TestStack;
import io.temporal.api.common.v1.Payload;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowServiceException;
import io.temporal.client.WorkflowStub;
import io.temporal.common.converter.RawValue;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed and hostile revoke requests, each sent through the Java API and, as the Temporal CLI
 * sends it, as raw {@code json/plain} bytes to an untyped workflow stub. Every refusal must be
 * typed, name the problem, change no row, create no revocation and leave the worker healthy.
 *
 * <p>One test environment and one database serve the whole class: the catalogue has about a hundred
 * cases, and a fresh server and database for each would cost most of a minute. Each case snapshots
 * the tables itself, so the cases stay independent. Time skipping is off: nothing here waits for an
 * instant, and across a hundred cases the test server's skipping to its own internal timers moves
 * its clock on by centuries, until the SDK's latency arithmetic overflows.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
// Long: runs beside the other test classes.
@Execution(ExecutionMode.CONCURRENT)
class BadInputCatalogueTest {
  private static final String QUEUE = "catalogue";

  /** A worker whose selector queries give up quickly, for the catastrophic regular expression. */
  private static final String IMPATIENT_QUEUE = "catalogue-impatient";

  private static final Duration IMPATIENT_TIMEOUT = Duration.ofMillis(250);

  /** Long enough for any refusal; a workflow still open after it is stuck. */
  private static final long CLOSE_WITHIN_SECONDS = 20;

  /**
   * How a Java caller could hold each input: Jackson with its read limits lifted, so that inputs
   * too deep or too long for the worker's reader still reach the Java API as the same tree.
   */
  private static final ObjectMapper JAVA_SIDE =
      new ObjectMapper(
          JsonFactory.builder()
              .streamReadConstraints(
                  StreamReadConstraints.builder()
                      .maxNestingDepth(100_000)
                      .maxNumberLength(100_000)
                      .maxNameLength(1_000_000)
                      .build())
              .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
              .build());

  /** The kit's worker takes {@link #QUEUE}; the impatient one is added in the class's setup. */
  @RegisterExtension
  static final ApiKeysTestKit kit =
      ClientTestKit.newBuilder()
          .oneStackPerClass()
          .taskQueue(QUEUE)
          .timeSkipping(false)
          .doNotStart()
          .build();

  private TestDatabase db;
  private TestWorkflowEnvironment env;
  private ApiKeyStore keys;
  private ApiKeyModuleService module;
  private ApiKeyModuleService impatientModule;
  private Map<String, String> fixtures;

  @BeforeAll
  void startEnvironment(TestStack stack, ApiKeyModuleService module) {
    db = stack.db();
    keys = stack.keys();
    env = stack.env();
    this.module = module;
    RevocationStore impatient = new RevocationStore(db.jdbi(), IMPATIENT_TIMEOUT);
    Worker impatientWorker = env.newWorker(IMPATIENT_QUEUE);
    impatientWorker.registerWorkflowImplementationTypes(RevokeApiKeysWorkflowImpl.class);
    impatientWorker.registerActivitiesImplementations(new RevocationActivitiesImpl(impatient));
    impatientModule =
        new ApiKeyModuleService(env.getWorkflowClient(), keys, impatient, IMPATIENT_QUEUE);
    stack.start();
    fixtures = createFixtures();
  }

  /**
   * The keys the catalogue names, by placeholder: a live secret key and its raw token, a
   * soft-deleted key, a key whose row was deleted, an already revoked secret key, and a key with a
   * long title of a's that makes a nested regular expression slow.
   */
  private Map<String, String> createFixtures() {
    ApiKeyDTO live = keys.createApiKey(new CreateApiKeyDTO("live", "secret", "fixtures"));
    ApiKeyDTO softDeleted = keys.createApiKey(new CreateApiKeyDTO("deleted", "secret", "fixtures"));
    ApiKeyDTO revoked = keys.createApiKey(new CreateApiKeyDTO("revoked", "secret", "fixtures"));
    ApiKeyDTO gone = keys.createApiKey(new CreateApiKeyDTO("gone", "publishable", "fixtures"));
    keys.createApiKey(new CreateApiKeyDTO("a".repeat(5_000), "publishable", "fixtures"));
    db.jdbi()
        .useHandle(
            h -> {
              h.execute("update api_key set deleted_at = now() where id = ?", softDeleted.id());
              h.execute(
                  "update api_key set revoked_at = now() - interval '1 minute', revoked_by = 'x'"
                      + " where id in (?, ?)",
                  revoked.id(),
                  gone.id());
            });
    keys.deleteApiKeys(List.of(gone.id()));
    return Map.of(
        "{live}", live.id(),
        "{token}", live.token(),
        "{deleted}", softDeleted.id(),
        "{gone}", gone.id(),
        "{revoked}", revoked.id());
  }

  // ---- the catalogue ----------------------------------------------------------------------------

  /** One refusal: what is sent, and what each path must answer. */
  record BadRequest(String json, ApiKeyErrorType type, String javaMessage, String workflowMessage) {
    @Override
    public String toString() {
      // Some inputs are megabytes long; test names show the case name only.
      return "BadRequest[" + type + "]";
    }
  }

  static Stream<Arguments> catalogue() {
    String token = "{token}";
    String deep40 = "{`$and`:[".repeat(40) + "{`id`:`x`}" + "]}".repeat(40);
    String deep2000 = "{`$and`:[".repeat(2_000) + "{`id`:`x`}" + "]}".repeat(2_000);
    String deepAnd = "selector" + ".$and[0]".repeat(32) + ": nested deeper than 32 levels";
    String deepNot = "{`title`:" + "{`$not`:".repeat(40) + "{`$eq`:`a`}" + "}".repeat(40) + "}";
    String longName = "k".repeat(20_000);
    String longerThanTheReaderTakes = "k".repeat(100_000);
    String shownName = "k".repeat(64) + "…";
    String tooLong = "x".repeat(10_001);
    String hundredThousand =
        IntStream.range(0, 100_000).mapToObj(i -> "`k" + i + "`").collect(Collectors.joining(","));
    String unreadable =
        "request: not readable as JSON (malformed, or beyond the JSON reader's limits on"
            + " nesting and on the length of numbers and names)";
    String revokedByRequired = "You must provide a revoked_by field when revoking a key.";
    String tenYears = "data.revoke_in: at most 315576000 seconds (10 years)";
    String pastedToken =
        "looks like a raw secret token; secret keys store only a hash of it, so it can never"
            + " match: select the key by its id (apk_…)";
    String emptySelector =
        "selector: an empty selector would match every key; name the keys explicitly";
    ApiKeyErrorType invalid = ApiKeyErrorType.INVALID_DATA;
    ApiKeyErrorType notFound = ApiKeyErrorType.NOT_FOUND;
    return Stream.of(
        // Wrong JSON types, at every level of the request.
        refused("types: request is an array", "[1,2]", invalid, "request: expected a JSON object"),
        refused(
            "types: request is a string", "`apk_1`", invalid, "request: expected a JSON object"),
        refused("types: request is a number", "42", invalid, "request: expected a JSON object"),
        refused("types: request is null", "null", invalid, "request: expected a JSON object"),
        refused(
            "types: request is empty bytes", "", invalid, null, "request: expected a JSON object"),
        refused("types: request is {}", "{}", invalid, "request: give \"id\" or \"selector\""),
        refused("types: id is a number", withId("5"), invalid, "id: expected a string, got number"),
        refused(
            "types: id is an array",
            withId("[`{live}`]"),
            invalid,
            "id: expected a string, got array"),
        refused(
            "types: id is an object",
            withId("{`$eq`:`{live}`}"),
            invalid,
            "id: expected a string, got object"),
        refused("types: id is null", withId("null"), invalid, "id: expected a string, got null"),
        refused(
            "types: id and selector both",
            json("{`id`:`{live}`,`selector`:{`id`:`{live}`}," + "`data`:{`revoked_by`:`u`}}"),
            invalid,
            "request: give either \"id\" or"),
        refused(
            "types: selector is a string",
            withSelector("`{live}`"),
            invalid,
            "selector: expected an object, got string"),
        refused(
            "types: selector is an array",
            withSelector("[`{live}`]"),
            invalid,
            "selector: expected an object, got array"),
        refused(
            "types: selector is null",
            withSelector("null"),
            invalid,
            "selector: expected an object, got null"),
        refused(
            "types: data is a string",
            withData("`u`"),
            invalid,
            "data: expected an object, got string"),
        refused(
            "types: data is an array",
            withData("[`u`]"),
            invalid,
            "data: expected an object, got array"),
        refused(
            "types: context is a string",
            withContext("`ctx`"),
            invalid,
            "context: expected an object, got string"),
        refused(
            "types: context id is a number",
            withContext("{`requestId`:7}"),
            invalid,
            "context.requestId: expected a string, got number"),
        refused(
            "types: context flag is a string",
            withContext("{`isCancelling`:`true`}"),
            invalid,
            "context.isCancelling: expected true or false, got string"),
        refused(
            "types: revoked_by is a number",
            withData("{`revoked_by`:7}"),
            invalid,
            "data.revoked_by: expected a string, got number"),
        refused(
            "types: revoked_by is an object",
            withData("{`revoked_by`:{`id`:`u`}}"),
            invalid,
            "data.revoked_by: expected a string, got object"),
        refused(
            "types: selector value is a number",
            withSelector("{`id`:5}"),
            invalid,
            "selector.id: expected a string, got number"),
        refused(
            "types: $in is a string",
            withSelector("{`id`:{`$in`:`{live}`}}"),
            invalid,
            "selector.id.$in: expected an array, got string"),
        refused(
            "types: timestamp is a number",
            withSelector("{`revoked_at`:{`$lt`:5}}"),
            invalid,
            "selector.revoked_at.$lt: expected an ISO-8601 timestamp, got number"),
        refused(
            "types: $exists is a string",
            withSelector("{`revoked_at`:{`$exists`:`yes`}}"),
            invalid,
            "selector.revoked_at.$exists: expected a boolean, got string"),
        refused(
            "types: q is a number",
            withSelector("{`q`:1}"),
            invalid,
            "selector.q: expected a string, got number"),
        refused(
            "types: $and is an object",
            withSelector("{`$and`:{`id`:`x`}}"),
            invalid,
            "selector.$and: expected an array, got object"),
        refused(
            "types: type is not a key type",
            withSelector("{`type`:`admin`}"),
            invalid,
            "selector.type: expected \"publishable\" or \"secret\""),

        // revoked_by missing, blank or null: Medusa's own words.
        refused("revoked_by: data missing", json("{`id`:`{live}`}"), invalid, revokedByRequired),
        refused("revoked_by: data null", withData("null"), invalid, revokedByRequired),
        refused("revoked_by: missing", withData("{}"), invalid, revokedByRequired),
        refused("revoked_by: null", withData("{`revoked_by`:null}"), invalid, revokedByRequired),
        refused("revoked_by: empty", withData("{`revoked_by`:``}"), invalid, revokedByRequired),
        refused(
            "revoked_by: whitespace",
            withData("{`revoked_by`:` \\t\\n\\u2003`}"),
            invalid,
            revokedByRequired),

        // revoke_in out of range or not a whole number.
        refused(
            "revoke_in: negative",
            revokeIn("-1"),
            invalid,
            "data.revoke_in: must be 0 or more seconds"),
        refused(
            "revoke_in: fractional",
            revokeIn("1.5"),
            invalid,
            "data.revoke_in: must be a whole number of seconds"),
        refused(
            "revoke_in: a string",
            revokeIn("`60`"),
            invalid,
            "data.revoke_in: expected a whole number of seconds, got string"),
        refused(
            "revoke_in: a boolean",
            revokeIn("true"),
            invalid,
            "data.revoke_in: expected a whole number of seconds, got boolean"),
        refused(
            "revoke_in: an array",
            revokeIn("[60]"),
            invalid,
            "data.revoke_in: expected a whole number of seconds, got array"),
        refused("revoke_in: ten years and a second", revokeIn("315576001"), invalid, tenYears),
        refused(
            "revoke_in: beyond the largest timestamp",
            revokeIn("9223372036854775807"),
            invalid,
            tenYears),
        refused("revoke_in: 1e30", revokeIn("1e30"), invalid, tenYears),
        refused("revoke_in: 1e400 (infinite as a double)", revokeIn("1e400"), invalid, tenYears),
        refused(
            "revoke_in: -1e400",
            revokeIn("-1e400"),
            invalid,
            "data.revoke_in: must be 0 or more seconds"),
        refused(
            "revoke_in: NaN (not JSON)",
            revokeIn("NaN"),
            invalid,
            "data.revoke_in: expected a whole number of seconds, got NaN",
            unreadable),
        refused(
            "revoke_in: a 1,200-digit number",
            revokeIn("9".repeat(1_200)),
            invalid,
            tenYears,
            unreadable),

        // Unknown fields and operators.
        refused(
            "unknown: request field",
            json("{`id`:`{live}`,`data`:{`revoked_by`:`u`}," + "`selectr`:{}}"),
            invalid,
            "request.selectr: unknown field \"selectr\""),
        refused(
            "unknown: data field",
            withData("{`revoked_by`:`u`,`revokeIn`:5}"),
            invalid,
            "data.revokeIn: unknown field \"revokeIn\""),
        refused(
            "unknown: context field",
            withContext("{`idempotency_key`:`k`}"),
            invalid,
            "context.idempotency_key: unknown field \"idempotency_key\""),
        refused(
            "unknown: selector field",
            withSelector("{`salt`:`abc`}"),
            invalid,
            "selector.salt: unknown field \"salt\""),
        refused(
            "unknown: nested selector field",
            withSelector("{`$or`:[{`id`:`x`},{`foo`:1}]}"),
            invalid,
            "selector.$or[1].foo: unknown field \"foo\""),
        refused(
            "unknown: operator",
            withSelector("{`revoked_at`:{`$foo`:1}}"),
            invalid,
            "selector.revoked_at.$foo: unknown operator \"$foo\""),
        refused(
            "unknown: top-level operator",
            withSelector("{`$where`:`1=1`}"),
            invalid,
            "selector.$where: unknown operator \"$where\""),
        refused(
            "unknown: array operator",
            withSelector("{`id`:{`$overlap`:[`x`]}}"),
            invalid,
            "selector.id.$overlap: $overlap is an array operator"),
        refused(
            "unknown: $like on a timestamp",
            withSelector("{`revoked_at`:{`$like`:`2%`}}"),
            invalid,
            "selector.revoked_at.$like: $like applies to text fields only"),

        // Selectors that say nothing, or too much.
        refused("empty: {}", withSelector("{}"), invalid, emptySelector),
        refused(
            "empty: $and []",
            withSelector("{`$and`:[]}"),
            invalid,
            "selector.$and: $and needs at least one condition"),
        refused("empty: $or [{}]", withSelector("{`$or`:[{}]}"), invalid, emptySelector),
        refused(
            "empty: $or [{}, id]",
            withSelector("{`$or`:[{},{`id`:`{live}`}]}"),
            invalid,
            emptySelector),
        refused("empty: blank q", withSelector("{`q`:`   `}"), invalid, emptySelector),
        refused("empty: $nin []", withSelector("{`id`:{`$nin`:[]}}"), invalid, emptySelector),
        refused("nesting: 40 levels of $and", withSelector(deep40), invalid, deepAnd),
        refused(
            "nesting: 40 levels of $not",
            withSelector(deepNot),
            invalid,
            "selector.title" + ".$not".repeat(31) + ": nested deeper than 32 levels"),
        refused(
            "nesting: 2,000 levels of $and", withSelector(deep2000), invalid, deepAnd, unreadable),
        refused(
            "size: 100,000-element $in",
            withSelector("{`id`:{`$in`:[" + hundredThousand + "]}}"),
            invalid,
            "selector.id.$in: more than 10000 elements"),
        refused(
            "size: 100,000 ids",
            withSelector("{`id`:[" + hundredThousand + "]}"),
            invalid,
            "selector.id: more than 10000 elements"),

        // NUL characters: PostgreSQL text cannot hold them, so they never reach it.
        refused("NUL: id", withId("`apk_\\u0000x`"), invalid, "id: contains a NUL character"),
        refused(
            "NUL: revoked_by",
            withData("{`revoked_by`:`u\\u0000`}"),
            invalid,
            "data.revoked_by: contains a NUL character"),
        refused(
            "NUL: selector value",
            withSelector("{`title`:`a\\u0000`}"),
            invalid,
            "selector.title: contains a NUL character"),
        refused(
            "NUL: selector key",
            withSelector("{`ti\\u0000tle`:`a`}"),
            invalid,
            "selector.ti\\u0000tle: unknown field \"ti\\u0000tle\""),
        refused(
            "NUL: q",
            withSelector("{`q`:`a\\u0000`}"),
            invalid,
            "selector.q: contains a NUL character"),
        refused(
            "NUL: $re",
            withSelector("{`title`:{`$re`:`a\\u0000`}}"),
            invalid,
            "selector.title.$re: contains a NUL character"),
        refused(
            "NUL: context id",
            withContext("{`requestId`:`r\\u0000`}"),
            invalid,
            "context.requestId: contains a NUL character"),
        refused(
            "NUL: idempotencyKey",
            withContext("{`idempotencyKey`:`k\\u0000`}"),
            invalid,
            "context.idempotencyKey: contains a NUL character"),

        // Overlong strings: refused by length, and never echoed back whole.
        refused(
            "long: id", withId("`" + tooLong + "`"), invalid, "id: longer than 10000 characters"),
        refused(
            "long: revoked_by",
            withData("{`revoked_by`:`" + tooLong + "`}"),
            invalid,
            "data.revoked_by: longer than 10000 characters"),
        refused(
            "long: selector value",
            withSelector("{`title`:`" + tooLong + "`}"),
            invalid,
            "selector.title: longer than 10000 characters"),
        refused(
            "long: selector key",
            withSelector("{`" + longName + "`:1}"),
            invalid,
            "selector." + shownName + ": unknown field \"" + shownName + "\""),
        refused(
            "long: 100,000-character selector key",
            withSelector("{`" + longerThanTheReaderTakes + "`:1}"),
            invalid,
            "selector." + shownName + ": unknown field \"" + shownName + "\"",
            unreadable),
        refused(
            "long: context id",
            withContext("{`transactionId`:`" + tooLong + "`}"),
            invalid,
            "context.transactionId: longer than 10000 characters"),
        refused(
            "long: idempotencyKey",
            withContext("{`idempotencyKey`:`" + tooLong + "`}"),
            invalid,
            "context.idempotencyKey: longer than 10000 characters"),

        // SQL injection where a refusal is the right answer; see also the accepted cases below.
        refused(
            "SQL: id",
            withId("`apk_x' OR '1'='1`"),
            notFound,
            "ApiKey with id \"apk_x' OR '1'='1\" not found"),
        refused(
            "SQL: id drops the table",
            withId("`'; DROP TABLE api_key; --`"),
            notFound,
            "ApiKey with id \"'; DROP TABLE api_key; --\" not found"),
        refused(
            "SQL: selector key",
            withSelector("{`id = id OR 1=1 --`:`x`}"),
            invalid,
            "selector.id = id OR 1=1 --: unknown field \"id = id OR 1=1 --\""),
        refused(
            "SQL: quoted selector key",
            withSelector("{`title\\\" OR \\\"1\\\"=\\\"1`:`x`}"),
            invalid,
            "selector.title\" OR \"1\"=\"1: unknown field"),
        refused(
            "SQL: operator key",
            withSelector("{`title`:{`$eq) OR (1=1`:`x`}}"),
            invalid,
            "selector.title.$eq) OR (1=1: unknown operator \"$eq) OR (1=1\""),
        refused(
            "SQL: $re that is no regular expression",
            withSelector("{`title`:{`$re`:`') OR 1=1 --`}}"),
            invalid,
            "selector: a $re pattern is not a valid PostgreSQL regular expression"),
        refused(
            "SQL: timestamp",
            withSelector("{`revoked_at`:{`$lt`:`2020-01-01'); DROP TABLE api_key; --`}}"),
            invalid,
            "selector.revoked_at.$lt: expected an ISO-8601 timestamp"),
        refused(
            "SQL: type",
            withSelector("{`type`:`secret' OR '1'='1`}"),
            invalid,
            "selector.type: expected \"publishable\" or \"secret\""),

        // Keys that cannot be revoked, and pasted secrets.
        refused(
            "keys: soft-deleted id",
            withId("`{deleted}`"),
            notFound,
            "ApiKey with id \"{deleted}\" not found"),
        refused(
            "keys: deleted row",
            withId("`{gone}`"),
            notFound,
            "ApiKey with id \"{gone}\" not found"),
        refused(
            "keys: already revoked secret",
            withId("`{revoked}`"),
            invalid,
            "There are 1 secret keys that are already revoked."),
        refused(
            "keys: a revoked secret among live ones",
            withSelector("{`id`:[`{live}`,`{revoked}`]}"),
            invalid,
            "There are 1 secret keys that are already revoked."),
        refused(
            "keys: raw secret token as id",
            withId("`" + token + "`"),
            invalid,
            "id: looks like a raw secret token, not a key id"),
        refused(
            "keys: raw secret token in selector",
            withSelector("{`token`:`" + token + "`}"),
            invalid,
            "selector.token: " + pastedToken),
        refused(
            "keys: raw secret token in $in",
            withSelector("{`id`:{`$in`:[`{live}`,`" + token + "`]}}"),
            invalid,
            "selector.id.$in[1]: " + pastedToken),
        refused("malformed: truncated JSON", "{`id`:", invalid, null, unreadable));
  }

  @Execution(ExecutionMode.SAME_THREAD)
  @ParameterizedTest(name = "{0}")
  @MethodSource("catalogue")
  void everyPathRefusesWithATypedErrorAndChangesNothing(String name, BadRequest bad) {
    String json = fill(bad.json());
    Snapshot before = snapshot();

    Optional<JsonNode> tree = javaSideTree(json);
    if (bad.javaMessage() != null) {
      assertThat(tree).as("the Java API can express this input").isPresent();
      String message = fill(bad.javaMessage());
      assertRefusedByJava(
          () -> module.startRevoke(RevokeRequest.fromJson(tree.get())), bad.type(), message);
      typedCall(tree.get()).ifPresent(call -> assertRefusedByJava(call, bad.type(), message));
    }
    assertRefusedByWorkflow(json, bad.type(), fill(bad.workflowMessage()));

    assertThat(snapshot()).isEqualTo(before);
    assertWorkerHealthy(module);
  }

  // ---- hostile text that is valid input ---------------------------------------------------------

  static Stream<Arguments> hostileText() {
    String drop = "'); DROP TABLE api_key; --";
    String sleep = "x' || pg_sleep(10) || '";
    String quote = "\" OR \"\"=\"";
    return Stream.of(
        arguments("revoked_by", drop),
        arguments("revoked_by", quote),
        arguments("requestId", drop),
        arguments("transactionId", sleep),
        arguments("runId", quote),
        arguments("eventGroupId", drop),
        arguments("parentStepIdempotencyKey", sleep),
        arguments("idempotencyKey", drop));
  }

  /**
   * SQL in text that is otherwise valid is data: the revocation goes through on both paths, the
   * text is stored exactly as sent, and no other row changes.
   */
  @Execution(ExecutionMode.SAME_THREAD)
  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("hostileText")
  void hostileTextIsStoredLiterally(String field, String text) throws TimeoutException {
    for (boolean throughJava : new boolean[] {true, false}) {
      ApiKeyDTO target = keys.createApiKey(new CreateApiKeyDTO("target", "publishable", "h"));
      Snapshot before = snapshot();
      // Each path gets its own idempotency key, or the second would join the first revocation.
      String value = field.equals("idempotencyKey") ? text + throughJava : text;
      String revokedBy = field.equals("revoked_by") ? value : "hostile-text";
      SharedContext.Builder ctx = SharedContext.newBuilder();
      switch (field) {
        case "requestId" -> ctx.setRequestId(value);
        case "transactionId" -> ctx.setTransactionId(value);
        case "runId" -> ctx.setRunId(value);
        case "eventGroupId" -> ctx.setEventGroupId(value);
        case "parentStepIdempotencyKey" -> ctx.setParentStepIdempotencyKey(value);
        case "idempotencyKey" -> ctx.setIdempotencyKey(value);
        default -> {}
      }
      RevokeRequest request =
          RevokeRequest.ofId(target.id(), RevokeApiKeyDTO.now(revokedBy), ctx.build());

      RevokeResult result =
          throughJava
              ? module.startRevoke(request).await(Duration.ofSeconds(CLOSE_WITHIN_SECONDS))
              : startRaw(QUEUE, request.json().toString())
                  .getResult(CLOSE_WITHIN_SECONDS, TimeUnit.SECONDS, RevokeResult.class);

      assertThat(result.status()).isEqualTo(RevocationState.REVOKED);
      assertThat(result.apiKeys()).extracting(ApiKeyDTO::id).containsExactly(target.id());
      assertThat(text("select revoked_by from api_key where id = ?", target.id()))
          .isEqualTo(revokedBy);
      String column = field.equals("revoked_by") ? "revoked_by" : snakeCase(field);
      assertThat(
              text(
                  "select " + column + " from apikeys_revocation where id = ?",
                  result.revocationId()))
          .isEqualTo(value);
      assertThat(snapshot().keysOtherThan(target.id()))
          .isEqualTo(before.keysOtherThan(target.id()));
      assertThat(snapshot().keyCount()).isEqualTo(before.keyCount());
    }
  }

  static Stream<Arguments> selectorsThatMatchNothing() {
    return Stream.of(
        arguments("{\"title\":\"x' OR '1'='1\"}"),
        arguments("{\"id\":\"apk_x' OR 1=1 --\"}"),
        arguments("{\"created_by\":{\"$in\":[\"'; DELETE FROM api_key; --\"]}}"),
        arguments("{\"revoked_by\":{\"$eq\":\"x') OR TRUE --\"}}"),
        arguments("{\"q\":\"%' OR 1=1 -- _\"}"),
        arguments("{\"title\":{\"$like\":\"%' OR '1'='1\"}}"),
        arguments("{\"title\":{\"$ilike\":\"' OR ''='\"}}"),
        arguments("{\"title\":{\"$re\":\"x' OR '1'='1\"}}"),
        arguments("{\"title\":{\"$fulltext\":\"'; DROP TABLE api_key; --\"}}"),
        arguments("{\"$or\":[{\"title\":\"') OR ('1'='1\"},{\"created_by\":\"\\\\' OR 1=1\"}]}"),
        arguments("{\"id\":[\"{deleted}\",\"{gone}\"]}"));
  }

  /**
   * SQL in selector values is compared as text and matches nothing; soft-deleted keys never match.
   * Both are an empty result, not an error, and leave api_key as it was. (A revocation row with no
   * keys is recorded, as for any selector that matches nothing.)
   */
  @Execution(ExecutionMode.SAME_THREAD)
  @ParameterizedTest(name = "{0}")
  @MethodSource("selectorsThatMatchNothing")
  void injectionInSelectorValuesMatchesNothing(String selector) throws TimeoutException {
    JsonNode tree = javaSideTree(fill(selector)).orElseThrow();
    Snapshot before = snapshot();

    List<ApiKeyDTO> scheduled =
        module.revoke(FilterableApiKeyProps.of(tree), RevokeApiKeyDTO.now("u"), null);
    RevokeResult raw =
        startRaw(
                QUEUE,
                RevokeRequest.ofSelector(tree, RevokeApiKeyDTO.now("u"), null).json().toString())
            .getResult(CLOSE_WITHIN_SECONDS, TimeUnit.SECONDS, RevokeResult.class);

    assertThat(scheduled).isEmpty();
    assertThat(raw.keyCount()).isZero();
    assertThat(snapshot().keys()).isEqualTo(before.keys());
  }

  // ---- inputs that need a test of their own -----------------------------------------------------

  /**
   * PostgreSQL evaluates this pattern for seconds on the fixture's long title; the statement
   * timeout on selector queries cuts it short, and the refusal says why.
   */
  @Execution(ExecutionMode.SAME_THREAD)
  @Test
  void aCatastrophicRegularExpressionIsCutShortByTheStatementTimeout() {
    String json =
        "{\"selector\":{\"title\":{\"$re\":\"^(((a{1,50}){1,50}){1,50})b\"}},"
            + "\"data\":{\"revoked_by\":\"u\"}}";
    String message =
        "selector: evaluating it took longer than the statement timeout of "
            + IMPATIENT_TIMEOUT.toMillis()
            + " ms";
    Snapshot before = snapshot();
    long started = System.nanoTime();

    assertRefusedByJava(
        () -> impatientModule.startRevoke(RevokeRequest.fromJson(javaSideTree(json).orElseThrow())),
        ApiKeyErrorType.INVALID_DATA,
        message);
    ApplicationFailure failure = refusedByWorkflow(IMPATIENT_QUEUE, json);

    assertThat(failure.getType()).isEqualTo("INVALID_DATA");
    assertThat(failure.getOriginalMessage()).startsWith(message);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
    assertThat(snapshot()).isEqualTo(before);
    assertWorkerHealthy(impatientModule);
  }

  /**
   * A 3 MB input: 95,000 real-looking ids. The Java API refuses it before anything is sent (the
   * selector compiles locally). Temporal's Java test server, unlike a real server, has no 2 MB
   * payload limit and starts the workflow, which refuses the selector with INVALID_DATA; a real
   * server refuses the start itself with an INVALID_ARGUMENT about the blob size. Either way it is
   * a clear refusal and nothing changes.
   */
  @Execution(ExecutionMode.SAME_THREAD)
  @Test
  void aThreeMegabyteInputIsRefusedAndChangesNothing() {
    String ids =
        IntStream.range(0, 95_000)
            .mapToObj(i -> String.format("\"apk_%026d\"", i))
            .collect(Collectors.joining(","));
    String json = "{\"selector\":{\"id\":[" + ids + "]},\"data\":{\"revoked_by\":\"u\"}}";
    assertThat(json.length()).isBetween(3_000_000, 3_300_000);
    String message = "selector.id: more than 10000 elements";
    Snapshot before = snapshot();

    assertRefusedByJava(
        () -> module.startRevoke(RevokeRequest.fromJson(javaSideTree(json).orElseThrow())),
        ApiKeyErrorType.INVALID_DATA,
        message);
    WorkflowStub stub = null;
    try {
      stub = startRaw(QUEUE, json);
    } catch (WorkflowServiceException refusedAtStart) {
      // What a real server answers: the start itself is refused, so no workflow exists.
      assertThat(refusedAtStart).rootCause().hasMessageContaining("size");
    }
    if (stub != null) {
      ApplicationFailure failure = closedWithFailure(stub);
      assertThat(failure.getType()).isEqualTo("INVALID_DATA");
      assertThat(failure.getOriginalMessage()).startsWith(message);
    }

    assertThat(snapshot()).isEqualTo(before);
    assertWorkerHealthy(module);
  }

  // ---- the two paths ----------------------------------------------------------------------------

  /** Refused with the type and message; short, and never echoing the pasted secret. */
  private void assertRefusedByJava(Runnable call, ApiKeyErrorType type, String messagePrefix) {
    Throwable thrown = catchThrowable(call::run);
    assertThat(thrown)
        .as("the Java API refuses with ApiKeyException")
        .isInstanceOfSatisfying(
            ApiKeyException.class, e -> assertThat(e.getType()).isEqualTo(type));
    assertThat(thrown.getMessage())
        .startsWith(messagePrefix)
        .hasSizeLessThan(500)
        .doesNotContain(fixtures.get("{token}"));
  }

  private void assertRefusedByWorkflow(String json, ApiKeyErrorType type, String messagePrefix) {
    ApplicationFailure failure = refusedByWorkflow(QUEUE, json);
    assertThat(failure.getType()).isEqualTo(type.name());
    assertThat(failure.getOriginalMessage())
        .startsWith(messagePrefix)
        .hasSizeLessThan(500)
        .doesNotContain(fixtures.get("{token}"));
  }

  /** Starts the workflow as the CLI does and returns the typed failure it closed with. */
  private ApplicationFailure refusedByWorkflow(String queue, String json) {
    return closedWithFailure(startRaw(queue, json));
  }

  private static ApplicationFailure closedWithFailure(WorkflowStub stub) {
    Throwable thrown =
        catchThrowable(
            () -> stub.getResult(CLOSE_WITHIN_SECONDS, TimeUnit.SECONDS, RevokeResult.class));
    assertThat(thrown)
        .as("the workflow closes (a TimeoutException means it is stuck)")
        .isInstanceOf(WorkflowFailedException.class);
    assertThat(thrown.getCause())
        .isInstanceOfSatisfying(
            ApplicationFailure.class, f -> assertThat(f.isNonRetryable()).isTrue());
    return (ApplicationFailure) thrown.getCause();
  }

  /**
   * An untyped start whose input is the given bytes with encoding {@code json/plain}: exactly what
   * {@code temporal workflow start --input '…'} sends, with no Java object in between.
   */
  private WorkflowStub startRaw(String queue, String json) {
    WorkflowStub stub =
        env.getWorkflowClient()
            .newUntypedWorkflowStub(
                RevocationNames.WORKFLOW_TYPE,
                WorkflowOptions.newBuilder()
                    .setTaskQueue(queue)
                    .setWorkflowId("catalogue-" + UUID.randomUUID())
                    .build());
    stub.start(
        new RawValue(
            Payload.newBuilder()
                .putMetadata("encoding", ByteString.copyFromUtf8("json/plain"))
                .setData(ByteString.copyFromUtf8(json))
                .build()));
    return stub;
  }

  /**
   * The typed overload that sends this request, when one can: {@code revoke(id, …)} or {@code
   * revoke(selector, …)} with a {@code RevokeApiKeyDTO} and a {@code SharedContext}. A string where
   * data belongs, a fraction of a second or an unknown field cannot be built that way.
   */
  private Optional<Runnable> typedCall(JsonNode request) {
    if (!request.isObject()
        || !Set.of("id", "selector", "data", "context").containsAll(names(request))) {
      return Optional.empty();
    }
    JsonNode id = request.get("id");
    JsonNode selector = request.get("selector");
    Optional<Supplier<RevokeApiKeyDTO>> data = typedData(request.get("data"));
    Optional<Supplier<SharedContext>> context = typedContext(request.get("context"));
    if ((id == null) == (selector == null) || data.isEmpty() || context.isEmpty()) {
      return Optional.empty();
    }
    if (id != null) {
      return id.isTextual()
          ? Optional.of(() -> module.revoke(id.textValue(), data.get().get(), context.get().get()))
          : Optional.empty();
    }
    return Optional.of(
        () ->
            module.revoke(
                FilterableApiKeyProps.of(selector), data.get().get(), context.get().get()));
  }

  private static Optional<Supplier<RevokeApiKeyDTO>> typedData(JsonNode data) {
    if (data == null || data.isNull()) {
      return Optional.of(() -> null);
    }
    if (!data.isObject() || !Set.of("revoked_by", "revoke_in").containsAll(names(data))) {
      return Optional.empty();
    }
    JsonNode by = data.path("revoked_by");
    JsonNode in = data.path("revoke_in");
    boolean byTyped = by.isMissingNode() || by.isNull() || by.isTextual();
    boolean inTyped =
        in.isMissingNode() || in.isNull() || (in.isIntegralNumber() && in.canConvertToLong());
    if (!byTyped || !inTyped) {
      return Optional.empty();
    }
    String revokedBy = by.isTextual() ? by.textValue() : null;
    Long revokeIn = in.isNumber() ? in.longValue() : null;
    return Optional.of(() -> new RevokeApiKeyDTO(revokedBy, revokeIn));
  }

  private static Optional<Supplier<SharedContext>> typedContext(JsonNode context) {
    if (context == null || context.isNull()) {
      return Optional.of(() -> null);
    }
    if (!context.isObject()) {
      return Optional.empty();
    }
    SharedContext.Builder b = SharedContext.newBuilder();
    for (Map.Entry<String, JsonNode> field : context.properties()) {
      JsonNode v = field.getValue();
      if (!v.isTextual()) {
        return Optional.empty();
      }
      switch (field.getKey()) {
        case "requestId" -> b.setRequestId(v.textValue());
        case "transactionId" -> b.setTransactionId(v.textValue());
        case "runId" -> b.setRunId(v.textValue());
        case "eventGroupId" -> b.setEventGroupId(v.textValue());
        case "idempotencyKey" -> b.setIdempotencyKey(v.textValue());
        case "parentStepIdempotencyKey" -> b.setParentStepIdempotencyKey(v.textValue());
        default -> {
          return Optional.empty();
        }
      }
    }
    SharedContext built = b.build();
    return Optional.of(() -> built);
  }

  /** A revocation of a fresh key completes: the worker and its database are still fine. */
  private void assertWorkerHealthy(ApiKeyModuleService through) {
    ApiKeyDTO canary = keys.createApiKey(new CreateApiKeyDTO("canary", "publishable", "health"));
    try {
      RevokeResult result =
          through
              .startRevoke(RevokeRequest.ofId(canary.id(), RevokeApiKeyDTO.now("health"), null))
              .await(Duration.ofSeconds(CLOSE_WITHIN_SECONDS));
      assertThat(result.status()).isEqualTo(RevocationState.REVOKED);
    } catch (TimeoutException e) {
      throw new AssertionError("a valid revocation did not complete: the worker is not healthy", e);
    }
  }

  // ---- inputs and tables ------------------------------------------------------------------------

  private static Arguments refused(String name, String json, ApiKeyErrorType type, String message) {
    return refused(name, json, type, message, message);
  }

  /** A refusal whose message differs by path; a null Java message: Java cannot express it. */
  private static Arguments refused(
      String name, String json, ApiKeyErrorType type, String javaMessage, String workflowMessage) {
    return arguments(name, new BadRequest(json(json), type, javaMessage, workflowMessage));
  }

  /** The table writes JSON with backticks for double quotes, so SQL's quotes stay readable. */
  private static String json(String backticked) {
    return backticked.replace('`', '"');
  }

  private static String withId(String id) {
    return json("{`id`:" + id + ",`data`:{`revoked_by`:`u`}}");
  }

  private static String withSelector(String selector) {
    return json("{`selector`:" + selector + ",`data`:{`revoked_by`:`u`}}");
  }

  private static String withData(String data) {
    return json("{`id`:`{live}`,`data`:" + data + "}");
  }

  private static String revokeIn(String seconds) {
    return withData("{`revoked_by`:`u`,`revoke_in`:" + seconds + "}");
  }

  private static String withContext(String context) {
    return json("{`id`:`{live}`,`data`:{`revoked_by`:`u`},`context`:" + context + "}");
  }

  private String fill(String template) {
    String filled = template;
    for (Map.Entry<String, String> f : fixtures.entrySet()) {
      filled = filled.replace(f.getKey(), f.getValue());
    }
    return filled;
  }

  private static Optional<JsonNode> javaSideTree(String json) {
    try {
      JsonNode tree = JAVA_SIDE.readTree(json);
      return Optional.ofNullable(tree).filter(t -> !t.isMissingNode());
    } catch (Exception notJson) {
      return Optional.empty();
    }
  }

  private static List<String> names(JsonNode object) {
    List<String> names = new ArrayList<>();
    object.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static String snakeCase(String camel) {
    return camel.replaceAll("([A-Z])", "_$1").toLowerCase(Locale.ROOT);
  }

  /** Every row of api_key as JSON, and how many rows the revocation tables hold. */
  record Snapshot(List<String> keys, long revocations, long revocationKeys, long events) {
    int keyCount() {
      return keys.size();
    }

    List<String> keysOtherThan(String id) {
      return keys.stream().filter(k -> !k.contains("\"" + id + "\"")).toList();
    }
  }

  private Snapshot snapshot() {
    List<String> rows =
        db.jdbi()
            .withHandle(
                h ->
                    h.createQuery("select cast(to_jsonb(k) as text) from api_key k order by id")
                        .mapTo(String.class)
                        .list());
    return new Snapshot(
        rows,
        count("select count(*) from apikeys_revocation"),
        count("select count(*) from apikeys_revocation_key"),
        count("select count(*) from apikeys_event"));
  }

  private long count(String sql) {
    return db.jdbi().withHandle(h -> h.createQuery(sql).mapTo(Long.class).one());
  }

  private String text(String sql, String id) {
    return db.jdbi().withHandle(h -> h.createQuery(sql).bind(0, id).mapTo(String.class).one());
  }
}
