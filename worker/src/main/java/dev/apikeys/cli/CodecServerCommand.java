package dev.apikeys.cli;

import dev.apikeys.config.CodecServerConfig;
import dev.apikeys.worker.CodecServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;

/**
 * {@code apikeys codec-server}: Temporal's remote codec endpoint for the payloads the worker
 * encrypts, so the Temporal UI and CLI can show them to whoever may read them. Runs until SIGTERM
 * or Ctrl-C. It needs the payload keys and nothing else: no database, no Temporal connection.
 */
@Command(
    name = "codec-server",
    description = {
      "Serve Temporal's remote codec protocol (POST /decode, POST /encode) for the Temporal UI"
          + " and `temporal --codec-endpoint`, until SIGTERM or Ctrl-C.",
      "APIKEYS_CODEC_KEYS (required), APIKEYS_CODEC_SERVER_PORT (default 8081),"
          + " APIKEYS_CODEC_SERVER_BIND (default 127.0.0.1), APIKEYS_CODEC_SERVER_TOKEN (bearer"
          + " token; without it anyone who reaches the port can decrypt),"
          + " APIKEYS_CODEC_SERVER_CORS_ORIGINS (the UI's origins), TEMPORAL_NAMESPACE."
    })
final class CodecServerCommand extends ApiKeysCommand.Subcommand {
  private static final Logger log = LoggerFactory.getLogger(CodecServerCommand.class);

  @Override
  public Integer call() {
    CodecServerConfig config = CodecServerConfig.fromEnvironment(context().env());
    try (ShutdownSignal signal = new ShutdownSignal();
        CodecServer server = CodecServer.start(config)) {
      log.info(CodecServer.describe(config, server.endpoint()));
      signal.await();
      log.info("codec server stopping");
    }
    return ApiKeysCommand.ExitCodes.OK;
  }
}
