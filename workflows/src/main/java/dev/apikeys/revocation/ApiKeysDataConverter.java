package dev.apikeys.revocation;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.apikeys.codec.AesGcmPayloadCodec;
import dev.apikeys.codec.PayloadKeyUnavailableException;
import dev.apikeys.codec.PayloadKeys;
import dev.apikeys.codec.UnreadablePayloadException;
import dev.apikeys.examples.OffboardUserWorkflow;
import dev.apikeys.model.ApiKeyException;
import dev.apikeys.model.ApiKeysJson;
import dev.apikeys.model.MessageText;
import dev.apikeys.rotation.RotateRequest;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.Payloads;
import io.temporal.api.failure.v1.Failure;
import io.temporal.common.converter.CodecDataConverter;
import io.temporal.common.converter.DataConverter;
import io.temporal.common.converter.DataConverterException;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.common.converter.JacksonJsonPayloadConverter;
import io.temporal.payload.codec.PayloadCodec;
import io.temporal.payload.context.SerializationContext;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The data converter every client and worker of this project uses: Temporal's default chain with
 * JSON written by {@link ApiKeysJson}, so payloads are plain {@code json/plain} with the
 * reference's field names and ISO-8601 instants, and {@code temporal workflow start --input '…'}
 * from the CLI reads exactly like a Java call.
 *
 * <p>Reading tells two kinds of unreadable payload apart, because a worker must treat them in
 * opposite ways:
 *
 * <ul>
 *   <li>A payload encrypted under a key id this process lacks ({@link
 *       PayloadKeyUnavailableException}) is a deployment mistake: a process with the key reads it.
 *       It is thrown as it is, which fails the workflow task, and Temporal retries the task until a
 *       worker with the right {@code APIKEYS_CODEC_KEYS} runs it. The worker registers no decoding
 *       exception among those that fail a workflow, so no revocation ends over it.
 *   <li>Input a client sent that no configuration can read (an encoding this project never writes,
 *       an encrypted payload that fails authentication under a key this process holds, JSON that is
 *       malformed or beyond Jackson's limits) is refused with INVALID_DATA: it can never become
 *       readable, and a workflow task retrying it forever would hold the workflow open with nothing
 *       to show. The client's inputs are the workflow inputs and update arguments in {@link
 *       #CLIENT_INPUTS}. Anything else a worker cannot read was written by this project's own code,
 *       and is left to fail the workflow task like any other fault.
 * </ul>
 */
public final class ApiKeysDataConverter {
  private ApiKeysDataConverter() {}

  /**
   * What a client may send, by type, and the name a refusal gives it. A revoke request that is not
   * readable JSON takes the older way below, {@link RequestTolerantJsonConverter}, which every
   * recorded history of a refused request went through.
   */
  static final Map<Class<?>, String> CLIENT_INPUTS =
      Map.of(
          RevokeRequest.class, "request",
          RescheduleRequest.class, "reschedule",
          RevokeNowRequest.class, "revokeNow",
          RotateRequest.class, "request",
          OffboardUserWorkflow.Offboarding.class, "offboarding");

  private static final String METADATA_ENCODING = AesGcmPayloadCodec.METADATA_ENCODING;

  /** The encodings this project writes, besides {@code binary/encrypted}. */
  private static final Set<String> WRITTEN_ENCODINGS = Set.of("json/plain", "binary/null");

  /** Payloads plain, as Temporal's default chain writes them with {@link ApiKeysJson}. */
  public static DataConverter newDataConverter() {
    DataConverter plain = plainConverter();
    return new RefusingDataConverter(plain, plain, AesGcmPayloadCodec.withoutKeys());
  }

  /**
   * The same converter with every payload encrypted by {@link AesGcmPayloadCodec}, and failure
   * messages and stack traces too: a failure's message names what was wrong with a request, so it
   * is as private as the request. Its history then shows "Encoded failure"; a client with the keys
   * reads the message as usual. Clients and workers of one namespace must agree: all with the same
   * keys, or all without.
   */
  public static DataConverter newDataConverter(PayloadKeys keys) {
    DataConverter plain = plainConverter();
    AesGcmPayloadCodec codec = new AesGcmPayloadCodec(keys);
    return new RefusingDataConverter(
        new CodecDataConverter(plain, List.of(codec), ENCODE_FAILURE_ATTRIBUTES), plain, codec);
  }

  /** Whether the codec converter also encrypts failures' messages and stack traces. */
  private static final boolean ENCODE_FAILURE_ATTRIBUTES = true;

  private static DataConverter plainConverter() {
    return DefaultDataConverter.newDefaultInstance()
        .withPayloadConverterOverrides(
            new RequestTolerantJsonConverter(ApiKeysJson.newObjectMapper()));
  }

  /**
   * Writes as {@code writer} does; reads by decrypting with {@code codec} and converting with
   * {@code plain}, sorting what cannot be read as the class comment says.
   */
  private static final class RefusingDataConverter implements DataConverter {
    private final DataConverter writer;
    private final DataConverter plain;
    private final PayloadCodec codec;

    RefusingDataConverter(DataConverter writer, DataConverter plain, PayloadCodec codec) {
      this.writer = writer;
      this.plain = plain;
      this.codec = codec;
    }

    @Override
    public <T> Optional<Payload> toPayload(T value) {
      return writer.toPayload(value);
    }

    @Override
    public Optional<Payloads> toPayloads(Object... values) {
      return writer.toPayloads(values);
    }

    @Override
    public <T> T fromPayload(Payload payload, Class<T> valueClass, Type valueType) {
      Payload decoded;
      try {
        decoded = codec.decode(List.of(payload)).get(0);
      } catch (UnreadablePayloadException e) {
        throw refusedOr(valueClass, e.getMessage(), e);
      }
      String encoding =
          decoded.containsMetadata(METADATA_ENCODING)
              ? decoded.getMetadataOrThrow(METADATA_ENCODING).toString(StandardCharsets.UTF_8)
              : null;
      try {
        return plain.fromPayload(decoded, valueClass, valueType);
      } catch (DataConverterException e) {
        // The converter's own message may quote the payload, so the refusal never repeats it.
        throw refusedOr(
            valueClass,
            encoding == null
                ? "the payload names no encoding"
                : WRITTEN_ENCODINGS.contains(encoding)
                    ? "malformed JSON, or JSON of another shape"
                    : "encoding \""
                        + MessageText.shown(encoding)
                        + "\" is not one this project writes",
            e);
      }
    }

    @Override
    public <T> T fromPayloads(
        int index, Optional<Payloads> content, Class<T> valueType, Type valueGenericType) {
      if (content.isPresent() && index < content.get().getPayloadsCount()) {
        return fromPayload(content.get().getPayloads(index), valueType, valueGenericType);
      }
      // Absent: the default value, as the SDK's converter gives it.
      return plain.fromPayloads(index, content, valueType, valueGenericType);
    }

    @Override
    public RuntimeException failureToException(Failure failure) {
      return writer.failureToException(failure);
    }

    @Override
    public Failure exceptionToFailure(Throwable throwable) {
      return writer.exceptionToFailure(throwable);
    }

    @Override
    public DataConverter withContext(SerializationContext context) {
      return new RefusingDataConverter(
          writer.withContext(context), plain.withContext(context), codec.withContext(context));
    }

    /**
     * The INVALID_DATA refusal of a client's input that can never be read; anything else that
     * cannot be read stays the fault it is.
     */
    private static RuntimeException refusedOr(
        Class<?> valueClass, String why, RuntimeException fault) {
      String name = CLIENT_INPUTS.get(valueClass);
      if (name == null) {
        return fault;
      }
      return ApiKeyException.invalidData(name + ": cannot be read, and never will be: " + why)
          .toFailure();
    }
  }

  /**
   * Temporal's Jackson converter, except that a revoke request it cannot read (malformed JSON, or
   * JSON beyond Jackson's limits on nesting and on the length of numbers and names) becomes one
   * that {@link RevokeRequestParser} refuses with INVALID_DATA. Left to the SDK, the failure would
   * fail the workflow task again and again, and the workflow would never close.
   */
  private static final class RequestTolerantJsonConverter extends JacksonJsonPayloadConverter {
    RequestTolerantJsonConverter(ObjectMapper mapper) {
      super(mapper);
    }

    @Override
    public <T> T fromData(Payload content, Class<T> valueClass, Type valueType) {
      try {
        return super.fromData(content, valueClass, valueType);
      } catch (DataConverterException unreadable) {
        if (valueClass != RevokeRequest.class) {
          throw unreadable;
        }
        return valueClass.cast(new RevokeRequest(MissingNode.getInstance()));
      }
    }
  }
}
