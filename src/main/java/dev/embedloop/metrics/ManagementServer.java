package dev.embedloop.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The management port of one process:
 *
 * <ul>
 *   <li>{@code GET /metrics}: every meter, Prometheus text format;</li>
 *   <li>{@code GET /health}: 200 while the process is alive (liveness);</li>
 *   <li>{@code GET /ready}: 200 when every {@link Readiness} check passes, else 503; the body lists the checks.</li>
 * </ul>
 *
 * One small daemon thread answers; nothing here touches documents or secrets.
 */
public final class ManagementServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ManagementServer.class);
    /** Content type of the Prometheus text exposition format. */
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpServer server;
    private final ExecutorService executor;

    private ManagementServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Starts serving on {@code host:port} (port 0: any free port).
     *
     * @throws IllegalStateException when the port is taken, naming the {@code management.port} key
     */
    public static ManagementServer start(String host, int port, PrometheusMeterRegistry registry, Readiness readiness) {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(readiness, "readiness");
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 16);
        } catch (BindException e) {
            throw new IllegalStateException("management.port " + port + " is taken (set management.port to a free port, "
                    + "0 for any free port or -1 to turn the management port off)", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/metrics", ex -> answer(ex, 200, PROMETHEUS_TEXT, registry.scrape()));
        server.createContext("/health", ex -> answer(ex, 200, "application/json", "{\"status\":\"UP\"}\n"));
        server.createContext("/ready", ex -> {
            Map<String, Boolean> checks = readiness.evaluate();
            boolean ready = !checks.isEmpty() && !checks.containsValue(false);
            answer(ex, ready ? 200 : 503, "application/json", json(ready, checks));
        });
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "management-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.start();
        ManagementServer started = new ManagementServer(server, executor);
        LOG.info("management port {}: /metrics /health /ready", started.port());
        return started;
    }

    /** The port served (the actual one when started with 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    /** {@code http://localhost:<port>/}. */
    public URI uri() {
        return URI.create("http://localhost:" + port() + "/");
    }

    static String json(boolean ready, Map<String, Boolean> checks) {
        StringBuilder sb = new StringBuilder("{\"status\":\"").append(ready ? "UP" : "DOWN").append("\",\"checks\":{");
        boolean first = true;
        for (Map.Entry<String, Boolean> e : checks.entrySet()) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            sb.append('"').append(e.getKey().replace("\"", "")).append("\":\"").append(e.getValue() ? "UP" : "DOWN").append('"');
        }
        return sb.append("}}\n").toString();
    }

    private static void answer(HttpExchange ex, int status, String contentType, String body) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            if (!"GET".equals(method) && !"HEAD".equals(method)) {
                ex.getResponseHeaders().set("Allow", "GET, HEAD");
                ex.sendResponseHeaders(405, -1);
                return;
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", contentType);
            ex.getResponseHeaders().set("Cache-Control", "no-store");
            if ("HEAD".equals(method)) {
                ex.sendResponseHeaders(status, -1);
                return;
            }
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
