package dev.apikeys.security;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.api.workflowservice.v1.ListClosedWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.ListOpenWorkflowExecutionsRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.common.WorkflowExecutionHistory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Where the leak tests look for secrets, and how: every run of every workflow the server knows, as
 * JSON and with every payload's bytes decoded (in JSON, payload data is base64, which a plain text
 * search would walk straight past); and a search that names what it found and where, never the
 * secret itself.
 */
public final class LeakScan {
  private LeakScan() {}

  /** Every run of every workflow in the client's namespace, as searchable text. */
  public static Map<String, String> histories(WorkflowClient client) {
    var stub = client.getWorkflowServiceStubs().blockingStub();
    String namespace = client.getOptions().getNamespace();
    List<WorkflowExecutionInfo> executions = new ArrayList<>();
    executions.addAll(
        stub.listOpenWorkflowExecutions(
                ListOpenWorkflowExecutionsRequest.newBuilder().setNamespace(namespace).build())
            .getExecutionsList());
    executions.addAll(
        stub.listClosedWorkflowExecutions(
                ListClosedWorkflowExecutionsRequest.newBuilder().setNamespace(namespace).build())
            .getExecutionsList());
    Map<String, String> histories = new LinkedHashMap<>();
    for (WorkflowExecutionInfo info : executions) {
      String workflowId = info.getExecution().getWorkflowId();
      String runId = info.getExecution().getRunId();
      histories.put(
          "history of " + workflowId + " run " + runId,
          text(client.fetchHistory(workflowId, runId)));
    }
    return histories;
  }

  /** One history as JSON, followed by the bytes of every payload in it as UTF-8. */
  public static String text(WorkflowExecutionHistory history) {
    StringBuilder text = new StringBuilder(history.toJson(false));
    decodeAll(history.getHistory(), text);
    return text.toString();
  }

  private static void decodeAll(Message message, StringBuilder out) {
    for (Map.Entry<FieldDescriptor, Object> field : message.getAllFields().entrySet()) {
      Object value = field.getValue();
      Stream<?> values =
          field.getKey().isRepeated() ? ((List<?>) value).stream() : Stream.of(value);
      values.forEach(
          v -> {
            if (v instanceof Message nested) {
              decodeAll(nested, out);
            } else if (v instanceof ByteString bytes) {
              out.append('\n').append(bytes.toStringUtf8());
            }
          });
    }
  }

  /**
   * Which secrets (by name) occur in which haystacks (by name): "raw token of apk_… in history of
   * …". Empty when nothing leaked.
   */
  public static List<String> hits(Map<String, String> haystacks, Map<String, String> secrets) {
    List<String> hits = new ArrayList<>();
    haystacks.forEach(
        (where, text) ->
            secrets.forEach(
                (what, secret) -> {
                  if (text.contains(secret)) {
                    hits.add(what + " in " + where);
                  }
                }));
    return hits;
  }

  /** A raw token, and its body without the prefix, as two named secrets. */
  public static Map<String, String> token(String name, String rawToken) {
    Map<String, String> secrets = new LinkedHashMap<>();
    secrets.put("raw token of " + name, rawToken);
    secrets.put("raw token body of " + name, rawToken.substring(3));
    return secrets;
  }
}
