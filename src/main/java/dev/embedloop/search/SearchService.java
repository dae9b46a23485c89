package dev.embedloop.search;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.events.Click;
import dev.embedloop.events.DeadLetter;
import dev.embedloop.events.FeedbackError;
import dev.embedloop.events.Impression;
import dev.embedloop.events.Json;
import dev.embedloop.qdrant.Qdrant;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The search service: an HTTP API and a search page on the JDK's {@link HttpServer}, served by a
 * fixed pool of {@link Options#threads()} threads.
 *
 * <ul>
 *   <li>{@code GET /search?q=…&k=10[&user_id=…&session_id=…]} ranks documents with the
 *       {@link SearchBackend} and answers {@code {"query_id", "model_version", "hits": [{"doc_id",
 *       "chunk", "score", "title", "snippet", "rank"}]}}, one hit per document, ranks from 1. The
 *       search is answered only after its {@link Impression} was written to the {@link FeedbackLog}
 *       (key = query id), so every answered search is on the impressions topic before any click.
 *   <li>{@code POST /clicks} with {@code {"query_id", "doc_id", "dwell_ms"?}} writes a {@link Click}
 *       with the rank the document had in that search and answers 202
 *       {@code {"status": "recorded", "rank": r}}. A click for an unknown or expired query id (404)
 *       or for a document the search did not show (422) is refused and written to the clicks
 *       dead-letter topic with code {@code NO_IMPRESSION}, {@code LATE} or {@code NOT_SHOWN}.
 *   <li>{@code GET /health} answers {@code {"status": "ok", "model_version", "tracked_queries"}}.
 *   <li>{@code GET /} serves the search page ({@code web/index.html}).
 * </ul>
 *
 * <p>Errors are JSON {@code {"error": "…"}}: 400 bad parameter or body, 404 unknown path or query
 * id, 405 wrong method (with {@code Allow}), 413 body over {@link #MAX_BODY_BYTES}, 422 document
 * not shown, 503 when the index (Qdrant) or the feedback log (Kafka) cannot be reached, 500 for
 * anything else. The service stays up whatever a request does.
 *
 * <p>Logs carry method, path, status, latency and query id, never query or document text: the
 * query string is not logged at all.
 */
public final class SearchService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SearchService.class);

    /** Largest accepted request body. */
    public static final int MAX_BODY_BYTES = 64 * 1024;
    /** Longest accepted query, in characters; the model reads only its first window anyway. */
    public static final int MAX_QUERY_CHARS = 1024;
    /** Longest accepted query id, document id, user id or session id. */
    public static final int MAX_ID_CHARS = 256;
    /** Requests waiting for a thread; beyond this the accepting thread serves them itself (back pressure). */
    static final int QUEUE_CAPACITY = 256;
    /** How much of an oversized body is read and discarded so the client can read the 413. */
    private static final int MAX_DRAIN_BYTES = 4 * 1024 * 1024;
    private static final String PAGE_RESOURCE = "/web/index.html";
    private static final ObjectReader STRICT_READER =
            Json.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    static {
        // HttpServer writes the headers and the body of an answer as two segments; with Nagle's
        // algorithm on (its default) the body waits for the client's delayed ACK, about 40 ms per
        // answer on a kept-alive connection. Read once, when the first HttpServer is created.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    private final Options options;
    private final SearchBackend backend;
    private final FeedbackLog log;
    private final QueryRegistry registry;
    private final byte[] page;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean closing;
    private HttpServer server;
    private ThreadPoolExecutor executor;

    /**
     * How the service runs.
     *
     * @param port HTTP port, 0 for any free one (see {@link #port()})
     * @param maxK largest k a search may ask for
     * @param queryTtl how long a query id accepts clicks
     * @param threads request threads
     * @param maxTrackedQueries most query ids kept for clicks; the oldest go first
     * @param clicksTopic named as the source topic in dead letters of refused clicks
     * @param clock time of impressions, clicks and query-id expiry
     */
    public record Options(int port, int maxK, Duration queryTtl, int threads, int maxTrackedQueries,
            String clicksTopic, Clock clock) {

        public static final int DEFAULT_THREADS = 8;
        public static final int DEFAULT_MAX_TRACKED_QUERIES = 50_000;

        public Options {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("port must be within [0, 65535], was " + port);
            }
            if (maxK < 1) {
                throw new IllegalArgumentException("maxK must be at least 1, was " + maxK);
            }
            Objects.requireNonNull(queryTtl, "queryTtl");
            if (queryTtl.isNegative() || queryTtl.isZero()) {
                throw new IllegalArgumentException("queryTtl must be positive, was " + queryTtl);
            }
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be at least 1, was " + threads);
            }
            if (maxTrackedQueries < 1) {
                throw new IllegalArgumentException("maxTrackedQueries must be at least 1, was " + maxTrackedQueries);
            }
            Objects.requireNonNull(clicksTopic, "clicksTopic");
            Objects.requireNonNull(clock, "clock");
        }

        /** {@code search.*} and {@code topics.clicks} of {@code cfg}, 8 threads, the system clock. */
        public static Options of(EmbedloopConfig cfg) {
            SearchSettings s = SearchSettings.from(cfg);
            return new Options(s.port(), s.maxK(), s.queryTtl(), DEFAULT_THREADS, DEFAULT_MAX_TRACKED_QUERIES,
                    cfg.topics().clicks(), Clock.systemUTC());
        }

        public Options withPort(int port) {
            return new Options(port, maxK, queryTtl, threads, maxTrackedQueries, clicksTopic, clock);
        }

        public Options withClock(Clock clock) {
            return new Options(port, maxK, queryTtl, threads, maxTrackedQueries, clicksTopic, clock);
        }

        public Options withThreads(int threads) {
            return new Options(port, maxK, queryTtl, threads, maxTrackedQueries, clicksTopic, clock);
        }

        public Options withMaxTrackedQueries(int maxTrackedQueries) {
            return new Options(port, maxK, queryTtl, threads, maxTrackedQueries, clicksTopic, clock);
        }

        /** k when the request gives none: 10, or maxK when that is smaller. */
        public int defaultK() {
            return Math.min(10, maxK);
        }
    }

    /** The answer to a search. */
    @JsonPropertyOrder({"query_id", "model_version", "hits"})
    public record SearchAnswer(
            @JsonProperty("query_id") String queryId,
            @JsonProperty("model_version") String modelVersion,
            @JsonProperty("hits") List<RankedHit> hits) {}

    /** One hit of a {@link SearchAnswer}; {@code title} and {@code snippet} are left out when unknown. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"doc_id", "chunk", "score", "title", "snippet", "rank"})
    public record RankedHit(
            @JsonProperty("doc_id") String docId,
            @JsonProperty("chunk") int chunk,
            @JsonProperty("score") float score,
            @JsonProperty("title") String title,
            @JsonProperty("snippet") String snippet,
            @JsonProperty("rank") int rank) {}

    /** The answer to a recorded click: the rank the document had in its search. */
    @JsonPropertyOrder({"status", "rank"})
    public record ClickAnswer(@JsonProperty("status") String status, @JsonProperty("rank") int rank) {}

    /** The answer of {@code GET /health}. */
    @JsonPropertyOrder({"status", "model_version", "tracked_queries"})
    public record HealthAnswer(
            @JsonProperty("status") String status,
            @JsonProperty("model_version") String modelVersion,
            @JsonProperty("tracked_queries") int trackedQueries) {}

    /** The body of every error answer. */
    public record ErrorAnswer(@JsonProperty("error") String error) {}

    private SearchService(Options options, SearchBackend backend, FeedbackLog log, byte[] page) {
        this.options = options;
        this.backend = backend;
        this.log = log;
        this.page = page;
        this.registry = new QueryRegistry(options.clock(), options.queryTtl(), options.maxTrackedQueries());
    }

    /**
     * Starts the service on all interfaces. The backend and the log stay owned by the caller:
     * close the service first, then them.
     *
     * @throws UncheckedIOException when the port cannot be bound
     */
    public static SearchService start(Options options, SearchBackend backend, FeedbackLog log) {
        SearchService service = new SearchService(options, Objects.requireNonNull(backend, "backend"),
                Objects.requireNonNull(log, "log"), loadPage());
        try {
            service.server = HttpServer.create(new InetSocketAddress(options.port()), 128);
        } catch (IOException e) {
            throw new UncheckedIOException("could not listen on port " + options.port() + ": " + e.getMessage(), e);
        }
        service.executor = new ThreadPoolExecutor(options.threads(), options.threads(), 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(QUEUE_CAPACITY), threadFactory(),
                // a full queue slows down accepting instead of failing: HttpServer cannot answer a rejected exchange
                new ThreadPoolExecutor.CallerRunsPolicy());
        service.server.setExecutor(service.executor);
        service.server.createContext("/", service::handle);
        service.server.start();
        LOG.info("search service listening on port {} ({} threads, max k {}, clicks accepted for {} s after a search)",
                service.port(), options.threads(), options.maxK(), options.queryTtl().toSeconds());
        return service;
    }

    /** The port the service listens on (the bound one when {@link Options#port()} was 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    /** {@code http://localhost:<port>/}. */
    public URI uri() {
        return URI.create("http://localhost:" + port() + "/");
    }

    /** Stops accepting work, lets running requests finish (up to 5 s), then stops the server and its threads. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
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
        server.stop(0);
        executor.shutdown();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            executor.shutdownNow();
        }
        LOG.info("search service stopped");
    }

    // ---------------------------------------------------------------- dispatch

    private void handle(HttpExchange exchange) {
        long start = System.nanoTime();
        inFlight.incrementAndGet();
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getRawPath();
        Reply reply = null;
        try {
            try {
                reply = closing ? Reply.error(503, "the service is shutting down") : route(exchange, method, path);
            } catch (HttpError e) {
                reply = Reply.error(e.status, e.getMessage()).withHeaders(e.headers);
            } catch (RuntimeException e) {
                LOG.error("{} {} failed", method, path, e);
                reply = Reply.error(500, "internal error");
            }
            // the request body must be at its end before the answer is complete: HttpServer checks it
            // when the answer's last byte is written and closes the keep-alive connection if it is not
            discardBody(exchange);
            send(exchange, method, reply);
        } catch (IOException e) {
            LOG.debug("{} {}: could not send the answer: {}", method, path, e.getMessage());
        } finally {
            exchange.close();
            inFlight.decrementAndGet();
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        if (reply.status() >= 500) {
            LOG.warn("{} {} -> {} in {} ms (query_id {})", method, path, reply.status(), ms, reply.queryId());
        } else {
            LOG.debug("{} {} -> {} in {} ms (query_id {})", method, path, reply.status(), ms, reply.queryId());
        }
    }

    private Reply route(HttpExchange exchange, String method, String path) {
        switch (path) {
            case "/", "/index.html" -> {
                allow(method, path, "GET");
                return new Reply(200, "text/html; charset=utf-8", page, null, Map.of());
            }
            case "/search" -> {
                allow(method, path, "GET");
                return search(exchange.getRequestURI().getRawQuery());
            }
            case "/clicks" -> {
                allow(method, path, "POST");
                return click(readBody(exchange));
            }
            case "/health" -> {
                allow(method, path, "GET");
                return Reply.json(200, new HealthAnswer("ok", backend.modelVersion(), registry.size()), null);
            }
            default -> throw new HttpError(404, "no such resource: " + abbreviate(path, 100)
                    + " (try GET /search?q=..., POST /clicks, GET /health, GET /)");
        }
    }

    /** GET routes answer HEAD too. */
    private static void allow(String method, String path, String allowed) {
        if (method.equals(allowed) || (allowed.equals("GET") && method.equals("HEAD"))) {
            return;
        }
        String allow = allowed.equals("GET") ? "GET, HEAD" : allowed;
        throw new HttpError(405, "method " + abbreviate(method, 20) + " is not allowed on " + path + "; use " + allowed,
                Map.of("Allow", allow));
    }

    // ---------------------------------------------------------------- search

    private Reply search(String rawQuery) {
        Map<String, String> params = parseQuery(rawQuery);
        String q = params.get("q");
        if (q == null || q.isBlank()) {
            throw new HttpError(400, "missing query: give a non-blank q parameter, e.g. /search?q=wing+lift");
        }
        if (q.length() > MAX_QUERY_CHARS) {
            throw new HttpError(400, "q is too long: at most " + MAX_QUERY_CHARS + " characters");
        }
        int k = parseK(params.get("k"));
        String userId = optionalId(params, "user_id");
        String sessionId = optionalId(params, "session_id");
        String modelVersion;
        List<Hit> hits;
        try {
            SearchBackend.Answer answer = backend.answer(q, k);
            hits = answer.hits();
            modelVersion = answer.modelVersion();
        } catch (Qdrant.QdrantException e) {
            LOG.warn("search failed, the index is unavailable: {}", e.getMessage());
            throw new HttpError(503, "the search index is unavailable; try again later");
        }
        List<Hit> shown = onePerDocument(hits, k);
        String queryId = UUID.randomUUID().toString();
        long now = options.clock().millis();
        List<Impression.Result> results = new ArrayList<>(shown.size());
        List<RankedHit> ranked = new ArrayList<>(shown.size());
        List<String> docIds = new ArrayList<>(shown.size());
        for (int i = 0; i < shown.size(); i++) {
            Hit h = shown.get(i);
            results.add(new Impression.Result(h.docId(), i + 1, exact(h.score())));
            ranked.add(new RankedHit(h.docId(), h.chunk(), h.score(), h.title(), h.snippet(), i + 1));
            docIds.add(h.docId());
        }
        try {
            log.impression(new Impression(queryId, q, userId, sessionId, modelVersion, results, now));
        } catch (FeedbackLog.UnavailableException e) {
            LOG.warn("impression {} not written, search not answered: {}", queryId, e.getMessage());
            throw new HttpError(503, "the feedback log is unavailable; the search could not be recorded, try again later");
        }
        // registered only once the impression is written: a click must never precede its impression
        registry.register(queryId, docIds);
        return Reply.json(200, new SearchAnswer(queryId, modelVersion, ranked), queryId);
    }

    private int parseK(String value) {
        if (value == null) {
            return options.defaultK();
        }
        int k;
        try {
            k = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            k = -1;
        }
        if (k < 1 || k > options.maxK()) {
            throw new HttpError(400, "k must be an integer between 1 and " + options.maxK());
        }
        return k;
    }

    private static String optionalId(Map<String, String> params, String name) {
        String value = params.get(name);
        if (value == null || value.isBlank()) {
            return null;
        }
        if (value.length() > MAX_ID_CHARS) {
            throw new HttpError(400, name + " is too long: at most " + MAX_ID_CHARS + " characters");
        }
        return value;
    }

    /** The backend's hits with at most one per document (the first, i.e. best) and at most k. */
    static List<Hit> onePerDocument(List<Hit> hits, int k) {
        Set<String> seen = new LinkedHashSet<>();
        List<Hit> out = new ArrayList<>();
        for (Hit h : hits) {
            if (out.size() == k) {
                break;
            }
            if (seen.add(h.docId())) {
                out.add(h);
            }
        }
        return out;
    }

    /** The float score as the double with the same shortest decimal form (0.83f → 0.83, not 0.8299999833). */
    private static Double exact(float score) {
        return Double.valueOf(Float.toString(score));
    }

    // ---------------------------------------------------------------- clicks

    private Reply click(byte[] body) {
        JsonNode node;
        try {
            node = STRICT_READER.readTree(body);
        } catch (IOException e) {
            throw new HttpError(400, "body is not valid JSON");
        }
        if (node == null || !node.isObject()) {
            throw new HttpError(400, "body must be a JSON object {\"query_id\", \"doc_id\", \"dwell_ms\"?}");
        }
        String queryId = requiredText(node, "query_id");
        String docId = requiredText(node, "doc_id");
        Long dwellMs = null;
        JsonNode dwell = node.get("dwell_ms");
        if (dwell != null && !dwell.isNull()) {
            if (!dwell.isIntegralNumber() || !dwell.canConvertToLong() || dwell.asLong() < 0) {
                throw new HttpError(400, "dwell_ms must be a non-negative integer (milliseconds)");
            }
            dwellMs = dwell.asLong();
        }
        long now = options.clock().millis();
        QueryRegistry.Lookup found = registry.lookup(queryId, docId);
        return switch (found.status()) {
            case UNKNOWN -> refuse(FeedbackError.NO_IMPRESSION,
                    "query_id is unknown to the search service (never answered here, or forgotten after a restart)",
                    queryId, body, now, 404, "unknown query_id");
            case EXPIRED -> refuse(FeedbackError.LATE,
                    "query_id expired; clicks are accepted for " + options.queryTtl().toMillis() + " ms after the search",
                    queryId, body, now, 404,
                    "query_id expired: clicks are accepted for " + options.queryTtl().toSeconds() + " s after the search");
            case NOT_SHOWN -> refuse(FeedbackError.NOT_SHOWN, "the search did not show this doc_id",
                    queryId, body, now, 422, "doc_id was not shown for this query_id");
            case SHOWN -> {
                try {
                    log.click(new Click(queryId, docId, found.rank(), dwellMs, now));
                } catch (FeedbackLog.UnavailableException e) {
                    LOG.warn("click of {} not written: {}", queryId, e.getMessage());
                    throw new HttpError(503, "the feedback log is unavailable; the click was not recorded, try again later");
                }
                yield Reply.json(202, new ClickAnswer("recorded", found.rank()), queryId);
            }
        };
    }

    private static String requiredText(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new HttpError(400, field + " is missing");
        }
        if (!value.isTextual() || value.asText().isBlank()) {
            throw new HttpError(400, field + " must be a non-blank string");
        }
        if (value.asText().length() > MAX_ID_CHARS) {
            throw new HttpError(400, field + " is too long: at most " + MAX_ID_CHARS + " characters");
        }
        return value.asText();
    }

    /** Dead-letters a refused click (the original body, base64) and answers {@code status}. */
    private Reply refuse(FeedbackError code, String reason, String queryId, byte[] body, long now, int status,
            String error) {
        // never came from a topic: the source is the clicks topic it would have gone to, partition and offset -1
        DeadLetter letter = new DeadLetter(code.name(), code.label() + ": " + reason, options.clicksTopic(), -1, -1L,
                now, queryId, Base64.getEncoder().encodeToString(body));
        try {
            log.deadLetter(letter);
        } catch (FeedbackLog.UnavailableException e) {
            LOG.warn("refused click of {} ({}) could not be dead-lettered: {}", queryId, code, e.getMessage());
        }
        LOG.debug("refused click of query_id {}: {}", queryId, code);
        throw new HttpError(status, error);
    }

    // ---------------------------------------------------------------- HTTP plumbing

    /** Reads the body, at most {@link #MAX_BODY_BYTES}; 413 beyond. */
    private static byte[] readBody(HttpExchange exchange) {
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        InputStream in = exchange.getRequestBody(); // closed by discardBody once the answer is ready
        try {
            if (length != null) {
                long declared;
                try {
                    declared = Long.parseLong(length.trim());
                } catch (NumberFormatException e) {
                    throw new HttpError(400, "Content-Length is not a number");
                }
                if (declared > MAX_BODY_BYTES) {
                    throw tooLarge();
                }
            }
            byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
            if (body.length > MAX_BODY_BYTES) {
                throw tooLarge();
            }
            return body;
        } catch (IOException e) {
            throw new HttpError(400, "could not read the request body");
        }
    }

    private static HttpError tooLarge() {
        return new HttpError(413, "body too large: at most " + MAX_BODY_BYTES + " bytes");
    }

    /**
     * Reads away what is left of the request body (all of a GET's empty one, the rest of a refused
     * or oversized one) so the connection can be kept alive and the client gets to read the answer;
     * beyond {@link #MAX_DRAIN_BYTES} the server just closes the connection after answering.
     */
    private static void discardBody(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            drain(in);
        }
    }

    private static void drain(InputStream in) throws IOException {
        byte[] buf = new byte[8192];
        long total = 0;
        int n;
        while (total < MAX_DRAIN_BYTES && (n = in.read(buf)) >= 0) {
            total += n;
        }
    }

    /** Query parameters, decoded; the first of repeated names wins. */
    static Map<String, String> parseQuery(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String part : raw.split("&")) {
            if (part.isEmpty()) {
                continue;
            }
            int eq = part.indexOf('=');
            try {
                String name = URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
                out.putIfAbsent(name, value);
            } catch (IllegalArgumentException e) {
                throw new HttpError(400, "malformed query string: bad percent-encoding");
            }
        }
        return out;
    }

    private static void send(HttpExchange exchange, String method, Reply reply) throws IOException {
        Headers headers = exchange.getResponseHeaders();
        headers.set("Content-Type", reply.contentType());
        headers.set("Cache-Control", "no-store");
        headers.set("X-Content-Type-Options", "nosniff");
        reply.headers().forEach(headers::set);
        if (method.equals("HEAD") || reply.body().length == 0) {
            exchange.sendResponseHeaders(reply.status(), -1);
            return;
        }
        exchange.sendResponseHeaders(reply.status(), reply.body().length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(reply.body());
        }
    }

    private static byte[] loadPage() {
        try (InputStream in = SearchService.class.getResourceAsStream(PAGE_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the search page " + PAGE_RESOURCE + " is missing from the classpath");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the search page " + PAGE_RESOURCE, e);
        }
    }

    private static ThreadFactory threadFactory() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "search-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "…";
    }

    /** An answer: status, content type, body, the query id it concerns (for the log) and extra headers. */
    private record Reply(int status, String contentType, byte[] body, String queryId, Map<String, String> headers) {

        static Reply json(int status, Object value, String queryId) {
            return new Reply(status, "application/json; charset=utf-8", Json.write(value), queryId, Map.of());
        }

        static Reply error(int status, String message) {
            return json(status, new ErrorAnswer(message), null);
        }

        Reply withHeaders(Map<String, String> extra) {
            return extra.isEmpty() ? this : new Reply(status, contentType, body, queryId, extra);
        }
    }

    /** A client error (or 503) with its message; becomes {@code {"error": message}}. */
    private static final class HttpError extends RuntimeException {
        final int status;
        final Map<String, String> headers;

        HttpError(int status, String message) {
            this(status, message, Map.of());
        }

        HttpError(int status, String message, Map<String, String> headers) {
            super(message, null, false, false);
            this.status = status;
            this.headers = headers;
        }
    }
}
