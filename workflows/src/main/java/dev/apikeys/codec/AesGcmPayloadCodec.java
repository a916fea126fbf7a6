package dev.apikeys.codec;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.apikeys.model.MessageText;
import io.temporal.api.common.v1.Payload;
import io.temporal.payload.codec.PayloadCodec;
import io.temporal.payload.codec.PayloadCodecException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Encrypts every payload with AES-256-GCM before it reaches Temporal, so workflow history holds
 * ciphertext: rotated keys' raw tokens, results and inputs alike. The key id travels in the
 * payload's metadata, so payloads written under an older key still decrypt after a rotation.
 * Payloads that were never encrypted (e.g. {@code --input} from the Temporal CLI) pass through.
 */
public final class AesGcmPayloadCodec implements PayloadCodec {
  public static final String ENCODING = "binary/encrypted";
  public static final String METADATA_ENCODING = "encoding";
  public static final String METADATA_KEY_ID = "encryption-key-id";

  private static final String CIPHER = "AES/GCM/NoPadding";
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final ByteString ENCODING_BYTES = ByteString.copyFromUtf8(ENCODING);

  /** Null for {@link #withoutKeys()}. */
  private final PayloadKeys keys;

  public AesGcmPayloadCodec(PayloadKeys keys) {
    this.keys = Objects.requireNonNull(keys, "keys");
  }

  private AesGcmPayloadCodec() {
    this.keys = null;
  }

  /**
   * The codec of a process without {@code APIKEYS_CODEC_KEYS}: it encrypts nothing, and reading an
   * encrypted payload is a {@link PayloadKeyUnavailableException} (a key to configure), or an
   * {@link UnreadablePayloadException} where no configuration could hold the key it names.
   */
  public static AesGcmPayloadCodec withoutKeys() {
    return new AesGcmPayloadCodec();
  }

  @Override
  public List<Payload> encode(List<Payload> payloads) {
    if (keys == null) {
      return payloads;
    }
    return payloads.stream().map(this::encrypt).collect(Collectors.toList());
  }

  @Override
  public List<Payload> decode(List<Payload> payloads) {
    return payloads.stream().map(this::decrypt).collect(Collectors.toList());
  }

  private Payload encrypt(Payload payload) {
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    try {
      Cipher cipher = Cipher.getInstance(CIPHER);
      cipher.init(Cipher.ENCRYPT_MODE, keys.current(), new GCMParameterSpec(TAG_BITS, nonce));
      // The key id is authenticated too, so a payload cannot be relabelled to another key.
      cipher.updateAAD(keys.currentId().getBytes(StandardCharsets.UTF_8));
      byte[] sealed = cipher.doFinal(payload.toByteArray());
      byte[] out = ByteBuffer.allocate(nonce.length + sealed.length).put(nonce).put(sealed).array();
      return Payload.newBuilder()
          .putMetadata(METADATA_ENCODING, ENCODING_BYTES)
          .putMetadata(METADATA_KEY_ID, ByteString.copyFromUtf8(keys.currentId()))
          .setData(ByteString.copyFrom(out))
          .build();
    } catch (GeneralSecurityException e) {
      throw new PayloadCodecException(e);
    }
  }

  private Payload decrypt(Payload payload) {
    if (!ENCODING_BYTES.equals(payload.getMetadataOrDefault(METADATA_ENCODING, null))) {
      return payload;
    }
    String keyId = payload.getMetadataOrDefault(METADATA_KEY_ID, ByteString.EMPTY).toStringUtf8();
    if (!PayloadKeys.isPossibleId(keyId)) {
      throw new UnreadablePayloadException(
          "encrypted payload names no key id that APIKEYS_CODEC_KEYS could hold");
    }
    // A key id this process lacks is a configuration to fix, never a verdict on the payload: a
    // process with the key reads it.
    String named = "payload encrypted with key id \"" + MessageText.shown(keyId) + "\"";
    if (keys == null) {
      throw new PayloadKeyUnavailableException(
          keyId, named + ", and this process has no codec keys");
    }
    SecretKey key =
        keys.byId(keyId)
            .orElseThrow(
                () ->
                    new PayloadKeyUnavailableException(keyId, named + ", which is not configured"));
    byte[] data = payload.getData().toByteArray();
    if (data.length <= NONCE_BYTES) {
      throw new UnreadablePayloadException("encrypted payload is too short");
    }
    try {
      Cipher cipher = Cipher.getInstance(CIPHER);
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, data, 0, NONCE_BYTES));
      cipher.updateAAD(keyId.getBytes(StandardCharsets.UTF_8));
      byte[] plain = cipher.doFinal(data, NONCE_BYTES, data.length - NONCE_BYTES);
      return Payload.parseFrom(plain);
    } catch (AEADBadTagException e) {
      throw new UnreadablePayloadException("encrypted payload failed authentication", e);
    } catch (GeneralSecurityException e) {
      // The JDK without AES-GCM, or a key it will not use: the process, not the payload.
      throw new PayloadCodecException(
          "cannot decrypt with key id \"" + MessageText.shown(keyId) + "\"", e);
    } catch (InvalidProtocolBufferException e) {
      throw new UnreadablePayloadException("decrypted payload is not a payload", e);
    }
  }
}
