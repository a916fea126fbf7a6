package dev.apikeys.codec;

import io.temporal.payload.codec.PayloadCodecException;

/**
 * A payload encrypted under a key id this process was not given. That is a deployment mistake, not
 * bad input: a process with the key reads the payload, so a worker that meets one fails the
 * workflow task and Temporal retries it until a worker with the right {@code APIKEYS_CODEC_KEYS}
 * runs it. Nothing that throws this may ever end a workflow.
 */
public final class PayloadKeyUnavailableException extends PayloadCodecException {
  private final String keyId;

  public PayloadKeyUnavailableException(String keyId, String message) {
    super(message);
    this.keyId = keyId;
  }

  /** The key id the payload names; empty when its metadata names none. */
  public String keyId() {
    return keyId;
  }
}
