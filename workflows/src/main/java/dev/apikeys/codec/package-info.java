/**
 * Payload encryption: {@code AesGcmPayloadCodec} (AES-256-GCM, key id in each payload's metadata),
 * the keys it is given ({@code PayloadKeys}, from {@code APIKEYS_CODEC_KEYS}), and the two ways a
 * payload can fail to open: a key this process lacks ({@code PayloadKeyUnavailableException}, a
 * deployment mistake that is retried until a worker with the key runs the task) and a payload no
 * configuration can read ({@code UnreadablePayloadException}, refused as INVALID_DATA).
 *
 * <p>What may not live here: anything that reads the environment (the worker's configuration builds
 * {@code PayloadKeys} and hands them in), and anything that logs a payload or a key. The codec runs
 * inside the data converter, on workflow and client threads alike, so it is pure computation over
 * its inputs. How a deployment rotates keys: docs/operations.md.
 */
package dev.apikeys.codec;
