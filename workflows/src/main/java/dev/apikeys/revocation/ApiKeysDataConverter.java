package dev.apikeys.revocation;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.apikeys.codec.AesGcmPayloadCodec;
import dev.apikeys.codec.PayloadKeys;
import dev.apikeys.model.ApiKeysJson;
import io.temporal.api.common.v1.Payload;
import io.temporal.common.converter.CodecDataConverter;
import io.temporal.common.converter.DataConverter;
import io.temporal.common.converter.DataConverterException;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.common.converter.JacksonJsonPayloadConverter;
import java.lang.reflect.Type;
import java.util.List;

/**
 * The data converter every client and worker of this project uses: Temporal's default chain with
 * JSON written by {@link ApiKeysJson}, so payloads are plain {@code json/plain} with the
 * reference's field names and ISO-8601 instants, and {@code temporal workflow start --input '…'}
 * from the CLI reads exactly like a Java call.
 */
public final class ApiKeysDataConverter {
  private ApiKeysDataConverter() {}

  public static DataConverter newDataConverter() {
    return DefaultDataConverter.newDefaultInstance()
        .withPayloadConverterOverrides(
            new RequestTolerantJsonConverter(ApiKeysJson.newObjectMapper()));
  }

  /**
   * The same converter with every payload encrypted by {@link AesGcmPayloadCodec}, and failure
   * messages and stack traces too: a failure's message names what was wrong with a request, so it
   * is as private as the request. Its history then shows "Encoded failure"; a client with the keys
   * reads the message as usual. Clients and workers of one namespace must agree: all with the
   * same keys, or all without.
   */
  public static DataConverter newDataConverter(PayloadKeys keys) {
    return new CodecDataConverter(
        newDataConverter(), List.of(new AesGcmPayloadCodec(keys)), ENCODE_FAILURE_ATTRIBUTES);
  }

  /** Whether the codec converter also encrypts failures' messages and stack traces. */
  private static final boolean ENCODE_FAILURE_ATTRIBUTES = true;

  /**
   * Temporal's Jackson converter, except that a revoke request it cannot read (malformed JSON,
   * or JSON beyond Jackson's limits on nesting and on the length of numbers and names) becomes
   * one that {@link RevokeRequestParser} refuses with INVALID_DATA. Left to the SDK, the failure
   * would fail the workflow task again and again, and the workflow would never close.
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
