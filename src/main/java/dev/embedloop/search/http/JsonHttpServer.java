package dev.embedloop.search.http;

import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small JSON-over-HTTP server on Jetty 12's core API (no servlets): a {@link Routes} table, every
 * answer and every refusal JSON, and limits that keep slow or stalled clients from starving the
 * others.
 *
 * <p><b>Threads.</b> Jetty's selector reads request heads and bodies without blocking, so a client
 * that sends its headers and then holds the body holds a connection, never a thread. A request
 * runs on one of {@link Settings#workers()} worker threads only once its whole body is in; at most
 * {@link Settings#queueCapacity()} complete requests wait for a worker, beyond that the answer is
 * 503 with {@code Retry-After: 1} at once.
 *
 * <p><b>Timeouts.</b> A connection with no traffic for {@link Settings#idleTimeout()} is closed
 * (between requests, mid-head or mid-body). A body not complete within {@link Settings#readTimeout()}
 * of the request's head is answered 408 and the connection closed, however slowly it trickles in.
 *
 * <p><b>Errors.</b> 404/405 from the route table, 413 for a body over {@link Settings#maxBodyBytes()},
 * 408, 503 when busy or closing, 500 for a handler's unexpected exception (logged), and Jetty's own
 * refusals (bad request line, bad URI, headers too large) through {@link JsonErrorHandler}: all
 * {@code {"error": …}}.
 *
 * <p>Every outcome goes to the {@link RequestObserver} (status, route, latency), the hook for
 * request metrics; the log line per request is DEBUG (WARN for 5xx but 503) and never carries the query string.
 */
public final class JsonHttpServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(JsonHttpServer.class);

    /**
     * @param port port to listen on (all interfaces), 0 for any free one
     * @param workers threads that run route handlers
     * @param queueCapacity complete requests waiting for a worker; more are answered 503
     * @param maxBodyBytes largest accepted request body
     * @param idleTimeout a connection without traffic this long is closed
     * @param readTimeout a request body must be complete this long after the request's head
     */
    public record Settings(int port, int workers, int queueCapacity, int maxBodyBytes, Duration idleTimeout,
            Duration readTimeout) {

        public Settings {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("port must be within [0, 65535], was " + port);
            }
            if (workers < 1 || queueCapacity < 1 || maxBodyBytes < 1) {
                throw new IllegalArgumentException("workers, queueCapacity and maxBodyBytes must be positive");
            }
            Objects.requireNonNull(idleTimeout, "idleTimeout");
            Objects.requireNonNull(readTimeout, "readTimeout");
        }
    }

    private final Settings settings;
    private final Routes routes;
    private final RequestObserver observer;
    private final Server server;
    private final ServerConnector connector;
    private final ThreadPoolExecutor workers;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean closing;

    private JsonHttpServer(Settings settings, Routes routes, RequestObserver observer) {
        this.settings = settings;
        this.routes = routes;
        this.observer = observer;
        this.workers = new ThreadPoolExecutor(settings.workers(), settings.workers(), 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(settings.queueCapacity()), daemonThreads("search-http-"),
                new ThreadPoolExecutor.AbortPolicy());
        // Jetty's own threads only accept, select and parse: handlers run on the workers
        QueuedThreadPool io = new QueuedThreadPool(16, 4);
        io.setName("search-jetty");
        io.setDaemon(true);
        this.server = new Server(io);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        this.connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setPort(settings.port());
        connector.setIdleTimeout(settings.idleTimeout().toMillis());
        server.addConnector(connector);
        server.setErrorHandler(new JsonErrorHandler(observer));
        server.setHandler(new Dispatch());
    }

    /**
     * Starts a server for {@code routes}.
     *
     * @throws UncheckedIOException when the port cannot be bound
     */
    public static JsonHttpServer start(Settings settings, Routes routes, RequestObserver observer) {
        JsonHttpServer s = new JsonHttpServer(settings, Objects.requireNonNull(routes, "routes"),
                Objects.requireNonNull(observer, "observer"));
        try {
            s.server.start();
        } catch (Exception e) {
            s.workers.shutdownNow();
            try {
                s.server.stop();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new UncheckedIOException("could not listen on port " + settings.port() + ": " + e.getMessage(),
                    e instanceof java.io.IOException io ? io : new java.io.IOException(e));
        }
        return s;
    }

    /** The bound port. */
    public int port() {
        return connector.getLocalPort();
    }

    /** Requests being read, queued or handled now. */
    public int inFlight() {
        return inFlight.get();
    }

    /** Answers new requests 503, lets running ones finish (up to 5 s), then stops. */
    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        try {
            while (inFlight.get() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            server.stop();
        } catch (Exception e) {
            LOG.warn("stopping the HTTP server failed: {}", e.toString());
        }
        workers.shutdown();
        try {
            if (!workers.awaitTermination(5, TimeUnit.SECONDS)) {
                workers.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            workers.shutdownNow();
        }
    }

    /**
     * The largest body of a declared length over the limit that is read (and dropped) after the 413,
     * for at most the read timeout, before the connection closes, so that the client sees the answer;
     * after a larger one the connection is closed at once.
     */
    static final long DRAIN_LIMIT_BYTES = 1 << 20;

    /** Routes a request, reads its body without blocking, then runs its handler on a worker. */
    private final class Dispatch extends Handler.Abstract.NonBlocking {

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            Call call = new Call(request, response, callback);
            inFlight.incrementAndGet();
            try {
                if (closing) {
                    call.finish(Reply.error(503, "the service is shutting down").withHeaders(Map.of("Retry-After", "1")));
                    return true;
                }
                call.match = routes.match(call.method, call.path);
                long length = request.getLength();
                if (length > settings.maxBodyBytes()) {
                    // answered at once; a body of at most DRAIN_LIMIT_BYTES is then read and dropped before
                    // the connection closes: closed with bytes unread, it is reset by the kernel, and a
                    // client still sending may never see the 413
                    call.finish(tooLarge(), length <= DRAIN_LIMIT_BYTES);
                } else if (length == 0) {
                    call.dispatch(new byte[0]);
                } else {
                    // read by Jetty's selector as bytes arrive, no thread waits; fails with "Max size (n)
                    // exceeded" once more than maxBodyBytes arrive (a chunked body has no length to check first)
                    CompletableFuture<byte[]> body = new CompletableFuture<>();
                    Content.Source.asByteArrayAsync(request, settings.maxBodyBytes(), Promise.Invocable.toPromise(body));
                    body.orTimeout(settings.readTimeout().toMillis(), TimeUnit.MILLISECONDS).whenComplete((bytes, failure) -> {
                        if (failure == null) {
                            call.dispatch(bytes);
                        } else {
                            call.finish(bodyFailure(failure));
                        }
                    });
                }
            } catch (HttpError e) {
                call.finish(Reply.error(e.status(), e.getMessage()).withHeaders(e.headers()));
            } catch (RuntimeException e) {
                LOG.error("{} {} failed before its handler ran", call.method, call.path, e);
                call.finish(Reply.error(500, "internal error"));
            }
            return true;
        }
    }

    private Reply tooLarge() {
        return Reply.error(413, "body too large: at most " + settings.maxBodyBytes() + " bytes")
                .withHeaders(Map.of("Connection", "close"));
    }

    private Reply bodyFailure(Throwable failure) {
        Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (cause instanceof TimeoutException) {
            return Reply.error(408, "the request body did not arrive within " + settings.readTimeout().toMillis() + " ms")
                    .withHeaders(Map.of("Connection", "close"));
        }
        if (cause instanceof IllegalStateException && String.valueOf(cause.getMessage()).startsWith("Max size")) {
            return tooLarge();
        }
        return Reply.error(400, "could not read the request body").withHeaders(Map.of("Connection", "close"));
    }

    /** One request from its routing to its answer. */
    private final class Call {
        final Request request;
        final Response response;
        final Callback callback;
        final String method;
        final String path;
        final long start;
        Routes.Match match;

        Call(Request request, Response response, Callback callback) {
            this.request = request;
            this.response = response;
            this.callback = callback;
            this.method = request.getMethod();
            this.path = request.getHttpURI().getPath() == null ? "/" : request.getHttpURI().getPath();
            this.start = request.getHeadersNanoTime();
        }

        void dispatch(byte[] body) {
            try {
                workers.execute(() -> run(body));
            } catch (RejectedExecutionException e) {
                finish(Reply.error(503, "the service is busy; try again").withHeaders(Map.of("Retry-After", "1")));
            }
        }

        private void run(byte[] body) {
            Reply reply;
            try {
                reply = match.handler().handle(new ApiRequest(method, path, request.getHttpURI().getQuery(), body));
            } catch (HttpError e) {
                reply = Reply.error(e.status(), e.getMessage()).withHeaders(e.headers());
            } catch (RuntimeException e) {
                LOG.error("{} {} failed", method, path, e);
                reply = Reply.error(500, "internal error");
            }
            finish(reply);
        }

        void finish(Reply reply) {
            finish(reply, false);
        }

        /** Sends {@code reply}; with {@code drainBody}, reads and drops the request body before completing. */
        void finish(Reply reply, boolean drainBody) {
            response.setStatus(reply.status());
            var headers = response.getHeaders();
            headers.put(HttpHeader.CONTENT_TYPE, reply.contentType());
            headers.put(HttpHeader.CACHE_CONTROL, "no-store");
            headers.put("X-Content-Type-Options", "nosniff");
            reply.headers().forEach(headers::put);
            headers.put(HttpHeader.CONTENT_LENGTH, reply.body().length);
            boolean head = method.equals("HEAD");
            Runnable succeeded = drainBody ? () -> drainThen(callback::succeeded) : callback::succeeded;
            response.write(true, head ? ByteBuffer.allocate(0) : ByteBuffer.wrap(reply.body()), Callback.from(
                    () -> done(reply, null, succeeded), x -> done(reply, x, () -> callback.failed(x))));
        }

        /** Reads the request body to its end (or for the read timeout at most), dropping it, then runs {@code then}. */
        private void drainThen(Runnable then) {
            CompletableFuture<Void> drained = new CompletableFuture<>();
            Content.Source.consumeAll(request, Callback.from(() -> drained.complete(null), drained::completeExceptionally));
            drained.orTimeout(settings.readTimeout().toMillis(), TimeUnit.MILLISECONDS)
                    .whenComplete((ignored, failure) -> then.run());
        }

        private void done(Reply reply, Throwable failure, Runnable complete) {
            inFlight.decrementAndGet();
            long nanos = System.nanoTime() - start;
            String route = match != null ? match.route() : routes.knows(path) ? path : RequestObserver.UNMATCHED;
            try {
                observer.observe(method, route, reply.status(), nanos);
            } catch (RuntimeException e) {
                LOG.warn("request observer failed: {}", e.toString());
            }
            long ms = nanos / 1_000_000;
            if (failure != null) {
                LOG.debug("{} {} -> {} in {} ms: the answer could not be sent: {}", method, path, reply.status(), ms,
                        failure.toString());
            } else if (reply.status() >= 500 && reply.status() != 503) {
                // 503 is an expected answer (busy, not ready, a dependency away: its cause is logged where it is known)
                LOG.warn("{} {} -> {} in {} ms (query_id {})", method, path, reply.status(), ms, reply.queryId());
            } else {
                LOG.debug("{} {} -> {} in {} ms (query_id {})", method, path, reply.status(), ms, reply.queryId());
            }
            complete.run();
        }
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
