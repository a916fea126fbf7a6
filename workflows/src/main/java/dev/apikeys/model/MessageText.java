package dev.apikeys.model;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a value from a request may appear in a message. Messages travel further than the request did:
 * into workflow failures kept for the namespace's retention, worker log lines and a terminal's
 * scrollback. So a message never repeats a value that starts like a raw secret token ({@code
 * sk_…}), nor a long value whole.
 */
public final class MessageText {
  /** The most of one value a message shows; ids and names in this project are far shorter. */
  public static final int MAX_SHOWN = 64;

  /**
   * A run without spaces this long is cut even outside quotes. Far above any path a message names
   * ({@code selector.$and[0].$or[3]…}, 32 levels at most), so only a pasted value reaches it.
   */
  static final int MAX_RUN = 1_000;

  private static final String SECRET_PREFIX = ApiKeyType.SECRET.tokenPrefix();

  /** {@code sk_} starting a word (not {@code task_…}), up to the next space, quote or bracket. */
  private static final Pattern SECRET =
      Pattern.compile("(?<![A-Za-z0-9_])" + SECRET_PREFIX + "[^\\s\"'`,;()\\[\\]{}<>]*");

  private static final Pattern DOUBLE_QUOTED =
      Pattern.compile("\"([^\"]{" + (MAX_SHOWN + 1) + ",})\"");
  private static final Pattern SINGLE_QUOTED =
      Pattern.compile("'([^']{" + (MAX_SHOWN + 1) + ",})'");
  private static final Pattern LONG_RUN = Pattern.compile("\\S{" + (MAX_RUN + 1) + ",}");

  private MessageText() {}

  /**
   * A value as a message shows it: {@code sk_…} for anything that starts like a secret token,
   * control characters escaped, and at most {@value #MAX_SHOWN} characters followed by "…".
   */
  public static String shown(String value) {
    if (value == null) {
      return "null";
    }
    if (value.startsWith(SECRET_PREFIX)) {
      return SECRET_PREFIX + "…";
    }
    StringBuilder b = new StringBuilder();
    value
        .codePoints()
        .limit(MAX_SHOWN)
        .forEach(
            cp -> {
              if (Character.isISOControl(cp)) {
                b.append(String.format("\\u%04x", cp));
              } else {
                b.appendCodePoint(cp);
              }
            });
    return value.codePointCount(0, value.length()) > MAX_SHOWN ? b + "…" : b.toString();
  }

  /**
   * Whether the text holds a word that starts like a raw secret token: such text is refused where
   * it would be stored or travel through workflow history as it is (a revocation's reason).
   */
  public static boolean holdsSecretToken(String text) {
    return text != null && SECRET.matcher(text).find();
  }

  /**
   * A whole message made safe to pass on: every word starting with {@code sk_} becomes {@code
   * sk_…}, every double-quoted value longer than {@value #MAX_SHOWN} characters is cut, and so is
   * any run of more than {@value #MAX_RUN} characters without a space. The last line of defence for
   * messages built elsewhere (a library's, or one that quotes a stored id); values a message names
   * on purpose go through {@link #shown} where it is built.
   */
  public static String scrub(String message) {
    return scrub(message, DOUBLE_QUOTED);
  }

  /**
   * {@link #scrub}, with single-quoted values cut too: for messages of parsers, which quote the
   * text they stumbled on that way ({@code Unrecognized token 'sk_…'}).
   */
  public static String scrubParserMessage(String message) {
    return scrub(scrub(message, DOUBLE_QUOTED), SINGLE_QUOTED);
  }

  private static String scrub(String message, Pattern quoted) {
    if (message == null) {
      return null;
    }
    String s = SECRET.matcher(message).replaceAll(SECRET_PREFIX + "…");
    Matcher q = quoted.matcher(s);
    StringBuilder out = new StringBuilder();
    while (q.find()) {
      char mark = s.charAt(q.start());
      q.appendReplacement(out, Matcher.quoteReplacement(mark + shown(q.group(1)) + mark));
    }
    q.appendTail(out);
    Matcher run = LONG_RUN.matcher(out.toString());
    StringBuilder cut = new StringBuilder();
    while (run.find()) {
      run.appendReplacement(cut, Matcher.quoteReplacement(shown(run.group())));
    }
    run.appendTail(cut);
    return cut.toString();
  }
}
