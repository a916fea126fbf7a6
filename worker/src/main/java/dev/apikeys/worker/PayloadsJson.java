package dev.apikeys.worker;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.temporal.api.common.v1.Payload;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The body of Temporal's remote codec protocol: a {@code temporal.api.common.v1.Payloads} message
 * as protobuf JSON, {@code {"payloads":[{"metadata":{"encoding":"<base64>"},"data":"<base64>"}]}}.
 *
 * <p>The body is checked field by field first, so a refusal says where the problem is (never what
 * the value was); each payload is then read and written by protobuf's own JSON format, as the
 * protocol asks, which keeps fields this code does not name (e.g. {@code externalPayloads}).
 */
final class PayloadsJson {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  // Newer UIs may send fields this SDK's protobuf does not know yet; they are not ours to refuse.
  private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();
  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().omittingInsignificantWhitespace();

  private PayloadsJson() {}

  /** The payloads of a request body, or a 400 refusal that names the offending field. */
  static List<Payload> parse(byte[] body) throws CodecRefusal {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      throw badRequest(
          "request body is not valid JSON"
              + (at == null
                  ? ""
                  : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
    } catch (IOException e) {
      throw badRequest("request body could not be read");
    }
    if (root == null || !root.isObject()) {
      throw badRequest("request body: expected a JSON object {\"payloads\":[…]}");
    }
    JsonNode payloads = root.get("payloads");
    List<Payload> parsed = new ArrayList<>();
    if (payloads == null || payloads.isNull()) {
      return parsed;
    }
    if (!payloads.isArray()) {
      throw badRequest("payloads: expected an array");
    }
    for (int i = 0; i < payloads.size(); i++) {
      parsed.add(payload(payloads.get(i), "payloads[" + i + "]"));
    }
    return parsed;
  }

  /** The response body for these payloads, in the request's shape. */
  static String print(List<Payload> payloads) {
    StringBuilder out = new StringBuilder("{\"payloads\":[");
    for (int i = 0; i < payloads.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      try {
        PRINTER.appendTo(payloads.get(i), out);
      } catch (IOException e) {
        // A StringBuilder does not fail, and a Payload has no Any field that could.
        throw new IllegalStateException("could not print a payload as JSON", e);
      }
    }
    return out.append("]}").toString();
  }

  private static Payload payload(JsonNode node, String path) throws CodecRefusal {
    if (!node.isObject()) {
      throw badRequest(path + ": expected an object with metadata and data");
    }
    JsonNode metadata = node.get("metadata");
    if (metadata != null && !metadata.isNull()) {
      if (!metadata.isObject()) {
        throw badRequest(path + ".metadata: expected an object of base64 strings");
      }
      Iterator<Map.Entry<String, JsonNode>> fields = metadata.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        requireBase64(field.getValue(), path + ".metadata." + field.getKey());
      }
    }
    JsonNode data = node.get("data");
    if (data != null && !data.isNull()) {
      requireBase64(data, path + ".data");
    }
    Payload.Builder payload = Payload.newBuilder();
    try {
      PARSER.merge(node.toString(), payload);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw badRequest(path + ": not a Temporal payload");
    }
    return payload.build();
  }

  /** Protobuf's JSON takes standard or URL-safe base64, with or without padding; so does this. */
  private static void requireBase64(JsonNode value, String path) throws CodecRefusal {
    if (!value.isTextual()) {
      throw badRequest(path + ": expected a base64 string");
    }
    String text = value.asText();
    try {
      Base64.getDecoder().decode(text);
      return;
    } catch (IllegalArgumentException notStandard) {
      // Tried as URL-safe below.
    }
    try {
      Base64.getUrlDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw badRequest(path + ": not valid base64");
    }
  }

  private static CodecRefusal badRequest(String reason) {
    return new CodecRefusal(400, reason);
  }
}
