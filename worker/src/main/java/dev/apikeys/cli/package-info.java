/**
 * The {@code apikeys} command line: the picocli commands ({@link dev.apikeys.cli.ApiKeysCommand}
 * and its subcommands), what they share while one command runs ({@code CommandContext}: the
 * environment, the process's one {@code ApiKeysDatabase} and Temporal connection), what a user sees
 * of a failure ({@code Failures}, {@code UsageException}: one line on standard error and an exit
 * code from {@link dev.apikeys.cli.ApiKeysCommand.ExitCodes}), and the command line's logging.
 *
 * <p>A command reads its settings through {@code dev.apikeys.config}, starts servers through {@code
 * dev.apikeys.dev} and {@code dev.apikeys.worker}, and calls the module through {@code
 * dev.apikeys.client}; it does not build stores, workers or clients of its own. Nothing outside
 * this package depends on it: it is the top of the module. Nothing here prints a raw secret token
 * or a Java class name to the terminal.
 */
package dev.apikeys.cli;
