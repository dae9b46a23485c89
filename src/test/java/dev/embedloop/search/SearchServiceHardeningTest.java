package dev.embedloop.search;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embedloop.events.Json;
import dev.embedloop.testing.Await;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The search service against hostile or broken clients, over raw sockets: clients that stall or
 * trickle do not starve the others, timeouts close them, every malformed request gets a JSON 4xx,
 * a full queue answers 503 at once, and {@code /ready} tells the truth.
 */
class SearchServiceHardeningTest {

    private static final int WORKERS = 4;

    private final FakeSearchBackend backend = FakeSearchBackend.aeronautics();
    private final InMemoryFeedbackLog log = new InMemoryFeedbackLog();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<Socket> sockets = new ArrayList<>();
    private final List<String> observed = new CopyOnWriteArrayList<>();
    private SearchService service;

    private void start(SearchService.Options options, List<ReadinessCheck> checks) {
        service = SearchService.start(options, backend, log, checks,
                (method, route, status, nanos) -> observed.add(method + " " + route + " " + status));
    }

    private static SearchService.Options options() {
        return SearchService.Options.of(0, 20, Duration.ofMinutes(10), "clicks", Clock.systemUTC()).withThreads(WORKERS);
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        if (service != null) {
            service.close();
        }
    }

    @Test
    void shouldAnswerOthersWithinASecondWhileFourTimesTheWorkersStallOrTrickle() throws Exception {
        start(options().withTimeouts(Duration.ofSeconds(30), Duration.ofSeconds(2)), List.of());
        List<Socket> stalledBodies = new ArrayList<>();
        for (int i = 0; i < 2 * WORKERS; i++) {
            // the attack: headers announce 100 bytes, one arrives, the rest never does
            stalledBodies.add(send("POST /clicks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100\r\n\r\n{"));
        }
        for (int i = 0; i < 2 * WORKERS; i++) {
            send("GET /search?q=wing HTTP/1.1\r\nHost: x\r\nX-Slow: "); // headers never finished
        }

        long worst = 0;
        for (int i = 0; i < 10; i++) {
            long t0 = System.nanoTime();
            assertThat(get(i % 2 == 0 ? "/search?q=wing&k=3" : "/health").statusCode()).isEqualTo(200);
            worst = Math.max(worst, System.nanoTime() - t0);
        }
        assertThat(Duration.ofNanos(worst)).as("slowest answer while %d clients stall", 4 * WORKERS)
                .isLessThan(Duration.ofSeconds(1));

        // the read timeout ends the stalled bodies: 408, JSON, connection closed
        for (Socket s : stalledBodies) {
            String answer = readUntilClosed(s, Duration.ofSeconds(10));
            assertThat(answer).startsWith("HTTP/1.1 408");
            assertThat(jsonBody(answer).get("error").asText()).contains("did not arrive within 2000 ms");
        }
        assertThat(log.clicks).isEmpty();
    }

    @Test
    void shouldCloseIdleAndHalfSentConnectionsAfterTheIdleTimeout() throws Exception {
        start(options().withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(30)), List.of());
        Socket silent = send("");
        Socket halfHeaders = send("GET /health HTTP/1.1\r\nHo");

        long t0 = System.nanoTime();
        readUntilClosed(silent, Duration.ofSeconds(5));
        readUntilClosed(halfHeaders, Duration.ofSeconds(5));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(4));
        assertThat(get("/health").statusCode()).isEqualTo(200);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            bad percent-encoding in q          | GET /search?q=%ZZ HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n                              | 400
            truncated UTF-8 escape             | GET /search?q=%E0%A4%A HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n                       | 400
            bad percent-encoding in user_id    | GET /search?q=wing&user_id=%zz HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n               | 400
            bad percent-encoding in the path   | GET /se%ZZarch?q=wing HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n                        | 400
            encoded dot segments               | GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n                | 400
            absolute form with bad escape      | GET http://x/search?q=%ZZ HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n                     | 400
            garbage request line               | GARBAGE\\r\\n\\r\\n                                                           | 400
            space in the target                | GET /search?q=a b HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n                            | 400
            garbage HTTP version               | GET /health FOO\\r\\nHost: x\\r\\n\\r\\n                                   | 400
            unknown HTTP version               | GET /health HTTP/9.9\\r\\nHost: x\\r\\n\\r\\n                              | 400
            HTTP/2 request line                | GET /health HTTP/2.0\\r\\nHost: x\\r\\n\\r\\n                              | 426
            no HTTP version (HTTP/0.9)         | GET /health\\r\\n\\r\\n                                                       | 400
            line break inside the target       | GET /search?q=a\\nb HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n                         | 400
            no Host header                     | GET /health HTTP/1.1\\r\\n\\r\\n                                               | 400
            bad Content-Length                 | POST /clicks HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: abc\\r\\n\\r\\n        | 400
            bad chunk size                     | POST /clicks HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\nZZ\\r\\n{}\\r\\n0\\r\\n\\r\\n | 400
            k not a number                     | GET /search?q=wing&k=1e3 HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n                     | 400
            missing q                          | GET /search HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n                                  | 400
            unknown path                       | GET /admin HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n                                   | 404
            wrong method                       | DELETE /search?q=wing HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n                        | 405
            unknown method                     | BREW /clicks HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n                                 | 405
            body not JSON                      | POST /clicks HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 4\\r\\n\\r\\n{bad  | 400
            body not UTF-8                     | POST /clicks HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 4\\r\\n\\r\\n\\u00ff\\u00fe{} | 400
            body a JSON array                  | POST /clicks HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 2\\r\\n\\r\\n[]     | 400
            announced body too large           | POST /clicks HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 100000\\r\\n\\r\\n{  | 413
            """)
    void shouldAnswerEveryMalformedRequestWithAJson4xx(String name, String raw, int status) throws Exception {
        start(options(), List.of());
        String request = raw.strip().replace("\\r\\n", "\r\n").replace("\\n", "\n").replace("\\u00ff", "\u00ff").replace("\\u00fe", "\u00fe");
        Socket s = new Socket("127.0.0.1", service.port());
        sockets.add(s);
        s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();

        String answer = readAnswer(s);

        assertThat(answer).as(name).startsWith("HTTP/1.1 " + status);
        assertThat(header(answer, "content-type")).as(name).startsWith("application/json");
        assertThat(jsonBody(answer).get("error").asText()).as(name).isNotBlank();
        assertThat(log.impressions).isEmpty();
        assertThat(get("/health").statusCode()).as("still serving after: " + name).isEqualTo(200);
    }

    @Test
    void shouldAnswerHeadersTooLargeWithJson431() throws Exception {
        start(options(), List.of());
        Socket s = send("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n");
        String answer = readAnswer(s);
        assertThat(answer).startsWith("HTTP/1.1 431");
        assertThat(jsonBody(answer).get("error").asText()).isNotBlank();
        dev.embedloop.testing.Await.until(java.time.Duration.ofSeconds(5),
                () -> observed.stream().anyMatch(o -> o.endsWith(" refused 431")), () -> "431 observed, saw " + observed);
    }

    @Test
    void shouldAnswer503AtOnceWhenWorkersAndQueueAreFull() throws Exception {
        start(new SearchService.Options(0, 20, Duration.ofMinutes(10), 1, 1, Duration.ofSeconds(30),
                Duration.ofSeconds(10), "clicks", Clock.systemUTC(), ClickTokens.randomKey()), List.of());
        CountDownLatch release = new CountDownLatch(1);
        backend.failWith(() -> {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new IllegalStateException("released");
        });
        CompletableFuture<HttpResponse<String>> running = getAsync("/search?q=a");
        awaitThat(() -> backend.calls() == 1);
        CompletableFuture<HttpResponse<String>> queued = getAsync("/search?q=b");
        awaitThat(() -> service.inFlight() == 2);

        long t0 = System.nanoTime();
        HttpResponse<String> busy = get("/health");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
        assertThat(busy.statusCode()).isEqualTo(503);
        assertThat(busy.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(json(busy).get("error").asText()).contains("busy");

        backend.failWith(null);
        release.countDown();
        assertThat(running.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(500);
        assertThat(queued.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }

    @Test
    void shouldBeReadyOnlyWhenKafkaQdrantAndTheModelAre() throws Exception {
        String[] qdrant = {null};
        start(options(), List.of(ReadinessCheck.of("qdrant", () -> qdrant[0])));

        HttpResponse<String> ready = get("/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).isEqualTo("{\"status\":\"ready\",\"model_version\":\"" + FakeSearchBackend.MODEL_VERSION
                + "\",\"checks\":{\"kafka\":\"ok\",\"qdrant\":\"ok\",\"model\":\"ok\"}}");

        log.unavailable(true);
        qdrant[0] = "unreachable: connection refused";
        HttpResponse<String> notReady = get("/ready");
        assertThat(notReady.statusCode()).isEqualTo(503);
        JsonNode body = json(notReady);
        assertThat(body.get("error").asText()).isEqualTo("not ready: kafka, qdrant");
        assertThat(body.get("checks").get("kafka").asText()).isEqualTo("in-memory log switched off");
        assertThat(body.get("checks").get("qdrant").asText()).isEqualTo("unreachable: connection refused");
        assertThat(body.get("checks").get("model").asText()).isEqualTo("ok");
        assertThat(get("/health").statusCode()).as("alive all the same").isEqualTo(200);

        log.unavailable(false);
        qdrant[0] = null;
        assertThat(get("/ready").statusCode()).isEqualTo(200);
    }

    @Test
    void shouldReportNotReadyWhenNoModelIsLoadedOrACheckThrows() throws Exception {
        start(options(), List.of(ReadinessCheck.of("qdrant", () -> {
            throw new IllegalStateException("channel shut down");
        })));
        JsonNode body = json(get("/ready"));
        assertThat(body.get("checks").get("qdrant").asText()).isEqualTo("IllegalStateException: channel shut down");
        SearchBackend unloaded = new SearchBackend() {
            @Override
            public List<Hit> search(String query, int k) {
                return List.of();
            }

            @Override
            public String modelVersion() {
                return null;
            }
        };
        assertThat(ReadinessCheck.model(unloaded).problem()).isEqualTo("no query model loaded");
    }

    @Test
    void shouldReportEveryOutcomeToTheObserverWithBoundedRouteNames() throws Exception {
        start(options(), List.of());
        get("/search?q=wing");
        get("/no/such/" + "x".repeat(50));
        get("/clicks");
        // the observer runs once the answer is handed to the socket, possibly after the client read it
        dev.embedloop.testing.Await.until(java.time.Duration.ofSeconds(5),
                () -> observed.containsAll(List.of("GET /search 200", "GET unmatched 404", "GET /clicks 405")),
                () -> "every outcome observed, saw " + observed);
    }

    // ---------------------------------------------------------------- helpers

    private Socket send(String raw) throws IOException {
        Socket s = new Socket("127.0.0.1", service.port());
        sockets.add(s);
        s.getOutputStream().write(raw.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
        return s;
    }

    /** One answer: the head, then as many body bytes as Content-Length says. */
    private static String readAnswer(Socket s) throws IOException {
        s.setSoTimeout(10_000);
        InputStream in = s.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
        }
        String h = head.toString(StandardCharsets.ISO_8859_1);
        String length = header(h, "content-length");
        byte[] body = length == null ? new byte[0] : in.readNBytes(Integer.parseInt(length));
        return h + new String(body, StandardCharsets.UTF_8);
    }

    /** Everything the server sends until it closes the connection (fails after {@code timeout}). */
    private static String readUntilClosed(Socket s, Duration timeout) throws IOException {
        s.setSoTimeout((int) timeout.toMillis());
        try {
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server kept the connection open for more than " + timeout, e);
        }
    }

    private static String header(String answer, String name) {
        for (String line : answer.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    private static JsonNode jsonBody(String answer) throws IOException {
        return Json.MAPPER.readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4));
    }

    private static JsonNode json(HttpResponse<String> res) throws IOException {
        return Json.MAPPER.readTree(res.body());
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private CompletableFuture<HttpResponse<String>> getAsync(String path) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + path))
                .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void awaitThat(java.util.function.BooleanSupplier condition) {
        Await.until(Duration.ofSeconds(10), condition, () -> "the requests in place");
    }
}
