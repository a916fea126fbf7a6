package dev.apikeys.codec;

import io.temporal.payload.codec.PayloadCodecException;

/**
 * An encrypted payload that no configuration can read: it names a key this process holds and fails
 * authentication under it (forged, truncated or corrupted), or it decrypts to something that is not
 * a payload. Retrying cannot help; input a client sent that ends up here is refused.
 */
public final class UnreadablePayloadException extends PayloadCodecException {
  public UnreadablePayloadException(String message) {
    super(message);
  }

  public UnreadablePayloadException(String message, Throwable cause) {
    super(message, cause);
  }
}
