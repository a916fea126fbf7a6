package dev.apikeys.revocation;

import dev.apikeys.model.ApiKeysJson;
import io.temporal.common.converter.DataConverter;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.common.converter.JacksonJsonPayloadConverter;

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
            new JacksonJsonPayloadConverter(ApiKeysJson.newObjectMapper()));
  }
}
