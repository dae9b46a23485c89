package dev.embedloop.search;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.events.Click;
import dev.embedloop.events.DeadLetter;
import dev.embedloop.events.FeedbackError;
import dev.embedloop.events.Impression;
import dev.embedloop.events.Json;
import dev.embedloop.qdrant.Qdrant;
import dev.embedloop.search.http.ApiRequest;
import dev.embedloop.search.http.HttpError;
import dev.embedloop.search.http.JsonHttpServer;
import dev.embedloop.search.http.Reply;
import dev.embedloop.search.http.RequestObserver;
import dev.embedloop.search.http.Routes;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The search service: its routes and their handlers, served by a {@link JsonHttpServer} (Jetty).
 *
 * <ul>
 *   <li>{@code GET /search?q=…&k=10[&user_id=…&session_id=…]} ranks documents with the
 *       {@link SearchBackend} and answers {@code {"query_id", "model_version", "hits": [{"doc_id",
 *       "chunk", "score", "title", "snippet", "rank"}], "click_token"}}, one hit per document, ranks
 *       from 1. The search is answered only after its {@link Impression} was written to the
 *       {@link FeedbackLog} (key = query id), so every answered search is on the impressions topic
 *       before any click. The {@code click_token} is signed ({@link ClickTokens}) and holds the query
 *       id, the shown documents in rank order, the model version and an expiry. A fraction
 *       ({@code search.interleave-fraction}) of searches is answered with a team-draft interleaving of
 *       the live model and the candidate under test, when the backend has one
 *       ({@link SearchBackend#answerInterleaved}): the answer and the token hold the interleaved page as
 *       shown, {@code model_version} is the live model's, and the impression also carries
 *       {@code candidate_version} and each result's team (never shown to the user).
 *   <li>{@code POST /clicks} with {@code {"click_token", "doc_id", "dwell_ms"?, "query_id"?}} verifies the token
 *       — on any instance that shares the key, also after restarts — writes a {@link Click} with the
 *       rank the document had in that search, and answers 202 {@code {"status": "recorded",
 *       "query_id", "rank"}}. A forged, altered or malformed token or a {@code query_id} that is
 *       not the token's (404, dead letter {@code NO_IMPRESSION}), an expired token (404,
 *       {@code LATE}) and a document the search did not show (422, {@code NOT_SHOWN}) are refused
 *       and written to the clicks dead-letter topic with their reason.
 *   <li>{@code GET /health}: the process is alive, {@code {"status": "ok"}}; asks nothing else.
 *   <li>{@code GET /ready}: 200 {@code {"status": "ready", "model_version", "checks": {name: "ok"}}}
 *       when every {@link ReadinessCheck} passes (Kafka, Qdrant, model), else 503 {@code {"error":
 *       "not ready: kafka", "status": "not ready", "checks": {…, "kafka": "what is wrong"}}}.
 *   <li>{@code GET /} serves the search page ({@code web/index.html}).
 * </ul>
 *
 * <p>Errors are JSON {@code {"error": "…"}}: 400 bad parameter, body or request, 404 unknown path or
 * click token, 405 wrong method (with {@code Allow}), 408 body too slow, 413 body over
 * {@link #MAX_BODY_BYTES}, 422 document not shown, 503 when the index (Qdrant) or the feedback log
 * (Kafka) cannot be reached or the service is busy, 500 for anything else.
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
    private static final String PAGE_RESOURCE = "/web/index.html";
    private static final ObjectReader STRICT_READER =
            Json.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Options options;
    private final SearchBackend backend;
    private final FeedbackLog log;
    private final List<ReadinessCheck> checks;
    private final byte[] page;
    private JsonHttpServer server;

    /**
     * How the service runs.
     *
     * @param port HTTP port, 0 for any free one (see {@link #port()})
     * @param maxK largest k a search may ask for
     * @param queryTtl how long a search's click token accepts clicks
     * @param threads worker threads
     * @param queueCapacity complete requests waiting for a worker; more are answered 503
     * @param idleTimeout a connection without traffic this long is closed
     * @param readTimeout a request body must arrive within this time after its headers (else 408)
     * @param clicksTopic named as the source topic in dead letters of refused clicks
     * @param clock time of impressions, clicks and token expiry
     * @param tokens signs and verifies click tokens
     * @param interleaveFraction fraction of searches answered with an interleaving of the live model and the
     *     candidate under test when the backend has one ({@link SearchBackend#answerInterleaved}); 0 never
     */
    public record Options(int port, int maxK, Duration queryTtl, int threads, int queueCapacity,
            Duration idleTimeout, Duration readTimeout, String clicksTopic, Clock clock, ClickTokens tokens,
            double interleaveFraction) {

        public static final int DEFAULT_THREADS = 8;
        public static final int DEFAULT_QUEUE_CAPACITY = 256;
        public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);
        public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(10);

        public Options {
            if (maxK < 1) {
                throw new IllegalArgumentException("maxK must be at least 1, was " + maxK);
            }
            Objects.requireNonNull(queryTtl, "queryTtl");
            if (queryTtl.isNegative() || queryTtl.isZero()) {
                throw new IllegalArgumentException("queryTtl must be positive, was " + queryTtl);
            }
            Objects.requireNonNull(clicksTopic, "clicksTopic");
            Objects.requireNonNull(clock, "clock");
            Objects.requireNonNull(tokens, "tokens");
            if (!(interleaveFraction >= 0 && interleaveFraction <= 1)) {
                throw new IllegalArgumentException("interleaveFraction must be in [0, 1], was " + interleaveFraction);
            }
            // port, threads, queue and timeouts are checked by JsonHttpServer.Settings
            new JsonHttpServer.Settings(port, threads, queueCapacity, MAX_BODY_BYTES, idleTimeout, readTimeout);
        }

        /** Options that never interleave. */
        public Options(int port, int maxK, Duration queryTtl, int threads, int queueCapacity, Duration idleTimeout,
                Duration readTimeout, String clicksTopic, Clock clock, ClickTokens tokens) {
            this(port, maxK, queryTtl, threads, queueCapacity, idleTimeout, readTimeout, clicksTopic, clock, tokens, 0);
        }

        /**
         * Default threads, queue and timeouts, and a random click key of this process (clicks verify
         * on this instance only; give every instance the same key with {@link #withTokens}).
         */
        public static Options of(int port, int maxK, Duration queryTtl, String clicksTopic, Clock clock) {
            return new Options(port, maxK, queryTtl, DEFAULT_THREADS, DEFAULT_QUEUE_CAPACITY, DEFAULT_IDLE_TIMEOUT,
                    DEFAULT_READ_TIMEOUT, clicksTopic, clock, ClickTokens.randomKey());
        }

        /** {@code search.*} and {@code topics.clicks} of {@code cfg}, the system clock. */
        public static Options of(EmbedloopConfig cfg) {
            SearchSettings s = SearchSettings.from(cfg);
            return new Options(s.port(), s.maxK(), s.queryTtl(), s.threads(), s.queueCapacity(), s.idleTimeout(),
                    s.readTimeout(), cfg.topics().clicks(), Clock.systemUTC(), s.clickTokens(), s.interleaveFraction());
        }

        public Options withPort(int port) {
            return new Options(port, maxK, queryTtl, threads, queueCapacity, idleTimeout, readTimeout, clicksTopic,
                    clock, tokens, interleaveFraction);
        }

        public Options withClock(Clock clock) {
            return new Options(port, maxK, queryTtl, threads, queueCapacity, idleTimeout, readTimeout, clicksTopic,
                    clock, tokens, interleaveFraction);
        }

        public Options withThreads(int threads) {
            return new Options(port, maxK, queryTtl, threads, queueCapacity, idleTimeout, readTimeout, clicksTopic,
                    clock, tokens, interleaveFraction);
        }

        public Options withTimeouts(Duration idleTimeout, Duration readTimeout) {
            return new Options(port, maxK, queryTtl, threads, queueCapacity, idleTimeout, readTimeout, clicksTopic,
                    clock, tokens, interleaveFraction);
        }

        public Options withTokens(ClickTokens tokens) {
            return new Options(port, maxK, queryTtl, threads, queueCapacity, idleTimeout, readTimeout, clicksTopic,
                    clock, tokens, interleaveFraction);
        }

        public Options withInterleaveFraction(double interleaveFraction) {
            return new Options(port, maxK, queryTtl, threads, queueCapacity, idleTimeout, readTimeout, clicksTopic,
                    clock, tokens, interleaveFraction);
        }

        /** k when the request gives none: 10, or maxK when that is smaller. */
        public int defaultK() {
            return Math.min(10, maxK);
        }
    }

    /** The answer to a search. */
    @JsonPropertyOrder({"query_id", "model_version", "hits", "click_token"})
    public record SearchAnswer(
            @JsonProperty("query_id") String queryId,
            @JsonProperty("model_version") String modelVersion,
            @JsonProperty("hits") List<RankedHit> hits,
            @JsonProperty("click_token") String clickToken) {}

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

    /** The answer to a recorded click: its query id and the rank the document had in its search. */
    @JsonPropertyOrder({"status", "query_id", "rank"})
    public record ClickAnswer(@JsonProperty("status") String status, @JsonProperty("query_id") String queryId,
            @JsonProperty("rank") int rank) {}

    /** The answer of {@code GET /health}. */
    public record HealthAnswer(@JsonProperty("status") String status) {}

    /** The answer of {@code GET /ready}; {@code error} only when not ready, {@code model_version} only when known. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"error", "status", "model_version", "checks"})
    public record ReadyAnswer(
            @JsonProperty("error") String error,
            @JsonProperty("status") String status,
            @JsonProperty("model_version") String modelVersion,
            @JsonProperty("checks") Map<String, String> checks) {}

    private SearchService(Options options, SearchBackend backend, FeedbackLog log, List<ReadinessCheck> checks,
            byte[] page) {
        this.options = options;
        this.backend = backend;
        this.log = log;
        this.checks = checks;
        this.page = page;
    }

    /**
     * Starts the service with the default readiness checks (model, feedback log) and no request
     * observer. The backend and the log stay owned by the caller: close the service first, then them.
     */
    public static SearchService start(Options options, SearchBackend backend, FeedbackLog log) {
        return start(options, backend, log, List.of(), RequestObserver.NONE);
    }

    /**
     * Starts the service on all interfaces.
     *
     * @param extraChecks readiness checks besides the model's and the feedback log's (Qdrant's, say)
     * @param observer sees the outcome of every request (metrics)
     * @throws UncheckedIOException when the port cannot be bound
     */
    public static SearchService start(Options options, SearchBackend backend, FeedbackLog log,
            List<ReadinessCheck> extraChecks, RequestObserver observer) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(log, "log");
        List<ReadinessCheck> checks = new ArrayList<>();
        checks.add(ReadinessCheck.of("kafka", log::problem));
        checks.addAll(extraChecks);
        checks.add(ReadinessCheck.model(backend));
        SearchService service = new SearchService(options, backend, log, List.copyOf(checks), loadPage());
        service.server = JsonHttpServer.start(new JsonHttpServer.Settings(options.port(), options.threads(),
                options.queueCapacity(), MAX_BODY_BYTES, options.idleTimeout(), options.readTimeout()),
                service.routes(), observer);
        LOG.info("search service listening on port {} ({} threads, max k {}, clicks accepted for {} s after a search, "
                + "idle timeout {} ms, read timeout {} ms)", service.port(), options.threads(), options.maxK(),
                options.queryTtl().toSeconds(), options.idleTimeout().toMillis(), options.readTimeout().toMillis());
        if (options.tokens().isProcessLocal()) {
            LOG.warn("search.click-key is not set: click tokens are signed with a random key of this process, so "
                    + "clicks are accepted only by this instance and only until it restarts; set the same "
                    + "search.click-key on every search instance");
        }
        return service;
    }

    /** Every route of the service: the one place where paths meet handlers. */
    private Routes routes() {
        Reply pageReply = new Reply(200, "text/html; charset=utf-8", page, Map.of(), null);
        return new Routes()
                .get("/", r -> pageReply)
                .get("/index.html", r -> pageReply)
                .get("/search", this::search)
                .post("/clicks", r -> click(r.body()))
                .get("/health", r -> Reply.json(200, new HealthAnswer("ok")))
                .get("/ready", r -> ready());
    }

    /** The port the service listens on (the bound one when {@link Options#port()} was 0). */
    public int port() {
        return server.port();
    }

    /** Requests being read, queued or handled now. */
    public int inFlight() {
        return server.inFlight();
    }

    /** {@code http://localhost:<port>/}. */
    public URI uri() {
        return URI.create("http://localhost:" + port() + "/");
    }

    /** Answers new requests 503, lets running ones finish (up to 5 s), then stops the server and its threads. */
    @Override
    public void close() {
        server.close();
        LOG.info("search service stopped");
    }

    // ---------------------------------------------------------------- health

    private Reply ready() {
        Map<String, String> results = new LinkedHashMap<>();
        List<String> failing = new ArrayList<>();
        for (ReadinessCheck check : checks) {
            String problem = check.problem();
            results.put(check.name(), problem == null ? "ok" : problem);
            if (problem != null) {
                failing.add(check.name());
            }
        }
        String version = null;
        try {
            version = backend.modelVersion();
        } catch (RuntimeException e) {
            // reported by the model check
        }
        if (failing.isEmpty()) {
            return Reply.json(200, new ReadyAnswer(null, "ready", version, results));
        }
        LOG.debug("not ready: {}", results);
        return Reply.json(503, new ReadyAnswer("not ready: " + String.join(", ", failing), "not ready", version, results));
    }

    // ---------------------------------------------------------------- search

    private Reply search(ApiRequest request) {
        Map<String, String> params = request.params();
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
        String candidateVersion = null;
        List<Hit> shown;
        List<String> teams = null;
        try {
            // an impression's coins (whether it interleaves, and team-draft's) follow its session and query
            java.util.random.RandomGenerator coins = sessionId == null ? ThreadLocalRandom.current()
                    : Interleaving.impressionRandom(sessionId, q);
            Optional<SearchBackend.InterleavedAnswer> interleaved = interleave(coins)
                    ? backend.answerInterleaved(q, k, coins)
                    : Optional.empty();
            if (interleaved.isPresent()) {
                SearchBackend.InterleavedAnswer page = interleaved.get();
                modelVersion = page.liveVersion();
                candidateVersion = page.candidateVersion();
                shown = new ArrayList<>();
                teams = new ArrayList<>();
                Set<String> seen = new java.util.HashSet<>();
                for (int i = 0; i < page.hits().size() && shown.size() < k; i++) {
                    if (seen.add(page.hits().get(i).docId())) {
                        shown.add(page.hits().get(i));
                        teams.add(page.teams().get(i));
                    }
                }
            } else {
                SearchBackend.Answer answer = backend.answer(q, k);
                shown = onePerDocument(answer.hits(), k);
                modelVersion = answer.modelVersion();
            }
        } catch (Qdrant.QdrantException e) {
            LOG.warn("search failed, the index is unavailable: {}", e.getMessage());
            throw new HttpError(503, "the search index is unavailable; try again later");
        }
        String queryId = UUID.randomUUID().toString();
        long now = options.clock().millis();
        List<Impression.Result> results = new ArrayList<>(shown.size());
        List<RankedHit> ranked = new ArrayList<>(shown.size());
        List<String> docIds = new ArrayList<>(shown.size());
        for (int i = 0; i < shown.size(); i++) {
            Hit h = shown.get(i);
            results.add(new Impression.Result(h.docId(), i + 1, exact(h.score()), teams == null ? null : teams.get(i)));
            ranked.add(new RankedHit(h.docId(), h.chunk(), h.score(), h.title(), h.snippet(), i + 1));
            docIds.add(h.docId());
        }
        try {
            log.impression(new Impression(queryId, q, userId, sessionId, modelVersion, results, now, candidateVersion));
        } catch (FeedbackLog.UnavailableException e) {
            LOG.warn("impression {} not written, search not answered: {}", queryId, e.getMessage());
            throw new HttpError(503, "the feedback log is unavailable; the search could not be recorded, try again later");
        }
        // signed only once the impression is written: a click must never precede its impression
        String token = options.tokens().sign(new ClickTokens.Claims(queryId, docIds, modelVersion,
                now + options.queryTtl().toMillis()));
        return Reply.json(200, new SearchAnswer(queryId, modelVersion, ranked, token)).withQueryId(queryId);
    }

    /** Whether this search is one of the {@code interleaveFraction} that interleave (when there is a candidate). */
    private boolean interleave(java.util.random.RandomGenerator coins) {
        double f = options.interleaveFraction();
        return f > 0 && (f >= 1 || coins.nextDouble() < f);
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
            throw new HttpError(400, "body must be a JSON object {\"click_token\", \"doc_id\", \"dwell_ms\"?}");
        }
        JsonNode tokenNode = node.get("click_token");
        if (tokenNode == null || tokenNode.isNull()) {
            throw new HttpError(400, "click_token is missing: send the click_token of the search answer");
        }
        if (!tokenNode.isTextual() || tokenNode.asText().isBlank()) {
            throw new HttpError(400, "click_token must be a non-blank string");
        }
        String token = tokenNode.asText();
        String docId = requiredText(node, "doc_id");
        String givenQueryId = optionalText(node, "query_id");
        Long dwellMs = null;
        JsonNode dwell = node.get("dwell_ms");
        if (dwell != null && !dwell.isNull()) {
            if (!dwell.isIntegralNumber() || !dwell.canConvertToLong() || dwell.asLong() < 0) {
                throw new HttpError(400, "dwell_ms must be a non-negative integer (milliseconds)");
            }
            dwellMs = dwell.asLong();
        }
        long now = options.clock().millis();
        ClickTokens.Verification verification = options.tokens().verify(token, now);
        if (verification instanceof ClickTokens.Verification.Invalid invalid) {
            String key = invalid.claimedQueryId() != null ? invalid.claimedQueryId() : givenQueryId;
            return refuse(FeedbackError.NO_IMPRESSION, invalid.reason(), key, body, now, 404,
                    "invalid click_token: not issued by this search service, or altered");
        }
        if (verification instanceof ClickTokens.Verification.Expired expired) {
            return refuse(FeedbackError.LATE, "click_token expired at " + expired.claims().expiresAt()
                    + "; clicks are accepted for " + options.queryTtl().toMillis() + " ms after the search",
                    expired.claims().queryId(), body, now, 404,
                    "click_token expired: clicks are accepted for " + options.queryTtl().toSeconds() + " s after the search");
        }
        ClickTokens.Claims claims = ((ClickTokens.Verification.Valid) verification).claims();
        String queryId = claims.queryId();
        if (givenQueryId != null && !givenQueryId.equals(queryId)) {
            return refuse(FeedbackError.NO_IMPRESSION, "query_id does not match the click_token's", givenQueryId, body,
                    now, 404, "query_id does not match the click_token");
        }
        int rank = claims.rankOf(docId);
        if (rank == 0) {
            return refuse(FeedbackError.NOT_SHOWN, "the search did not show this doc_id", queryId, body, now, 422,
                    "doc_id was not shown for this query_id");
        }
        try {
            log.click(new Click(queryId, docId, rank, dwellMs, now));
        } catch (FeedbackLog.UnavailableException e) {
            LOG.warn("click of {} not written: {}", queryId, e.getMessage());
            throw new HttpError(503, "the feedback log is unavailable; the click was not recorded, try again later");
        }
        return Reply.json(202, new ClickAnswer("recorded", queryId, rank)).withQueryId(queryId);
    }

    private static String requiredText(JsonNode node, String field) {
        String value = optionalText(node, field);
        if (value == null) {
            throw new HttpError(400, field + " is missing");
        }
        return value;
    }

    private static String optionalText(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
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
}
