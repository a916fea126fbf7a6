package dev.apikeys.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What a message may show of a value. */
class MessageTextTest {
  private static final String TOKEN = "sk_" + "0123456789abcdef".repeat(4);

  @Test
  void aValueThatStartsLikeASecretTokenIsNeverShown() {
    assertThat(MessageText.shown(TOKEN)).isEqualTo("sk_…");
    assertThat(MessageText.scrub("ApiKey with id \"" + TOKEN + "\" not found"))
        .isEqualTo("ApiKey with id \"sk_…\" not found");
    assertThat(MessageText.scrubParserMessage("Unrecognized token '" + TOKEN + "': was expecting"))
        .isEqualTo("Unrecognized token 'sk_…': was expecting");
    assertThat(MessageText.scrub("Unmatched argument at index 1: '" + TOKEN + "'"))
        .doesNotContain(TOKEN.substring(3, 12));
    // Only where sk_ starts a word: a task_queue is not a token.
    assertThat(MessageText.scrub("task_queue api-keys; use sk_… keys by id (apk_…)"))
        .isEqualTo("task_queue api-keys; use sk_… keys by id (apk_…)");
  }

  @Test
  void aLongValueIsCutAndAPathIsNot() {
    String longId = "apk_" + "x".repeat(5_000);
    assertThat(MessageText.scrub("ApiKey with id \"" + longId + "\" not found"))
        .isEqualTo("ApiKey with id \"apk_" + "x".repeat(60) + "…\" not found");
    assertThat(MessageText.scrub("ApiKey with id: " + longId + " was not found"))
        .hasSizeLessThan(200);
    String deepPath = "selector.title" + ".$not".repeat(31) + ": nested deeper than 32 levels";
    assertThat(MessageText.scrub(deepPath)).isEqualTo(deepPath);
    assertThat(MessageText.shown("a\nb")).isEqualTo("a\\u000ab");
    assertThat(
            new ApiKeyException(
                    ApiKeyErrorType.CONFLICT, "idempotency key \"" + TOKEN + "\" was already used")
                .getMessage())
        .isEqualTo("idempotency key \"sk_…\" was already used");
  }
}
