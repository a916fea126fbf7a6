package dev.apikeys.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Medusa's {@code UpdateApiKeyDTO}: only the title of a key can change. */
public record UpdateApiKeyDTO(@JsonProperty("title") String title) {}
