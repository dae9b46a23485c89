package dev.embedloop.search;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embedloop.events.Click;
import dev.embedloop.events.DeadLetter;
import dev.embedloop.events.Impression;
import dev.embedloop.events.Json;
import dev.embedloop.qdrant.Qdrant;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The HTTP contract of {@link SearchService} over real HTTP, with a fake backend and the in-memory
 * feedback log: answers, published events, every refusal, and behaviour under parallel clients.
 */
class SearchServiceTest {

    private static final Duration TTL = Duration.ofMinutes(30);
    private static final int MAX_K = 20;

    private final MutableClock clock = new MutableClock(Instant.parse("2025-06-01T12:00:00Z"));
    private final FakeSearchBackend backend = FakeSearchBackend.aeronautics();
    private final InMemoryFeedbackLog log = new InMemoryFeedbackLog();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private SearchService service;

    @BeforeEach
    void start() {
        service = SearchService.start(SearchService.Options.of(0, MAX_K, TTL, "clicks", clock), backend, log);
    }

    @AfterEach
    void stop() {
        service.close();
    }

    // ---------------------------------------------------------------- search

    @Test
    void shouldAnswerASearchWithRankedHitsAndPublishOneImpression() throws Exception {
        HttpResponse<String> res = get("/search?q=how+do+wings+lift%3F&k=3&user_id=u-7&session_id=s-1");

        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
        JsonNode body = json(res);
        String queryId = body.get("query_id").asText();
        assertThat(queryId).matches("[0-9a-f-]{36}");
        assertThat(body.get("model_version").asText()).isEqualTo(FakeSearchBackend.MODEL_VERSION);
        JsonNode hits = body.get("hits");
        assertThat(hits).hasSize(3);
        assertThat(hits.get(0).get("doc_id").asText()).isEqualTo("wing-lift");
        assertThat(hits.get(0).get("rank").asInt()).isEqualTo(1);
        assertThat(hits.get(0).get("title").asText()).isEqualTo("How a wing produces lift");
        assertThat(hits.get(0).get("snippet").asText()).startsWith("A wing deflects air");
        assertThat(hits.get(0).get("chunk").asInt()).isZero();
        assertThat(hits.get(0).get("score").asDouble()).isEqualTo(0.9);
        assertThat(hits.get(2).get("rank").asInt()).isEqualTo(3);
        assertThat(hits.get(2).get("doc_id").asText()).isEqualTo("boundary-layer");

        assertThat(log.impressions).hasSize(1);
        Impression imp = log.impressions.get(0);
        assertThat(imp.queryId()).isEqualTo(queryId);
        assertThat(imp.query()).isEqualTo("how do wings lift?");
        assertThat(imp.userId()).isEqualTo("u-7");
        assertThat(imp.sessionId()).isEqualTo("s-1");
        assertThat(imp.modelVersion()).isEqualTo(FakeSearchBackend.MODEL_VERSION);
        assertThat(imp.timestamp()).isEqualTo(clock.millis());
        assertThat(imp.results()).containsExactly(
                new Impression.Result("wing-lift", 1, 0.9),
                new Impression.Result("flutter", 2, 0.8),
                new Impression.Result("boundary-layer", 3, 0.7));
    }

    @Test
    void shouldUseTenHitsByDefaultAndLeaveOutAbsentUserAndSession() throws Exception {
        HttpResponse<String> res = get("/search?q=wing");
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(json(res).get("hits")).hasSize(5); // the fake has only five documents
        Impression imp = log.impressions.get(0);
        assertThat(imp.userId()).isNull();
        assertThat(imp.sessionId()).isNull();
        assertThat(Json.writeString(imp)).doesNotContain("user_id").doesNotContain("session_id");
    }

    @Test
    void shouldShowEachDocumentOnceEvenWhenTheBackendRepeatsIt() throws Exception {
        service.close();
        FakeSearchBackend repeating = new FakeSearchBackend(List.of(
                new Hit("a", 2, 0.9f, "A", null), new Hit("a", 0, 0.8f, "A", null), new Hit("b", 0, 0.7f, null, null)));
        service = SearchService.start(SearchService.Options.of(0, MAX_K, TTL, "clicks", clock).withThreads(2), repeating, log);

        JsonNode hits = json(get("/search?q=x&k=3")).get("hits");

        assertThat(hits).hasSize(2);
        assertThat(hits.get(0).get("chunk").asInt()).isEqualTo(2);
        assertThat(hits.get(1).get("doc_id").asText()).isEqualTo("b");
        assertThat(hits.get(1).get("rank").asInt()).isEqualTo(2);
        assertThat(hits.get(1).has("title")).as("unknown title left out").isFalse();
        assertThat(log.impressions.get(0).results()).extracting(Impression.Result::rank).containsExactly(1, 2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/search", "/search?q=", "/search?q=+++", "/search?k=3", "/search?q=wing&k=abc",
            "/search?q=wing&k=0", "/search?q=wing&k=-1", "/search?q=wing&k=21", "/search?q=wing&k=99999999999"})
    void shouldRefuseBadSearchParametersWith400(String path) throws Exception {
        HttpResponse<String> res = get(path);

        assertThat(res.statusCode()).isEqualTo(400);
        assertThat(json(res).get("error").asText()).isNotBlank();
        assertThat(log.impressions).isEmpty();
        assertThat(backend.calls()).isZero();
    }

    @Test
    void shouldRefuseABrokenRequestTargetWith400AndStayUp() throws Exception {
        // java.net.URI refuses to build these, so they go over a plain socket
        assertThat(rawStatusLine("/search?q=%E0%A4%A")).startsWith("HTTP/1.1 400");
        assertThat(rawStatusLine("/search?q=wing&user_id=%zz")).startsWith("HTTP/1.1 400");
        assertThat(log.impressions).isEmpty();
        assertThat(get("/search?q=wing").statusCode()).isEqualTo(200);
    }

    @Test
    void shouldNameTheRuleABadKBreaks() throws Exception {
        assertThat(json(get("/search?q=wing&k=21")).get("error").asText())
                .isEqualTo("k must be an integer between 1 and " + MAX_K);
        assertThat(json(get("/search?q=")).get("error").asText()).startsWith("missing query");
    }

    @Test
    void shouldRefuseAnOverlongQuery() throws Exception {
        HttpResponse<String> res = get("/search?q=" + "a".repeat(SearchService.MAX_QUERY_CHARS + 1));
        assertThat(res.statusCode()).isEqualTo(400);
        assertThat(json(res).get("error").asText()).contains("too long");
    }

    @Test
    void shouldAnswer503WhenTheIndexIsUnavailableAndRecoverAfterwards() throws Exception {
        backend.failWith(() -> new Qdrant.QdrantException("query docs failed: UNAVAILABLE io exception", null, true));
        HttpResponse<String> res = get("/search?q=wing");
        assertThat(res.statusCode()).isEqualTo(503);
        assertThat(json(res).get("error").asText()).contains("index is unavailable");
        assertThat(log.impressions).isEmpty();

        backend.failWith(null);
        assertThat(get("/search?q=wing").statusCode()).isEqualTo(200);
    }

    @Test
    void shouldAnswer500ForAnUnexpectedFailureAndStayUp() throws Exception {
        backend.failWith(() -> new IllegalStateException("boom"));
        HttpResponse<String> res = get("/search?q=wing");
        assertThat(res.statusCode()).isEqualTo(500);
        assertThat(json(res).get("error").asText()).isEqualTo("internal error");

        backend.failWith(null);
        assertThat(get("/search?q=wing").statusCode()).isEqualTo(200);
    }

    @Test
    void shouldNotAnswerASearchWhoseImpressionCannotBeWritten() throws Exception {
        log.unavailable(true);
        HttpResponse<String> res = get("/search?q=wing");
        assertThat(res.statusCode()).isEqualTo(503);
        assertThat(json(res).get("error").asText()).contains("feedback log is unavailable");
        assertThat(res.body()).doesNotContain("click_token");
    }

    // ---------------------------------------------------------------- clicks

    @Test
    void shouldRecordAClickWithTheRankOfItsImpression() throws Exception {
        JsonNode answer = searchFor("wing");
        String queryId = answer.get("query_id").asText();
        clock.advance(Duration.ofSeconds(20));

        HttpResponse<String> res = post("/clicks", clickBody(answer, "flutter", ",\"dwell_ms\":12500"));

        assertThat(res.statusCode()).isEqualTo(202);
        assertThat(res.body()).isEqualTo("{\"status\":\"recorded\",\"query_id\":\"" + queryId + "\",\"rank\":2}");
        assertThat(log.clicks).containsExactly(new Click(queryId, "flutter", 2, 12_500L, clock.millis()));
        assertThat(log.deadLetters).isEmpty();
    }

    @Test
    void shouldRecordAClickWithoutDwellTimeAsUnknownDwell() throws Exception {
        JsonNode answer = searchFor("wing");

        HttpResponse<String> res = post("/clicks", clickBody(answer, "stall", ",\"dwell_ms\":null,\"rank\":1,\"extra\":true"));

        assertThat(res.statusCode()).isEqualTo(202);
        assertThat(log.clicks).singleElement().satisfies(c -> {
            assertThat(c.rank()).as("the impression's rank, not the client's").isEqualTo(4);
            assertThat(c.dwellMs()).isNull();
        });
    }

    @Test
    void shouldAcceptAClickOnAnotherInstanceAndAfterARestartWithTheSharedKey() throws Exception {
        service.close();
        SearchService.Options shared = SearchService.Options.of(0, MAX_K, TTL, "clicks", clock)
                .withTokens(ClickTokens.withKeys(key('k'), null));
        service = SearchService.start(shared, backend, log);
        JsonNode first = searchFor("wing");
        JsonNode second = searchFor("flutter");
        service.close();
        service = SearchService.start(shared, backend, log); // "restarted": nothing of the searches in memory
        SearchService other = SearchService.start(shared.withTokens(ClickTokens.withKeys(key('n'), key('k'))),
                backend, log); // already rotated: the old key is its previous one
        try {
            assertThat(post("/clicks", clickBody(first, "flutter", "")).statusCode()).isEqualTo(202);
            HttpResponse<String> onOther = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + other.port() + "/clicks"))
                    .POST(HttpRequest.BodyPublishers.ofString(clickBody(second, "stall", ""))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(onOther.statusCode()).isEqualTo(202);
        } finally {
            other.close();
        }
        assertThat(log.clicks).extracting(Click::queryId, Click::docId, Click::rank).containsExactly(
                org.assertj.core.groups.Tuple.tuple(first.get("query_id").asText(), "flutter", 2),
                org.assertj.core.groups.Tuple.tuple(second.get("query_id").asText(), "stall", 4));
        assertThat(log.deadLetters).isEmpty();
    }

    @Test
    void shouldRefuseATokenOfAnotherInstanceWhenNoKeyIsShared() throws Exception {
        JsonNode answer = searchFor("wing");
        service.close();
        service = SearchService.start(SearchService.Options.of(0, MAX_K, TTL, "clicks", clock), backend, log);
        assertThat(post("/clicks", clickBody(answer, "flutter", "")).statusCode()).isEqualTo(404);
        assertThat(log.deadLetters).singleElement().satisfies(l -> assertThat(l.error()).isEqualTo("NO_IMPRESSION"));
    }

    @Test
    void shouldRefuseAClickWithAForgedTokenAndDeadLetterIt() throws Exception {
        ClickTokens otherKey = ClickTokens.withKeys(key('x'), null);
        String forged = otherKey.sign(new ClickTokens.Claims("q-forged", List.of("flutter"), "m", clock.millis() + 60_000));
        String body = "{\"click_token\":\"" + forged + "\",\"doc_id\":\"flutter\"}";

        HttpResponse<String> res = post("/clicks", body);

        assertThat(res.statusCode()).isEqualTo(404);
        assertThat(json(res).get("error").asText()).startsWith("invalid click_token");
        assertThat(log.clicks).isEmpty();
        DeadLetter letter = log.deadLetters.get(0);
        assertThat(log.deadLetters).hasSize(1);
        assertThat(letter.error()).isEqualTo("NO_IMPRESSION");
        assertThat(letter.reason()).startsWith("no_impression: click_token signature does not match");
        assertThat(letter.key()).as("the claimed query id, for tracing").isEqualTo("q-forged");
        assertThat(letter.topic()).isEqualTo("clicks");
        assertThat(letter.partition()).isEqualTo(-1);
        assertThat(letter.offset()).isEqualTo(-1);
        assertThat(letter.timestamp()).isEqualTo(clock.millis());
        assertThat(new String(Base64.getDecoder().decode(letter.valueBase64()), StandardCharsets.UTF_8)).isEqualTo(body);
    }

    @Test
    void shouldRefuseAClickWhoseTokenWasAlteredToShowAnotherDocument() throws Exception {
        JsonNode answer = json(get("/search?q=wing&k=2"));
        String[] parts = answer.get("click_token").asText().split("\\.");
        String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
        String altered = parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(
                payload.replace("\"flutter\"", "\"sourdough\"").getBytes(StandardCharsets.UTF_8)) + "." + parts[2];

        HttpResponse<String> res = post("/clicks", "{\"click_token\":\"" + altered + "\",\"doc_id\":\"sourdough\"}");

        assertThat(res.statusCode()).isEqualTo(404);
        assertThat(log.clicks).isEmpty();
        assertThat(log.deadLetters).singleElement().satisfies(l -> {
            assertThat(l.error()).isEqualTo("NO_IMPRESSION");
            assertThat(l.key()).isEqualTo(answer.get("query_id").asText());
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"garbage", "v1.x", "v2.abc.def", "v1.***.***", "v1..", "v1.e30.AAAA"})
    void shouldRefuseAMalformedTokenWith404AndDeadLetterIt(String token) throws Exception {
        HttpResponse<String> res = post("/clicks", "{\"click_token\":\"" + token + "\",\"doc_id\":\"a\",\"query_id\":\"q-1\"}");

        assertThat(res.statusCode()).isEqualTo(404);
        assertThat(json(res).get("error").asText()).startsWith("invalid click_token");
        assertThat(log.deadLetters).singleElement().satisfies(l -> {
            assertThat(l.error()).isEqualTo("NO_IMPRESSION");
            assertThat(l.key()).isEqualTo("q-1");
        });
    }

    @Test
    void shouldRefuseAClickWhoseQueryIdIsNotTheTokens() throws Exception {
        JsonNode answer = searchFor("wing");
        HttpResponse<String> res = post("/clicks", "{\"click_token\":\"" + answer.get("click_token").asText()
                + "\",\"query_id\":\"another\",\"doc_id\":\"flutter\"}");
        assertThat(res.statusCode()).isEqualTo(404);
        assertThat(log.clicks).isEmpty();
        assertThat(log.deadLetters).singleElement().satisfies(l -> assertThat(l.error()).isEqualTo("NO_IMPRESSION"));
    }

    @Test
    void shouldRefuseAClickAfterItsTokenExpiredAndDeadLetterItAsLate() throws Exception {
        JsonNode answer = searchFor("wing");
        String queryId = answer.get("query_id").asText();
        clock.advance(TTL);

        HttpResponse<String> res = post("/clicks", clickBody(answer, "flutter", ",\"dwell_ms\":5"));

        assertThat(res.statusCode()).isEqualTo(404);
        assertThat(json(res).get("error").asText()).startsWith("click_token expired");
        assertThat(log.clicks).isEmpty();
        assertThat(log.deadLetters).singleElement().satisfies(l -> {
            assertThat(l.error()).isEqualTo("LATE");
            assertThat(l.reason()).startsWith("late: click_token expired");
            assertThat(l.key()).isEqualTo(queryId);
        });
    }

    @Test
    void shouldAcceptAClickJustBeforeItsTokenExpires() throws Exception {
        JsonNode answer = searchFor("wing");
        clock.advance(TTL.minusMillis(1));
        assertThat(post("/clicks", clickBody(answer, "flutter", "")).statusCode()).isEqualTo(202);
    }

    @Test
    void shouldRefuseAClickOnADocumentTheSearchDidNotShowWith422() throws Exception {
        JsonNode answer = json(get("/search?q=wing&k=2"));

        HttpResponse<String> res = post("/clicks", clickBody(answer, "sourdough", ""));

        assertThat(res.statusCode()).isEqualTo(422);
        assertThat(json(res).get("error").asText()).isEqualTo("doc_id was not shown for this query_id");
        assertThat(log.clicks).isEmpty();
        assertThat(log.deadLetters).singleElement().satisfies(l -> {
            assertThat(l.error()).isEqualTo("NOT_SHOWN");
            assertThat(l.reason()).startsWith("not_shown: ");
            assertThat(l.key()).isEqualTo(answer.get("query_id").asText());
        });
    }

    @Test
    void shouldStillAnswerARefusedClickWhenItsDeadLetterCannotBeWritten() throws Exception {
        log.unavailable(true);
        assertThat(post("/clicks", "{\"click_token\":\"nope\",\"doc_id\":\"a\"}").statusCode()).isEqualTo(404);
    }

    @Test
    void shouldAnswer503WhenAClickCannotBeWritten() throws Exception {
        JsonNode answer = searchFor("wing");
        log.unavailable(true);
        HttpResponse<String> res = post("/clicks", clickBody(answer, "flutter", ""));
        assertThat(res.statusCode()).isEqualTo(503);
        assertThat(json(res).get("error").asText()).contains("click was not recorded");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "not json", "{\"click_token\": ", "[1, 2]", "\"text\"", "{}",
            "{\"doc_id\":\"a\"}", "{\"query_id\":\"q\",\"doc_id\":\"a\"}", "{\"click_token\":\"t\"}",
            "{\"click_token\":\" \",\"doc_id\":\"a\"}", "{\"click_token\":7,\"doc_id\":\"a\"}",
            "{\"click_token\":\"t\",\"doc_id\":[\"a\"]}", "{\"click_token\":\"t\",\"query_id\":3,\"doc_id\":\"a\"}",
            "{\"click_token\":\"t\",\"doc_id\":\"a\",\"dwell_ms\":-1}", "{\"click_token\":\"t\",\"doc_id\":\"a\",\"dwell_ms\":\"5\"}",
            "{\"click_token\":\"t\",\"doc_id\":\"a\",\"dwell_ms\":1.5}", "{\"click_token\":\"t\",\"doc_id\":\"a\"} trailing"})
    void shouldRefuseBadClickBodiesWith400(String body) throws Exception {
        HttpResponse<String> res = post("/clicks", body);

        assertThat(res.statusCode()).isEqualTo(400);
        assertThat(json(res).get("error").asText()).isNotBlank();
        assertThat(log.clicks).isEmpty();
        assertThat(log.deadLetters).as("malformed requests are answered, not dead-lettered").isEmpty();
    }

    @Test
    void shouldRefuseAnOversizedBodyWith413() throws Exception {
        String big = "{\"query_id\":\"" + "x".repeat(100_000) + "\",\"doc_id\":\"a\"}";

        HttpResponse<String> res = post("/clicks", big);

        assertThat(res.statusCode()).isEqualTo(413);
        assertThat(json(res).get("error").asText()).contains("at most " + SearchService.MAX_BODY_BYTES + " bytes");
        assertThat(get("/health").statusCode()).isEqualTo(200);
    }

    @Test
    void shouldRefuseAnOversizedChunkedBodyWith413() throws Exception {
        byte[] big = new byte[SearchService.MAX_BODY_BYTES + 10];
        HttpRequest req = HttpRequest.newBuilder(uri("/clicks"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big)))
                .build();

        HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());

        assertThat(res.statusCode()).isEqualTo(413);
    }

    // ---------------------------------------------------------------- routing

    @Test
    void shouldAnswer405WithAllowForAWrongMethod() throws Exception {
        HttpResponse<String> postSearch = post("/search?q=wing", "{}");
        assertThat(postSearch.statusCode()).isEqualTo(405);
        assertThat(postSearch.headers().firstValue("Allow")).hasValue("GET, HEAD");
        assertThat(json(postSearch).get("error").asText()).contains("use GET");

        HttpResponse<String> getClicks = get("/clicks");
        assertThat(getClicks.statusCode()).isEqualTo(405);
        assertThat(getClicks.headers().firstValue("Allow")).hasValue("POST");

        HttpResponse<String> deleteHealth = http.send(HttpRequest.newBuilder(uri("/health")).DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(deleteHealth.statusCode()).isEqualTo(405);
        assertThat(log.impressions).isEmpty();
    }

    @Test
    void shouldAnswer404ForAnUnknownPath() throws Exception {
        HttpResponse<String> res = get("/nothing/here");
        assertThat(res.statusCode()).isEqualTo(404);
        assertThat(json(res).get("error").asText()).startsWith("no such resource: /nothing/here");
        assertThat(get("/search/").statusCode()).isEqualTo(404);
    }

    @Test
    void shouldServeTheSearchPageAndTheHealth() throws Exception {
        HttpResponse<String> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.body()).contains("<form id=\"search-form\"").contains("/clicks");

        HttpResponse<String> health = get("/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("{\"status\":\"ok\"}");

        HttpResponse<Void> head = http.send(HttpRequest.newBuilder(uri("/health")).method("HEAD",
                HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertThat(head.statusCode()).isEqualTo(200);
    }

    @Test
    void shouldKeepTheConnectionAliveAcrossAnswersAndRefusals() throws Exception {
        // HttpServer drops a kept-alive connection when an answer completes before the request body
        // was read to its end; a client then fails on its next request over that connection
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", service.port())) {
            socket.setSoTimeout(10_000);
            var in = new java.io.BufferedInputStream(socket.getInputStream());
            var out = socket.getOutputStream();
            for (int round = 0; round < 20; round++) {
                assertThat(exchange(in, out, "GET /health", "")).startsWith("HTTP/1.1 200");
                assertThat(exchange(in, out, "POST /search?q=wing", "{\"unread\": true}")).startsWith("HTTP/1.1 405");
                assertThat(exchange(in, out, "GET /search?q=wing", "")).startsWith("HTTP/1.1 200");
                assertThat(exchange(in, out, "POST /clicks", "not json")).startsWith("HTTP/1.1 400");
            }
        }
    }

    /** One request on a kept-alive raw connection; the status line of the answer, whose body is read. */
    private static String exchange(java.io.InputStream in, java.io.OutputStream out, String requestLine, String body)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        // one write: head and body in one segment
        out.write((requestLine + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + bytes.length + "\r\n\r\n" + body)
                .getBytes(StandardCharsets.UTF_8));
        out.flush();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed by the server after " + head.length() + " bytes of " + requestLine);
            }
            head.append((char) b);
        }
        int length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring("content-length:".length()).trim());
            }
        }
        in.readNBytes(length);
        return head.substring(0, head.indexOf("\r\n"));
    }

    // ---------------------------------------------------------------- concurrency and logs

    @Test
    void shouldServeParallelClientsOnABoundedPool() throws Exception {
        int clients = 16;
        int searchesEach = 10;
        backend.holdUntilConcurrent(8); // the first 8 searches wait until 8 run at once
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<List<String>>> results = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                results.add(pool.submit((Callable<List<String>>) () -> {
                    List<String> ids = new ArrayList<>();
                    for (int i = 0; i < searchesEach; i++) {
                        HttpResponse<String> res = get("/search?q=wing&k=3");
                        assertThat(res.statusCode()).isEqualTo(200);
                        String queryId = json(res).get("query_id").asText();
                        HttpResponse<String> click = post("/clicks", clickBody(json(res), "boundary-layer", ",\"dwell_ms\":100"));
                        assertThat(click.statusCode()).isEqualTo(202);
                        ids.add(queryId);
                    }
                    return ids;
                }));
            }
            List<String> all = new ArrayList<>();
            for (Future<List<String>> f : results) {
                all.addAll(f.get(60, TimeUnit.SECONDS));
            }
            assertThat(all).hasSize(clients * searchesEach).doesNotHaveDuplicates();
        } finally {
            pool.shutdownNow();
        }
        assertThat(backend.maxInFlight()).as("searches at once: the pool's 8 threads, no more").isEqualTo(8);
        assertThat(log.impressions).hasSize(clients * searchesEach);
        assertThat(log.impressions).allSatisfy(imp ->
                assertThat(imp.results()).extracting(Impression.Result::rank).containsExactly(1, 2, 3));
        assertThat(log.clicks).hasSize(clients * searchesEach).allSatisfy(c -> assertThat(c.rank()).isEqualTo(3));
        assertThat(log.deadLetters).isEmpty();
    }

    @Test
    void shouldNeverLogQueryText() throws Exception {
        String secret = "confidential merger plans";
        List<String> lines = new ArrayList<>();
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        Configurator.setLevel("dev.embedloop.search", Level.DEBUG);
        AbstractAppender capture = new AbstractAppender("capture-search", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                synchronized (lines) {
                    lines.add(event.getMessage().getFormattedMessage()
                            + (event.getThrown() == null ? "" : " " + event.getThrown()));
                }
            }
        };
        capture.start();
        LoggerConfig config = ctx.getConfiguration().getLoggerConfig("dev.embedloop.search");
        config.addAppender(capture, Level.DEBUG, null);
        ctx.updateLoggers();
        try {
            String q = "/search?q=" + secret.replace(' ', '+');
            post("/clicks", clickBody(json(get(q)), "flutter", ""));
            backend.failWith(() -> new Qdrant.QdrantException("query docs failed: UNAVAILABLE", null, true));
            get(q);
            backend.failWith(() -> new IllegalStateException("encoder broke"));
            get(q);
        } finally {
            config.removeAppender("capture-search");
            Configurator.setLevel("dev.embedloop.search", Level.INFO);
            capture.stop();
        }
        synchronized (lines) {
            assertThat(lines).as("the requests were logged").anyMatch(l -> l.contains("/search -> 200"));
            assertThat(lines).anyMatch(l -> l.contains("-> 503"));
            assertThat(lines).noneMatch(l -> l.contains("confidential") || l.contains("merger"));
        }
    }

    // ---------------------------------------------------------------- helpers

    private JsonNode searchFor(String q) throws IOException, InterruptedException {
        HttpResponse<String> res = get("/search?q=" + q);
        assertThat(res.statusCode()).isEqualTo(200);
        return json(res);
    }

    /** A click body for {@code docId} with the search answer's token; {@code extra} is appended inside the object. */
    static String clickBody(JsonNode answer, String docId, String extra) {
        return "{\"click_token\":\"" + answer.get("click_token").asText() + "\",\"doc_id\":\"" + docId + "\"" + extra + "}";
    }

    static byte[] key(char c) {
        return String.valueOf(c).repeat(ClickTokens.MIN_KEY_BYTES).getBytes(StandardCharsets.US_ASCII);
    }

    private URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + service.port() + pathAndQuery);
    }

    private HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String pathAndQuery, String body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private String rawStatusLine(String target) throws IOException {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", service.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return answer.lines().findFirst().orElse("");
        }
    }

    private static JsonNode json(HttpResponse<String> res) throws IOException {
        return Json.MAPPER.readTree(res.body());
    }
}
