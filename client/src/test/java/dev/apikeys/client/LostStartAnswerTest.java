package dev.apikeys.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.apikeys.model.ApiKeyDTO;
import dev.apikeys.model.CreateApiKeyDTO;
import dev.apikeys.revocation.RevocationState;
import dev.apikeys.revocation.RevokeApiKeyDTO;
import dev.apikeys.revocation.RevokeRequest;
import dev.apikeys.revocation.RevokeResult;
import dev.apikeys.revocation.SharedContext;
import dev.apikeys.store.ApiKeyStore;
import dev.apikeys.store.RevocationStore;
import dev.apikeys.store.TestDatabase;
import dev.apikeys.testing.ApiKeysTestKit;
import dev.apikeys.testing.TestStack;
import io.grpc.Status;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowServiceException;
import io.temporal.client.WorkflowStub;
import io.temporal.common.interceptors.WorkflowClientCallsInterceptor;
import io.temporal.common.interceptors.WorkflowClientCallsInterceptorBase;
import io.temporal.common.interceptors.WorkflowClientInterceptorBase;
import io.temporal.testing.TestWorkflowEnvironment;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A start whose answer is lost on the wire, while another caller of the same revocation cancels it:
 * the retry finds the workflow closed as cancelled, and {@code startRevoke} answers with that
 * revocation, cancelled, as the {@code scheduled} update answers a caller that joins a cancelled
 * revocation. It is not a fault. (Found by RevocationInterleavingTest under load, where the Java
 * test server now and then fails an Update-with-Start: seed 13016336610132, round 9.)
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LostStartAnswerTest {
  @RegisterExtension static final ApiKeysTestKit kit = ApiKeysTestKit.newBuilder().build();

  private TestDatabase db;
  private ApiKeyStore keys;
  private RevocationStore revocations;
  private WorkflowClient plain;
  private String taskQueue;
  private TestWorkflowEnvironment env;

  @BeforeEach
  void setUp(TestStack stack) {
    env = stack.env();
    plain = stack.client();
    db = stack.db();
    keys = stack.keys();
    revocations = stack.revocations();
    taskQueue = stack.taskQueue();
  }

  @Test
  void aRetryThatFindsTheRevocationCancelledAnswersItCancelled() {
    assertCancelledAnswer(SharedContext.newBuilder().setIdempotencyKey("lost-answer").build());
  }

  @Test
  void withoutAnIdempotencyKeyTooTheClosedRunIsTheAnswer() {
    assertCancelledAnswer(null);
  }

  private void assertCancelledAnswer(SharedContext context) {
    ApiKeyDTO key = keys.createApiKey(new CreateApiKeyDTO("lost", "secret", "u"));
    ApiKeyModuleService module =
        new ApiKeyModuleService(loseFirstAnswerAfterACancel(), keys, revocations, taskQueue);

    RevocationHandle handle =
        module.startRevoke(RevokeRequest.ofId(key.id(), new RevokeApiKeyDTO("me", 600L), context));

    assertThat(handle.revocation().status()).isEqualTo(RevocationState.CANCELLED);
    assertThat(handle.revocation().revocationId()).startsWith("rvk_");
    assertThat(handle.status().state()).isEqualTo(RevocationState.CANCELLED);
    assertThat(keys.retrieveApiKey(key.id()).revokedAt()).isNull();
    String row =
        db.jdbi()
            .withHandle(
                h ->
                    h.createQuery("select status from apikeys_revocation where id = :id")
                        .bind("id", handle.revocation().revocationId())
                        .mapTo(String.class)
                        .one());
    assertThat(row).isEqualTo("cancelled");
  }

  /**
   * A client whose first Update-with-Start reaches the server and gets its answer, after which
   * another caller cancels the revocation and it closes; then the answer is lost (UNAVAILABLE), so
   * the service retries.
   */
  private WorkflowClient loseFirstAnswerAfterACancel() {
    AtomicBoolean lost = new AtomicBoolean();
    WorkflowClientInterceptorBase interceptor =
        new WorkflowClientInterceptorBase() {
          @Override
          public WorkflowClientCallsInterceptor workflowClientCallsInterceptor(
              WorkflowClientCallsInterceptor next) {
            return new WorkflowClientCallsInterceptorBase(next) {
              @Override
              public <R> WorkflowUpdateWithStartOutput<R> updateWithStart(
                  WorkflowUpdateWithStartInput<R> input) {
                WorkflowUpdateWithStartOutput<R> output = super.updateWithStart(input);
                if (lost.getAndSet(true)) {
                  return output;
                }
                output.getUpdateHandle().getResult();
                String workflowId =
                    output.getWorkflowStartOutput().getWorkflowExecution().getWorkflowId();
                WorkflowStub other = plain.newUntypedWorkflowStub(workflowId);
                other.cancel();
                try {
                  other.getResult(30, TimeUnit.SECONDS, RevokeResult.class);
                } catch (WorkflowFailedException cancelled) {
                  // closed as cancelled, as expected
                } catch (java.util.concurrent.TimeoutException e) {
                  throw new IllegalStateException(e);
                }
                throw new WorkflowServiceException(
                    WorkflowExecution.newBuilder().setWorkflowId(workflowId).build(),
                    "RevokeApiKeysWorkflow",
                    Status.UNAVAILABLE.withDescription("the answer was lost").asRuntimeException());
              }
            };
          }
        };
    return WorkflowClient.newInstance(
        env.getWorkflowServiceStubs(),
        WorkflowClientOptions.newBuilder(plain.getOptions()).setInterceptors(interceptor).build());
  }
}
