package dev.apikeys.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.apikeys.metrics.ApiKeyMetrics;
import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.ApiKeyType;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.model.FindConfig;
import dev.apikeys.model.ListResult;
import dev.apikeys.model.MessageText;
import dev.apikeys.model.UpdateApiKeyDTO;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * Medusa's API key module on PostgreSQL (README's "The rest of the module"), minus {@code revoke},
 * which is a workflow. Every method either does all it was asked or, on a refusal, changes nothing.
 */
public final class ApiKeyStore {
  /** The longest text a field may hold; longer input is refused rather than stored. */
  static final int MAX_TEXT_LENGTH = 10_000;

  /** Tokens are 67 characters; anything far longer cannot be one and is not worth hashing. */
  private static final int MAX_TOKEN_LENGTH = 256;

  /**
   * How many verified tokens one store remembers: at about 200 bytes an entry, a few megabytes. A
   * process that sees more distinct live tokens than this pays a scrypt for the least recent.
   */
  static final int VERIFIED_TOKENS_CAPACITY = 10_000;

  private static final Set<String> ORDERABLE =
      Set.of(
          "id",
          "title",
          "type",
          "redacted",
          "created_by",
          "created_at",
          "updated_at",
          "revoked_by",
          "revoked_at",
          "last_used_at");

  private final Jdbi jdbi;

  /** For single statements: made once, so a call does not build a SqlObject proxy every time. */
  private final ApiKeyDao dao;

  private final SelectorCompiler selectors;
  private final SelectorQueries selectorQueries;
  private final VerifiedSecretTokens verified = new VerifiedSecretTokens(VERIFIED_TOKENS_CAPACITY);
  private final ApiKeyMetrics metrics;

  /** A store of its own; a process builds its stores once, in {@link ApiKeysDatabase}. */
  public ApiKeyStore(Jdbi jdbi, Duration selectorTimeout) {
    this(jdbi, selectorTimeout, ApiKeyMetrics.NONE);
  }

  /**
   * @param metrics told of every {@code authenticate} answer
   */
  public ApiKeyStore(Jdbi jdbi, Duration selectorTimeout, ApiKeyMetrics metrics) {
    this(
        jdbi,
        SelectorCompiler.refusingSecretTokens(),
        new SelectorQueries(selectorTimeout),
        metrics);
  }

  /** With the collaborators {@link ApiKeysDatabase} shares among the stores. */
  ApiKeyStore(
      Jdbi jdbi,
      SelectorCompiler selectors,
      SelectorQueries selectorQueries,
      ApiKeyMetrics metrics) {
    this.metrics = metrics;
    this.jdbi = jdbi;
    this.dao = jdbi.onDemand(ApiKeyDao.class);
    this.selectors = selectors;
    this.selectorQueries = selectorQueries;
  }

  /** Creates one key; the result carries the raw token, the only time it is ever shown. */
  public ApiKeyDTO createApiKey(CreateApiKeyDTO data) {
    return createApiKeys(List.of(data)).get(0);
  }

  /** Creates keys in one transaction; each result carries its raw token, shown only here. */
  public List<ApiKeyDTO> createApiKeys(List<CreateApiKeyDTO> data) {
    if (data == null || data.isEmpty()) {
      throw ApiKeyException.invalidData("data: give at least one key to create");
    }
    List<ValidCreate> valid = new ArrayList<>();
    for (int i = 0; i < data.size(); i++) {
      valid.add(validateCreate(data.get(i), data.size() == 1 ? "" : "data[" + i + "]."));
    }
    return jdbi.inTransaction(
        h -> {
          ApiKeyDao dao = h.attach(ApiKeyDao.class);
          List<ApiKeyDTO> created = new ArrayList<>();
          for (ValidCreate v : valid) {
            SecretTokens.Generated g = SecretTokens.generate(v.type());
            String id = ApiKeyIds.newId();
            dao.insert(
                id,
                g.storedToken(),
                g.salt(),
                g.redacted(),
                v.title(),
                v.type().value(),
                v.createdBy());
            ApiKeyRow row = dao.findById(id).orElseThrow();
            created.add(row.toDto().withToken(g.rawToken()));
          }
          return created;
        });
  }

  /** The key with this id; NOT_FOUND in Medusa's words when there is none (or it was deleted). */
  public ApiKeyDTO retrieveApiKey(String id) {
    requireId("id", id);
    return dao.findById(id).map(ApiKeyRow::toDto).orElseThrow(() -> notFound(id));
  }

  /** As {@link #retrieveApiKey(String)}, inside a transaction the caller holds. */
  public ApiKeyDTO retrieveApiKey(Handle caller, String id) {
    requireId("id", id);
    return caller
        .attach(ApiKeyDao.class)
        .findById(id)
        .map(ApiKeyRow::toDto)
        .orElseThrow(() -> notFound(id));
  }

  public List<ApiKeyDTO> listApiKeys(JsonNode selector, FindConfig config) {
    return listAndCount(selector, config, false).apiKeys();
  }

  public ListResult listAndCountApiKeys(JsonNode selector, FindConfig config) {
    return listAndCount(selector, config, true);
  }

  /** Renames one key. Only the title can change; an unknown id is NOT_FOUND. */
  public ApiKeyDTO updateApiKey(String id, UpdateApiKeyDTO data) {
    requireId("id", id);
    String title = requireText("title", data == null ? null : data.title());
    List<ApiKeyRow> rows =
        jdbi.inTransaction(h -> h.attach(ApiKeyDao.class).updateTitle(new String[] {id}, title));
    if (rows.isEmpty()) {
      throw notFound(id);
    }
    return rows.get(0).toDto();
  }

  /** Renames every key the selector matches; an empty selector is refused, as for revoke. */
  public List<ApiKeyDTO> updateApiKeys(JsonNode selector, UpdateApiKeyDTO data) {
    String title = requireText("title", data == null ? null : data.title());
    SqlCondition condition = compileNonEmpty(selector);
    return selectorQueries.inTransaction(
        jdbi,
        h -> {
          List<String> ids = selectorQueries.matchingIds(h, condition);
          List<ApiKeyRow> rows =
              h.attach(ApiKeyDao.class).updateTitle(ids.toArray(String[]::new), title);
          return rows.stream().map(ApiKeyRow::toDto).toList();
        });
  }

  /**
   * Removes the rows of revoked keys, as Medusa does. If any of them is not revoked yet (no {@code
   * revoked_at}, or one still in the future) nothing is deleted and the refusal names them.
   */
  public void deleteApiKeys(List<String> ids) {
    if (ids == null || ids.isEmpty()) {
      throw ApiKeyException.invalidData("ids: give at least one id to delete");
    }
    for (int i = 0; i < ids.size(); i++) {
      requireId("ids[" + i + "]", ids.get(i));
    }
    String[] idArray = ids.toArray(String[]::new);
    jdbi.useTransaction(
        h -> {
          ApiKeyDao dao = h.attach(ApiKeyDao.class);
          List<String> notRevoked = dao.findNotRevoked(idArray);
          if (!notRevoked.isEmpty()) {
            throw ApiKeyException.notAllowed(
                "Cannot delete api keys that are not revoked - " + String.join(", ", notRevoked));
          }
          dao.deleteByIds(idArray);
        });
  }

  /**
   * The active secret key this raw token belongs to, or empty; never an error. As in Medusa, only
   * secret keys authenticate: publishable tokens are public by design (they ship in storefront
   * code) and are looked up with {@code listApiKeys({token})} instead.
   *
   * <p>A token seen before is answered without scrypt: the verified token → key id mapping is
   * remembered (by the token's SHA-256), and the key's {@code revoked_at} and {@code deleted_at}
   * are read by primary key on every call, so a revocation holds from its instant on, in every
   * process, with nothing to invalidate. A token not seen before is narrowed by its redacted form
   * and checked with scrypt in constant time; when nothing narrows, a throwaway hash keeps the
   * answer from being faster for tokens whose redaction is unknown.
   */
  public Optional<ApiKeyDTO> authenticate(String token) {
    Optional<ApiKeyDTO> key = findAuthenticated(token);
    metrics.authenticated(key.isPresent());
    return key;
  }

  private Optional<ApiKeyDTO> findAuthenticated(String token) {
    if (token == null
        || token.length() > MAX_TOKEN_LENGTH
        || token.indexOf('\0') >= 0
        || !token.startsWith(ApiKeyType.SECRET.tokenPrefix())) {
      return Optional.empty();
    }
    String digest = VerifiedSecretTokens.digest(token);
    Optional<String> known = verified.keyId(digest);
    if (known.isPresent()) {
      return activeSecret(known.get());
    }
    List<ApiKeyDao.StoredSecret> candidates = dao.findSecretsByRedacted(SecretTokens.redact(token));
    if (candidates.isEmpty()) {
      SecretTokens.hash(token, "");
      return Optional.empty();
    }
    for (ApiKeyDao.StoredSecret candidate : candidates) {
      if (SecretTokens.matches(token, candidate.salt(), candidate.token())) {
        verified.remember(digest, candidate.id());
        return activeSecret(candidate.id());
      }
    }
    return Optional.empty();
  }

  /**
   * The key a raw token was found to be, as it stands: revoked or not (by the database's clock),
   * since a caller that holds a leaked token needs to hear that its key is already dead.
   */
  public record TokenOwner(ApiKeyDTO apiKey, boolean revoked) {}

  /**
   * The keys these raw tokens belong to, position for position (empty where none does, where the
   * key was deleted, and for a null), revoked keys included. Used where an operator holds a token
   * rather than an id (a leaked one); it never throws for what a token is, and no token leaves this
   * method.
   *
   * <p>Secret tokens are matched exactly as {@link #authenticate} matches them: the remembered
   * token → key id mapping first, then the redacted form narrows the candidates and scrypt decides,
   * remembering what it proved. The scrypt work runs in parallel (it is pure CPU, and {@link
   * SecretTokens} bounds it to one per core); the database is asked three times however many tokens
   * there are. Unlike {@code authenticate}, a token whose redacted form matches nothing costs no
   * throwaway hash: the answer itself says whether the token is known, so its timing hides nothing
   * more. Publishable tokens are stored as they are and found by equality.
   */
  public List<Optional<TokenOwner>> findByTokens(List<String> tokens) {
    int n = tokens.size();
    String[] ids = new String[n];
    String[] digests = new String[n];
    List<Integer> unverified = new ArrayList<>();
    Set<String> redactions = new HashSet<>();
    Map<String, List<Integer>> publishable = new HashMap<>();
    for (int i = 0; i < n; i++) {
      String token = tokens.get(i);
      if (token == null || token.length() > MAX_TOKEN_LENGTH || token.indexOf('\0') >= 0) {
        continue;
      }
      if (token.startsWith(ApiKeyType.SECRET.tokenPrefix())) {
        digests[i] = VerifiedSecretTokens.digest(token);
        Optional<String> known = verified.keyId(digests[i]);
        if (known.isPresent()) {
          ids[i] = known.get();
        } else {
          unverified.add(i);
          redactions.add(SecretTokens.redact(token));
        }
      } else if (token.startsWith(ApiKeyType.PUBLISHABLE.tokenPrefix())) {
        publishable.computeIfAbsent(token, t -> new ArrayList<>()).add(i);
      }
    }

    if (!redactions.isEmpty()) {
      Map<String, List<ApiKeyDao.RedactedSecret>> candidates = new HashMap<>();
      for (ApiKeyDao.RedactedSecret c :
          dao.findSecretsByRedactions(redactions.toArray(String[]::new))) {
        candidates.computeIfAbsent(c.redacted(), r -> new ArrayList<>()).add(c);
      }
      Map<Integer, String> proven =
          unverified.parallelStream()
              .flatMap(
                  i ->
                      matchingSecret(
                          tokens.get(i),
                          candidates.getOrDefault(SecretTokens.redact(tokens.get(i)), List.of()))
                          .map(id -> Map.entry(i, id))
                          .stream())
              .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
      proven.forEach(
          (i, id) -> {
            ids[i] = id;
            verified.remember(digests[i], id);
          });
    }
    if (!publishable.isEmpty()) {
      for (ApiKeyDao.PublishableToken found :
          dao.findPublishableByTokens(publishable.keySet().toArray(String[]::new))) {
        for (int i : publishable.getOrDefault(found.token(), List.of())) {
          ids[i] = found.id();
        }
      }
    }

    String[] distinct =
        Arrays.stream(ids).filter(Objects::nonNull).distinct().toArray(String[]::new);
    Map<String, TokenOwner> owners = new HashMap<>();
    if (distinct.length > 0) {
      for (ApiKeyDao.KeyWithRevocation found : dao.findWithRevocationByIds(distinct)) {
        owners.put(found.key().id(), new TokenOwner(found.key().toDto(), found.revoked()));
      }
    }
    List<Optional<TokenOwner>> found = new ArrayList<>(n);
    for (String id : ids) {
      found.add(id == null ? Optional.empty() : Optional.ofNullable(owners.get(id)));
    }
    return found;
  }

  /** The candidate whose stored hash this token has, compared in constant time. */
  private static Optional<String> matchingSecret(
      String token, List<ApiKeyDao.RedactedSecret> candidates) {
    for (ApiKeyDao.RedactedSecret candidate : candidates) {
      if (SecretTokens.matches(token, candidate.salt(), candidate.token())) {
        return Optional.of(candidate.id());
      }
    }
    return Optional.empty();
  }

  private Optional<ApiKeyDTO> activeSecret(String id) {
    return dao.findActiveSecretById(id).map(ApiKeyRow::toDto);
  }

  /**
   * Compiles a selector for a write, refusing {@code {}}: acting on every key must be spelled out.
   */
  public SqlCondition compileNonEmpty(JsonNode selector) {
    return selectors.compileNonEmpty(selector);
  }

  private ListResult listAndCount(JsonNode selector, FindConfig config, boolean count) {
    FindConfig find = config == null ? FindConfig.ALL : config;
    SqlCondition condition =
        selectors.compile(
            selector == null ? JsonNodeFactory.instance.objectNode() : selector, "selector");
    String orderBy = orderBy(find.order());
    if (find.skip() != null && find.skip() < 0) {
      throw ApiKeyException.invalidData("config.skip: must be 0 or more");
    }
    if (find.take() != null && find.take() < 0) {
      throw ApiKeyException.invalidData("config.take: must be 0 or more");
    }
    return selectorQueries.inTransaction(
        jdbi,
        h -> {
          List<ApiKeyDTO> keys =
              selectorQueries.page(h, condition, orderBy, find.skip(), find.take()).stream()
                  .map(ApiKeyRow::toDto)
                  .toList();
          long total = count ? selectorQueries.count(h, condition) : keys.size();
          return new ListResult(keys, total);
        });
  }

  private static String orderBy(Map<String, String> order) {
    if (order.isEmpty()) {
      return "created_at asc, id asc";
    }
    List<String> terms = new ArrayList<>();
    for (Map.Entry<String, String> e : order.entrySet()) {
      if (!ORDERABLE.contains(e.getKey())) {
        throw ApiKeyException.invalidData(
            "config.order." + e.getKey() + ": unknown field \"" + e.getKey() + "\"");
      }
      String direction = e.getValue() == null ? "" : e.getValue().toLowerCase(Locale.ROOT);
      if (!direction.equals("asc") && !direction.equals("desc")) {
        throw ApiKeyException.invalidData(
            "config.order." + e.getKey() + ": expected \"ASC\" or \"DESC\"");
      }
      terms.add(e.getKey() + " " + direction);
    }
    terms.add("id asc");
    return String.join(", ", terms);
  }

  private record ValidCreate(String title, ApiKeyType type, String createdBy) {}

  private static ValidCreate validateCreate(CreateApiKeyDTO data, String prefix) {
    if (data == null) {
      throw ApiKeyException.invalidData(prefix + "data: expected an object");
    }
    String title = requireText(prefix + "title", data.title());
    String createdBy = requireText(prefix + "created_by", data.createdBy());
    ApiKeyType type =
        ApiKeyType.fromValue(data.type())
            .orElseThrow(
                () ->
                    ApiKeyException.invalidData(
                        prefix + "type: must be \"publishable\" or \"secret\""));
    return new ValidCreate(title, type, createdBy);
  }

  /**
   * An id that names one key. No id starts like a raw secret token, so such a value is a pasted
   * secret: it is refused without being repeated, instead of being echoed by NOT_FOUND.
   */
  static String requireId(String field, String id) {
    requireText(field, id);
    if (id.startsWith(ApiKeyType.SECRET.tokenPrefix())) {
      throw ApiKeyException.invalidData(
          field + ": looks like a raw secret token, not a key id; name the key by its id (apk_…)");
    }
    return id;
  }

  /** Medusa's words, with the id as messages may show it. */
  private static ApiKeyException notFound(String id) {
    return ApiKeyException.notFound("ApiKey with id: " + MessageText.shown(id) + " was not found");
  }

  /**
   * A required text field: present, not blank, no NUL (PostgreSQL text cannot hold it), bounded.
   */
  static String requireText(String field, String value) {
    if (value == null || value.isBlank()) {
      throw ApiKeyException.invalidData(field + ": is required and must not be blank");
    }
    if (value.indexOf('\0') >= 0) {
      throw ApiKeyException.invalidData(field + ": contains a NUL character");
    }
    if (value.length() > MAX_TEXT_LENGTH) {
      throw ApiKeyException.invalidData(field + ": longer than " + MAX_TEXT_LENGTH + " characters");
    }
    return value;
  }
}
