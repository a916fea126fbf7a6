package dev.apikeys.testing;

import dev.apikeys.client.ApiKeyModuleService;

/**
 * {@link ApiKeysTestKit} for tests that drive the client: each test's stack also provides an {@link
 * ApiKeyModuleService} on its client, stores and task queue, as an application builds one.
 */
public final class ClientTestKit {
  private ClientTestKit() {}

  /** The kit's builder, providing the module service; add what differs and build. */
  public static ApiKeysTestKit.Builder newBuilder() {
    return ApiKeysTestKit.newBuilder().provide(ApiKeyModuleService.class, ClientTestKit::module);
  }

  /** The module service an application would build over this stack. */
  public static ApiKeyModuleService module(TestStack stack) {
    return new ApiKeyModuleService(
        stack.client(), stack.keys(), stack.revocations(), stack.taskQueue());
  }
}
