package dev.apikeys.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README.md's "From Java" code compiles as it is written there: every {@code java} block under that
 * heading, up to the next heading, is compiled, as the body of a class, against this module's test
 * classpath. Only the imports are added here (the README leaves them out to stay short), so a
 * snippet that forgets a checked exception or calls a method that is not there fails this test.
 */
class ReadmeJavaSnippetTest {
  private static final Path README = Path.of("..", "README.md").toAbsolutePath().normalize();
  private static final String HEADING = "### From Java";

  /** The packages and types the snippet names. */
  private static final String IMPORTS =
      String.join(
          "\n",
          "import dev.apikeys.model.ApiKeyDTO;",
          "import dev.apikeys.model.EventMessage;",
          "import dev.apikeys.model.FilterableApiKeyProps;",
          "import dev.apikeys.client.ApiKeyModuleService;",
          "import dev.apikeys.client.RevocationHandle;",
          "import dev.apikeys.revocation.ApiKeysDataConverter;",
          "import dev.apikeys.revocation.RevocationNames;",
          "import dev.apikeys.revocation.RevokeApiKeyDTO;",
          "import dev.apikeys.revocation.RevokeRequest;",
          "import dev.apikeys.revocation.RevokeResult;",
          "import dev.apikeys.revocation.SharedContext;",
          "import dev.apikeys.store.ApiKeyStore;",
          "import dev.apikeys.store.Database;",
          "import dev.apikeys.store.RevocationStore;",
          "import io.temporal.client.WorkflowClient;",
          "import io.temporal.client.WorkflowClientOptions;",
          "import io.temporal.serviceclient.WorkflowServiceStubs;",
          "import java.time.Duration;",
          "import java.util.ArrayList;",
          "import java.util.List;",
          "import java.util.concurrent.TimeoutException;",
          "import javax.sql.DataSource;",
          "import org.jdbi.v3.core.Jdbi;",
          "");

  @Test
  void theFromJavaSnippetCompilesAsWritten(@TempDir Path classes) throws IOException {
    String snippet = snippet(Files.readString(README, StandardCharsets.UTF_8));
    String source = IMPORTS + "\nclass ReadmeFromJava {\n" + snippet + "\n}\n";

    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    StringWriter diagnostics = new StringWriter();
    StandardJavaFileManager files =
        javac.getStandardFileManager(null, null, StandardCharsets.UTF_8);
    JavaFileObject unit =
        new SimpleJavaFileObject(
            URI.create("string:///ReadmeFromJava.java"), JavaFileObject.Kind.SOURCE) {
          @Override
          public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return source;
          }
        };
    boolean compiled =
        javac
            .getTask(
                diagnostics,
                files,
                null,
                List.of("-classpath", classpath(), "-d", classes.toString(), "-Xlint:none"),
                null,
                List.of(unit))
            .call();

    assertThat(compiled).as("README.md's From Java code:\n%s\n%s", snippet, diagnostics).isTrue();
    assertThat(classes.resolve("ReadmeFromJava.class")).exists();
  }

  @Test
  void theSnippetIsEveryJavaBlockOfTheSection() {
    String readme =
        "# x\n### From Java\n\ntext\n\n```java\nint a = 1;\n```\n\nmore\n\n```java\nint b = 2;\n```"
            + "\n\n### Next\n\n```java\nno\n```\n";
    assertThat(snippet(readme)).isEqualTo("int a = 1;\nint b = 2;");
  }

  /** Every java block from the heading to the next heading, joined. */
  static String snippet(String readme) {
    int heading = readme.indexOf("\n" + HEADING + "\n");
    assertThat(heading).as("README.md has a \"%s\" section", HEADING).isNotNegative();
    int bodyStart = heading + HEADING.length() + 2;
    int next = readme.indexOf("\n#", bodyStart);
    String section = next < 0 ? readme.substring(bodyStart) : readme.substring(bodyStart, next);
    List<String> blocks = new ArrayList<>();
    int from = 0;
    while (true) {
      int open = section.indexOf("```java\n", from);
      if (open < 0) {
        break;
      }
      int start = open + "```java\n".length();
      int end = section.indexOf("\n```", start);
      blocks.add(section.substring(start, end));
      from = end + 4;
    }
    assertThat(blocks).as("java blocks under \"%s\"", HEADING).isNotEmpty();
    return String.join("\n", blocks);
  }

  /** Surefire hands the test JVM a manifest-only jar; it names the real classpath here. */
  private static String classpath() {
    String surefire = System.getProperty("surefire.test.class.path");
    return surefire != null && !surefire.isBlank()
        ? surefire
        : System.getProperty("java.class.path");
  }
}
