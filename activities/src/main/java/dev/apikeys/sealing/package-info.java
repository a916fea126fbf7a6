/**
 * {@code TokenSeal}: HPKE (RFC 9180, X25519) sealing of a rotated key's raw token to its
 * recipient's public key, and opening with the private key, by BouncyCastle. The worker seals
 * inside the activity that creates the successor; {@code apikeys rotation open|run} and the
 * recipient's own service open (docs/rotation.md gives the format to other languages).
 *
 * <p>Pure functions over keys and bytes: no database, no Temporal, and nothing that logs a token or
 * a private key.
 */
package dev.apikeys.sealing;
