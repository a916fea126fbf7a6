package dev.apikeys.config;

import java.util.regex.Pattern;

/** A setting is missing or wrong; the message is one line that names the variable. */
public final class ConfigurationException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** A fully qualified Java class name, e.g. {@code org.postgresql.util.PSQLException}. */
  private static final Pattern QUALIFIED_CLASS =
      Pattern.compile("\\b(?:[a-z_][a-z0-9_]*\\.)+[A-Z][A-Za-z0-9_$]*(?:\\.[A-Z][A-Za-z0-9_$]*)*");

  /** A simple exception class name, with the colon that usually follows it. */
  private static final Pattern EXCEPTION_NAME =
      Pattern.compile("\\b[A-Z][A-Za-z0-9]*(?:Exception|Error|Failure)\\b:?\\s*");

  public ConfigurationException(String message) {
    super(message);
  }

  public ConfigurationException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * A library's message as one line that a user reads: its first line, without Java class names,
   * which are for the log and not for the terminal.
   */
  public static String clean(String message) {
    if (message == null) {
      return "";
    }
    String line = DatabaseConfig.firstLine(message.strip());
    line = QUALIFIED_CLASS.matcher(line).replaceAll(m -> "");
    line = EXCEPTION_NAME.matcher(line).replaceAll("");
    line = line.replaceAll("^[\\s:;,]+", "").replaceAll("\\s{2,}", " ").strip();
    return line;
  }
}
