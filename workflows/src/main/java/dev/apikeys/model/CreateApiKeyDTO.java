package dev.apikeys.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Medusa's {@code CreateApiKeyDTO}: what a caller supplies; the token is always generated. */
public record CreateApiKeyDTO(
    @JsonProperty("title") String title,
    @JsonProperty("type") String type,
    @JsonProperty("created_by") String createdBy) {}
