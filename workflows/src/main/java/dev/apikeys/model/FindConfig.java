package dev.apikeys.model;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Medusa's {@code FindConfig} for listing: how many rows to skip and take, and the order as a map
 * from field to {@code ASC}/{@code DESC}. A null {@code take} means every matching row.
 */
public record FindConfig(
    @JsonProperty("skip") Integer skip,
    @JsonProperty("take") Integer take,
    @JsonProperty("order") Map<String, String> order) {

  public static final FindConfig ALL = new FindConfig(null, null, null);

  public FindConfig {
    order = order == null ? Map.of() : new LinkedHashMap<>(order);
  }

  public static FindConfig page(int skip, int take) {
    return new FindConfig(skip, take, null);
  }
}
