package dev.apikeys.cli;

import dev.apikeys.model.ApiKeyException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A rotation recipient's private key on disk: one line of base64, in a file only its owner can
 * read. Created once, never overwritten: overwriting would lose the key that opens tokens already
 * sealed to it.
 */
final class PrivateKeyFile {
  private PrivateKeyFile() {}

  static void create(Path file, String privateKey) throws IOException {
    try {
      if (Files.getFileStore(file.toAbsolutePath().getParent())
          .supportsFileAttributeView("posix")) {
        Files.createFile(
            file,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } else {
        Files.createFile(file);
      }
    } catch (FileAlreadyExistsException e) {
      throw ApiKeyException.invalidData(
          "--private-key-file: "
              + file
              + " already exists; it may hold the key to tokens already"
              + " sealed to it, so choose another path");
    } catch (NoSuchFileException e) {
      throw ApiKeyException.invalidData(
          "--private-key-file: the directory of " + file + " does not exist");
    }
    Files.writeString(file, privateKey + "\n", StandardCharsets.UTF_8);
  }

  static String read(Path file) throws IOException {
    try {
      return Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (NoSuchFileException e) {
      throw ApiKeyException.invalidData("--private-key-file: " + file + " does not exist");
    }
  }
}
