package dev.embedloop.metrics;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
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
 * Any other path is a JSON 404, any other method a JSON 405 (with {@code Allow}), and a malformed
 * request a JSON 4xx. Jetty reads request heads without holding a thread, so clients that connect
 * and stall (or trickle a request head) cost a connection, closed after {@link #IDLE_TIMEOUT_MS},
 * and never keep a liveness probe from its answer. Nothing here touches documents or secrets.
 */
public final class ManagementServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ManagementServer.class);
    /** Content type of the Prometheus text exposition format. */
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final String JSON = "application/json";
    /** A connection without traffic this long (mid-head included) is closed. */
    static final long IDLE_TIMEOUT_MS = 10_000;
    /** Threads that answer (the readiness checks may each wait up to their own timeout). */
    private static final int THREADS = 6;

    private final Server server;
    private final ServerConnector connector;

    private ManagementServer(Server server, ServerConnector connector) {
        this.server = server;
        this.connector = connector;
    }

    /**
     * Starts serving on {@code host:port} (port 0: any free port).
     *
     * @throws IllegalStateException when the port is taken, naming the {@code management.port} key
     */
    public static ManagementServer start(String host, int port, PrometheusMeterRegistry registry, Readiness readiness) {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(readiness, "readiness");
        QueuedThreadPool threads = new QueuedThreadPool(THREADS, 2);
        threads.setName("management-http");
        threads.setDaemon(true);
        Server server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        ServerConnector connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost(host);
        connector.setPort(port);
        connector.setIdleTimeout(IDLE_TIMEOUT_MS);
        server.addConnector(connector);
        server.setErrorHandler(new JsonErrors());
        server.setHandler(new Endpoints(registry, readiness));
        try {
            server.start();
        } catch (Exception e) {
            try {
                server.stop();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof BindException) {
                    throw new IllegalStateException("management.port " + port + " is taken (set management.port to a "
                            + "free port, 0 for any free port or -1 to turn the management port off)", e);
                }
            }
            throw new UncheckedIOException("management port " + port + ": " + e.getMessage(),
                    e instanceof IOException io ? io : new IOException(e));
        }
        ManagementServer started = new ManagementServer(server, connector);
        LOG.info("management port {}: /metrics /health /ready", started.port());
        return started;
    }

    /** The port served (the actual one when started with 0). */
    public int port() {
        return connector.getLocalPort();
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

    private static String error(String message) {
        return "{\"error\":\"" + message + "\"}\n";
    }

    private static void answer(Request request, Response response, Callback callback, int status, String contentType,
            String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        if (HttpMethod.HEAD.is(request.getMethod())) {
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
            response.write(true, BufferUtil.EMPTY_BUFFER, callback);
        } else {
            response.write(true, ByteBuffer.wrap(bytes), callback);
        }
    }

    /** {@code /metrics}, {@code /health} and {@code /ready}, GET or HEAD; JSON 404 and 405 otherwise. */
    private static final class Endpoints extends Handler.Abstract {

        private final PrometheusMeterRegistry registry;
        private final Readiness readiness;

        Endpoints(PrometheusMeterRegistry registry, Readiness readiness) {
            this.registry = registry;
            this.readiness = readiness;
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            String path = Request.getPathInContext(request);
            if (!path.equals("/metrics") && !path.equals("/health") && !path.equals("/ready")) {
                answer(request, response, callback, 404, JSON, error("not found: /metrics, /health and /ready are served"));
                return true;
            }
            String method = request.getMethod();
            if (!HttpMethod.GET.is(method) && !HttpMethod.HEAD.is(method)) {
                response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
                answer(request, response, callback, 405, JSON, error("method not allowed: GET or HEAD"));
                return true;
            }
            switch (path) {
                case "/metrics" -> answer(request, response, callback, 200, PROMETHEUS_TEXT, registry.scrape());
                case "/health" -> answer(request, response, callback, 200, JSON, "{\"status\":\"UP\"}\n");
                default -> {
                    Map<String, Boolean> checks = readiness.evaluate();
                    boolean ready = !checks.isEmpty() && !checks.containsValue(false);
                    answer(request, response, callback, ready ? 200 : 503, JSON, json(ready, checks));
                }
            }
            return true;
        }
    }

    /**
     * Jetty's refusals of requests that never reach {@link Endpoints} (a malformed request line or URI,
     * headers too large) as JSON, a request line with an unknown HTTP version or none as 400 (Jetty
     * would answer 505, a server error).
     */
    private static final class JsonErrors extends ErrorHandler {

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            int status = request.getAttribute(ERROR_STATUS) instanceof Integer s ? s : 500;
            if (status == HttpStatus.HTTP_VERSION_NOT_SUPPORTED_505) {
                status = HttpStatus.BAD_REQUEST_400;
            }
            String reason = HttpStatus.getMessage(status);
            answer(request, response, callback, status, JSON,
                    error((status >= 500 ? "failed: " : "malformed request: ") + reason));
            return true;
        }
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            LOG.warn("management port {} did not stop cleanly: {}", port(), e.toString());
        }
    }
}
