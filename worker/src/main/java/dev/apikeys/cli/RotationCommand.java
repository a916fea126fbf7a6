package dev.apikeys.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apikeys.client.RotationClient;
import dev.apikeys.config.ConfigurationException;
import dev.apikeys.config.TemporalConfig;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.ApiKeysJson;
import dev.apikeys.rotation.Recipient;
import dev.apikeys.rotation.RotateApiKeysWorkflow;
import dev.apikeys.rotation.RotateRequest;
import dev.apikeys.rotation.RotationResult;
import dev.apikeys.rotation.SealedToken;
import dev.apikeys.rotation.ValidRotateRequest;
import dev.apikeys.sealing.TokenSeal;
import dev.apikeys.store.SelectorCompiler;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code apikeys rotation run|schedule}: rotate keys now, or create a Temporal Schedule that
 * rotates them every so often. Each rotation gives every key a successor and revokes the old key
 * after the grace period.
 */
@Command(
    name = "rotation",
    description = {
      "Rotate keys now (run) or on a Temporal Schedule (schedule). New tokens leave the worker"
          + " only sealed to a recipient's X25519 public key (keygen makes a pair, open opens"
          + " them). The worker must set APIKEYS_ROTATION_ENABLED=true."
    },
    subcommands = {
      RotationCommand.Run.class,
      RotationCommand.ScheduleRotation.class,
      RotationCommand.Keygen.class,
      RotationCommand.Open.class
    })
final class RotationCommand implements Runnable {
  private static final Pattern HUMAN_DURATION = Pattern.compile("(\\d+)([smhd])");

  @ParentCommand ApiKeysCommand parent;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw UsageException.missingSubcommand(spec);
  }

  /** Which keys: one id, or a selector. */
  static final class Target {
    @Option(
        names = "--id",
        paramLabel = "<id>",
        required = true,
        description = "The key's id (apk_…).")
    String id;

    @Option(
        names = "--selector",
        paramLabel = "<json>",
        required = true,
        description = "Selector JSON, e.g. '{\"created_by\":\"svc\"}'.")
    String selector;
  }

  /** What run and schedule share. */
  abstract static class RotationOptions implements Callable<Integer> {
    @ParentCommand RotationCommand parent;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    @Option(
        names = "--grace",
        paramLabel = "<duration>",
        defaultValue = "24h",
        description = "How long old keys keep working: 30m, 24h, 7d (default 24h).")
    String grace;

    @Option(
        names = "--rotated-by",
        paramLabel = "<who>",
        defaultValue = "apikeys-rotation",
        description = "Recorded as the old keys' revoked_by.")
    String rotatedBy;

    CommandContext context() {
      return parent.parent.context;
    }

    /**
     * The request, checked here as a revoke request is, before anything is started: a mistake costs
     * no round trip, and a refused request (a pasted token, say) never reaches history.
     */
    RotateRequest request(Recipient recipient) {
      long graceSeconds = parseDuration("--grace", grace).toSeconds();
      RotateRequest request =
          target.id != null
              ? RotateRequest.ofId(target.id, rotatedBy, graceSeconds, recipient)
              : RotateRequest.ofSelector(
                  context().parseJson("--selector", target.selector),
                  rotatedBy,
                  graceSeconds,
                  recipient);
      ValidRotateRequest valid = ValidRotateRequest.parse(request);
      if (valid.selector() != null) {
        SelectorCompiler.refusingSecretTokens().compileNonEmpty(valid.selector());
      }
      return request;
    }
  }

  @Command(
      name = "run",
      description = {
        "Rotate now. Without --recipient-key, a one-time key pair is made here, the new tokens"
            + " are sealed to it and opened here, and printed (shown only this once). With"
            + " --recipient-key, the sealed result is printed for that recipient to open."
      })
  static final class Run extends RotationOptions {
    @Option(
        names = "--recipient-key",
        description =
            "Base64 X25519 public key to seal the new tokens to (apikeys rotation keygen).")
    String recipientKey;

    @Option(
        names = "--recipient-name",
        description = "Who holds that key's private half, e.g. billing-service.")
    String recipientName;

    @Override
    public Integer call() {
      TokenSeal.KeyPair oneTime = recipientKey == null ? TokenSeal.newKeyPair() : null;
      Recipient recipient =
          oneTime != null
              ? new Recipient(
                  recipientName != null ? recipientName : ONE_TIME_RECIPIENT, oneTime.publicKey())
              : new Recipient(recipientName, recipientKey);
      RotateRequest request = request(recipient);
      CommandContext context = context();
      // A refusal, a fault or an answer this side cannot decrypt: each is reported by its kind
      // (see Failures), whatever the failure's type.
      RotationResult result = rotations(context).rotate(request);
      context.print(oneTime == null ? result : opened(result, oneTime.privateKey()));
      return ApiKeysCommand.ExitCodes.OK;
    }

    /** The result with each successor's token opened into its DTO, as {@code create} shows one. */
    private static RotationResult opened(RotationResult result, String privateKey) {
      List<RotationResult.Successor> successors = new ArrayList<>();
      for (RotationResult.Successor s : result.successors()) {
        String token = TokenSeal.open(privateKey, s.apiKey().id(), s.sealedToken());
        successors.add(
            new RotationResult.Successor(s.oldKeyId(), s.apiKey().withToken(token), null));
      }
      return new RotationResult(
          result.rotationId(),
          result.workflowId(),
          result.recipient(),
          successors,
          result.revocationWorkflowId(),
          result.graceSeconds(),
          result.message());
    }
  }

  @Command(
      name = "schedule",
      description =
          "Create a Temporal Schedule that rotates the keys every --every (overlap: skip).")
  static final class ScheduleRotation extends RotationOptions {
    @Option(
        names = "--every",
        paramLabel = "<duration>",
        required = true,
        description = "How often: e.g. 90d, 12h.")
    String every;

    @Option(
        names = "--recipient-key",
        paramLabel = "<base64>",
        required = true,
        description =
            "Base64 X25519 public key of the service that receives the new tokens (apikeys rotation keygen).")
    String recipientKey;

    @Option(
        names = "--recipient-name",
        paramLabel = "<name>",
        required = true,
        description = "That service's name, recorded with each rotation and its events.")
    String recipientName;

    @Option(
        names = "--schedule-id",
        paramLabel = "<id>",
        description = "The Schedule's id (default: apikeys-rotation-<random>).")
    String scheduleId;

    @Override
    public Integer call() {
      RotateRequest request = request(new Recipient(recipientName, recipientKey));
      Duration interval = parseDuration("--every", every);
      String id = scheduleId != null ? scheduleId : RotationClient.newScheduleId();
      CommandContext context = context();
      TemporalConfig config = context.temporalConfig();
      try {
        rotations(context).createSchedule(id, request, interval);
      } catch (RuntimeException e) {
        if (Failures.find(
                e,
                StatusRuntimeException.class,
                s -> s.getStatus().getCode() == Status.Code.UNIMPLEMENTED)
            .isPresent()) {
          // Temporal's Java test server, which `apikeys dev` runs, has no Schedules.
          throw new ConfigurationException(
              TemporalConfig.ADDRESS
                  + ": the Temporal server at "
                  + config.address()
                  + " has no Schedules (apikeys dev runs Temporal's Java test server); rotate"
                  + " with `apikeys rotation run` from cron, or use a Temporal server such as"
                  + " `docker compose up`'s; nothing was created");
        }
        throw e;
      }
      Map<String, Object> created = new LinkedHashMap<>();
      created.put("schedule_id", id);
      created.put("workflow_type", RotateApiKeysWorkflow.WORKFLOW_TYPE);
      created.put("every_seconds", interval.toSeconds());
      created.put("overlap", "skip");
      created.put("request", request.json());
      context.print(created);
      return ApiKeysCommand.ExitCodes.OK;
    }
  }

  @Command(
      name = "keygen",
      description = {
        "Make a recipient key pair: the private key goes to --private-key-file (created, readable"
            + " by its owner only), the public key is printed, to give to rotation run|schedule."
      })
  static final class Keygen implements Callable<Integer> {
    @ParentCommand RotationCommand parent;

    @Option(
        names = "--private-key-file",
        required = true,
        description = "Where to write the private key; must not exist yet.")
    Path privateKeyFile;

    @Override
    public Integer call() throws IOException {
      TokenSeal.KeyPair pair = TokenSeal.newKeyPair();
      PrivateKeyFile.create(privateKeyFile, pair.privateKey());
      Map<String, Object> printed = new LinkedHashMap<>();
      printed.put("public_key", pair.publicKey());
      printed.put("private_key_file", privateKeyFile.toAbsolutePath().toString());
      parent.parent.context.print(printed);
      return ApiKeysCommand.ExitCodes.OK;
    }
  }

  @Command(
      name = "open",
      description = {
        "Open sealed tokens with a recipient's private key: reads, from --input or standard"
            + " input, a rotation's result, or events from 'apikeys events list', and prints"
            + " [{\"id\", \"old_key_id\", \"token\"}]."
      })
  static final class Open implements Callable<Integer> {
    @ParentCommand RotationCommand parent;

    @Option(
        names = "--private-key-file",
        required = true,
        description = "The private key file rotation keygen wrote.")
    Path privateKeyFile;

    @Option(names = "--input", description = "A file to read instead of standard input.")
    Path input;

    @Override
    public Integer call() throws IOException {
      CommandContext context = parent.parent.context;
      String privateKey = PrivateKeyFile.read(privateKeyFile);
      String text =
          input != null
              ? Files.readString(input, StandardCharsets.UTF_8)
              : new String(context.in().readAllBytes(), StandardCharsets.UTF_8);
      List<Map<String, Object>> opened = new ArrayList<>();
      for (SealedSuccessor s : SealedSuccessor.findIn(context.parseJson("input", text))) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("id", s.id());
        entry.put("old_key_id", s.oldKeyId());
        entry.put("token", TokenSeal.open(privateKey, s.id(), s.sealed()));
        opened.add(entry);
      }
      context.print(opened);
      return ApiKeysCommand.ExitCodes.OK;
    }
  }

  /** A sealed token found in what {@code open} reads, with the ids it belongs to. */
  record SealedSuccessor(String id, String oldKeyId, SealedToken sealed) {
    private static final ObjectMapper JSON = ApiKeysJson.newObjectMapper();

    /**
     * The sealed tokens of a rotation result ({@code successors[]}), of {@code api_key.rotated}
     * events (an array, as {@code events list} prints), or of one event's {@code data}.
     */
    static List<SealedSuccessor> findIn(JsonNode json) {
      List<SealedSuccessor> found = new ArrayList<>();
      if (json.has("successors")) {
        for (JsonNode s : json.get("successors")) {
          found.add(
              new SealedSuccessor(
                  s.path("api_key").path("id").asText(null),
                  s.path("old_key_id").asText(null),
                  sealed(s.get("sealed_token"))));
        }
      } else if (json.isArray()) {
        for (JsonNode event : json) {
          if (event.has("data") && !"api_key.rotated".equals(event.path("name").asText())) {
            continue;
          }
          found.addAll(findIn(event.has("data") ? event.get("data") : event));
        }
      } else if (json.has("successor_id")) {
        found.add(
            new SealedSuccessor(
                json.get("successor_id").asText(),
                json.path("id").asText(null),
                sealed(json.get("sealed_token"))));
      } else {
        throw ApiKeyException.invalidData(
            "input: expected a rotation's result, api_key.rotated events or one event's data");
      }
      return found;
    }

    private static SealedToken sealed(JsonNode node) {
      if (node == null || !node.isObject()) {
        throw ApiKeyException.invalidData("input: a successor without a sealed_token");
      }
      return JSON.convertValue(node, SealedToken.class);
    }
  }

  /** The name a one-time recipient is recorded under. */
  static final String ONE_TIME_RECIPIENT = "one-time key of apikeys rotation run";

  /** Rotation's client on this command's Temporal connection and task queue. */
  private static RotationClient rotations(CommandContext context) {
    return new RotationClient(context.temporal().client(), context.temporalConfig().taskQueue());
  }

  /**
   * {@code 45s}, {@code 30m}, {@code 24h}, {@code 90d}, or ISO-8601 ({@code PT24H}); above zero.
   */
  static Duration parseDuration(String option, String text) {
    Duration duration = null;
    Matcher m = HUMAN_DURATION.matcher(text == null ? "" : text.trim().toLowerCase(Locale.ROOT));
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      duration =
          switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
          };
    } else if (text != null) {
      try {
        duration = Duration.parse(text.trim().toUpperCase(Locale.ROOT));
      } catch (RuntimeException ignored) {
        // Falls through to the one refusal below.
      }
    }
    if (duration == null || duration.isNegative() || duration.isZero()) {
      throw new UsageException(
          option
              + "=<duration>: expected a duration such as 45s, 30m, 24h or 90d, got \""
              + text
              + "\"");
    }
    return duration;
  }
}
