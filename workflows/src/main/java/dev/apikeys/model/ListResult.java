package dev.apikeys.model;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** One page of keys and how many match in all: Medusa's {@code [ApiKeyDTO[], number]}. */
public record ListResult(
    @JsonProperty("api_keys") List<ApiKeyDTO> apiKeys, @JsonProperty("count") long count) {
  public ListResult {
    apiKeys = List.copyOf(apiKeys);
  }
}
