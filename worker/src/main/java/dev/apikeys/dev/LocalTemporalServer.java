package dev.apikeys.dev;

import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.temporal.internal.testservice.GRPCServerHelper;
import io.temporal.internal.testservice.TestServicesStarter;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Temporal's Java test server on the loopback interface, with time skipping off so timers fire on
 * the wall clock as on a real cluster. Clients reach it over real gRPC.
 *
 * <p>{@code TestServer.createPortBoundServer} would do the same but listens on every interface,
 * which would put an unauthenticated Temporal on the network; so this assembles the same parts (the
 * test services and their health checks) behind a server bound to 127.0.0.1 only. Those parts live
 * in the SDK's {@code internal} package, so an SDK upgrade may need this class to follow.
 */
public final class LocalTemporalServer implements AutoCloseable {
  /** The test services start with time skipping locked, which is what "off" means there. */
  private static final boolean TIME_SKIPPING_LOCKED = true;

  /** Zero asks the test services to start their clock at the wall clock's time. */
  private static final long WALL_CLOCK_START = 0;

  private final TestServicesStarter services;
  private final Server server;
  private boolean closed;

  private LocalTemporalServer(TestServicesStarter services, Server server) {
    this.services = services;
    this.server = server;
  }

  /**
   * Starts the server on {@code 127.0.0.1:port}; port 0 picks a free one.
   *
   * @throws IOException when the port cannot be bound, typically because it is taken
   */
  public static LocalTemporalServer start(int port) throws IOException {
    TestServicesStarter services = new TestServicesStarter(TIME_SKIPPING_LOCKED, WALL_CLOCK_START);
    try {
      NettyServerBuilder builder =
          NettyServerBuilder.forAddress(
              new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
              InsecureServerCredentials.create());
      GRPCServerHelper.registerServicesAndHealthChecks(services.getServices(), builder);
      return new LocalTemporalServer(services, builder.build().start());
    } catch (IOException | RuntimeException e) {
      services.close();
      throw e;
    }
  }

  public int port() {
    return server.getPort();
  }

  /** The address clients use, {@code 127.0.0.1:<port>}. */
  public String address() {
    return InetAddress.getLoopbackAddress().getHostAddress() + ":" + port();
  }

  /** Stops the server; closing it again does nothing. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    server.shutdown();
    try {
      // Long polls still open are cut off after a short wait; workers have stopped by now.
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.shutdownNow();
    }
    services.close();
  }
}
