package dev.apikeys.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Optional;

/** Medusa's {@code ApiKeyType}: the two values the {@code api_key.type} check constraint allows. */
public enum ApiKeyType {
  PUBLISHABLE("publishable", "pk_"),
  SECRET("secret", "sk_");

  private final String value;
  private final String tokenPrefix;

  ApiKeyType(String value, String tokenPrefix) {
    this.value = value;
    this.tokenPrefix = tokenPrefix;
  }

  @JsonValue
  public String value() {
    return value;
  }

  public String tokenPrefix() {
    return tokenPrefix;
  }

  /** The type spelled as in the database and JSON, or empty when the text is not one of them. */
  public static Optional<ApiKeyType> fromValue(String text) {
    return Arrays.stream(values()).filter(t -> t.value.equals(text)).findFirst();
  }

  @JsonCreator
  static ApiKeyType fromJson(String text) {
    return fromValue(text)
        .orElseThrow(
            () -> ApiKeyException.invalidData("type must be \"publishable\" or \"secret\""));
  }

  @Override
  public String toString() {
    return value;
  }
}
