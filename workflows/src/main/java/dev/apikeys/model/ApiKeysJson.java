package dev.apikeys.model;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * The one JSON shape of this project: the CLI's output, the Java API's records and the Temporal
 * payloads all go through a mapper made here, so a field reads the same everywhere. Instants are
 * ISO-8601 strings, as Medusa's dates are in JSON.
 */
public final class ApiKeysJson {
  private ApiKeysJson() {}

  public static ObjectMapper newObjectMapper() {
    return new ObjectMapper()
        .registerModule(new JavaTimeModule())
        // Temporal's own types written through this mapper (a failure's encoded attributes) have
        // Optional fields, as its default mapper knows.
        .registerModule(new Jdk8Module())
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  }
}
