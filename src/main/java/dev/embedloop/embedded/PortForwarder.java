package dev.embedloop.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards TCP connections from a fixed loopback port to another local port. The in-process
 * broker binds its own (random) port; this gives it the well-known address clients expect
 * ({@code localhost:9092}) for bootstrapping. After bootstrap, clients talk to the address the
 * broker advertises, which is reachable on this machine as well.
 */
final class PortForwarder implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PortForwarder.class);

    private final ServerSocket server;
    private final ExecutorService pool;
    private final int targetPort;

    private PortForwarder(ServerSocket server, int targetPort) {
        this.server = server;
        this.targetPort = targetPort;
        this.pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "embedded-kafka-forwarder");
            t.setDaemon(true);
            return t;
        });
    }

    static PortForwarder start(int port, int targetPort) throws IOException {
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        PortForwarder forwarder = new PortForwarder(server, targetPort);
        forwarder.pool.execute(forwarder::acceptLoop);
        return forwarder;
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                pool.execute(() -> pipe(client, upstream));
                pool.execute(() -> pipe(upstream, client));
            } catch (IOException e) {
                if (!server.isClosed()) {
                    LOG.warn("forwarding a connection to port {} failed: {}", targetPort, e.getMessage());
                }
            }
        }
    }

    private static void pipe(Socket from, Socket to) {
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // one side closed: close both below
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        pool.shutdownNow();
    }
}
