package dev.apikeys.worker;

/**
 * A codec server request refused with an HTTP status and a one-line reason. The reason never
 * carries a payload, only where in the request the problem is.
 */
final class CodecRefusal extends Exception {
  private static final long serialVersionUID = 1L;

  private final int status;

  CodecRefusal(int status, String reason) {
    super(reason, null, false, false);
    this.status = status;
  }

  int status() {
    return status;
  }
}
