package dev.apikeys.worker;

public final class ApiKeysCommand {
  public static void main(String[] args) {}
}
