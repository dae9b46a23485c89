package dev.embedloop.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ManagementServerTest {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void servesMetricsHealthAndReadiness() throws Exception {
        try (Management management = Management.start(new ManagementSettings("127.0.0.1", 0))) {
            AtomicBoolean streams = new AtomicBoolean();
            SearchMeters search = new SearchMeters(management.registry());
            search.request(200, Duration.ofMillis(12));
            search.request(503, Duration.ofMillis(3));
            search.click();

            HttpResponse<String> metrics = get(management, "metrics");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
            assertThat(metrics.body())
                    .contains("# HELP embedloop_search_clicks_total Clicks on search results")
                    .contains("embedloop_search_clicks_total 1.0")
                    .contains("embedloop_search_requests_seconds_count{route=\"search\",status=\"200\"} 1")
                    .contains("embedloop_search_requests_seconds_bucket{route=\"search\",status=\"200\",le=\"0.025\"} 1")
                    .contains("jvm_memory_used_bytes")
                    .contains("process_cpu_usage");

            assertThat(get(management, "health").statusCode()).isEqualTo(200);

            // no check yet: not ready; a failing check: not ready, and named in the body
            assertThat(get(management, "ready").statusCode()).isEqualTo(503);
            management.readiness().add("streams", streams::get).add("model", () -> true);
            HttpResponse<String> notReady = get(management, "ready");
            assertThat(notReady.statusCode()).isEqualTo(503);
            assertThat(notReady.body()).contains("\"streams\":\"DOWN\"").contains("\"model\":\"UP\"");
            streams.set(true);
            HttpResponse<String> ready = get(management, "ready");
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).contains("\"status\":\"UP\"");

            HttpResponse<String> post = http.send(HttpRequest.newBuilder(management.uriOf("metrics"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);
        }
    }

    @Test
    void aThrowingCheckFailsAndACachedCheckRunsOncePerTtl() {
        Readiness readiness = new Readiness().add("boom", () -> {
            throw new IllegalStateException("unreachable");
        });
        assertThat(readiness.ready()).isFalse();

        AtomicInteger calls = new AtomicInteger();
        var cached = Readiness.cached(Duration.ofHours(1), () -> calls.incrementAndGet() > 0);
        assertThat(cached.getAsBoolean()).isTrue();
        assertThat(cached.getAsBoolean()).isTrue();
        assertThat(calls).hasValue(1);
    }

    @Test
    void offWhenThePortIsMinusOneAndATakenPortNamesTheKey() {
        try (Management off = Management.start(new ManagementSettings("127.0.0.1", -1))) {
            assertThat(off.port()).isEqualTo(-1);
            assertThat(off.scrape()).contains("jvm_threads_live_threads");
        }
        try (Management first = Management.start(new ManagementSettings("127.0.0.1", 0))) {
            assertThatThrownBy(() -> Management.start(new ManagementSettings("127.0.0.1", first.port())))
                    .hasMessageContaining("management.port");
        }
    }

    @Test
    void modelInfoKeepsOneSeriesForTheCurrentVersion() {
        try (Management management = Management.start(new ManagementSettings("127.0.0.1", -1))) {
            ModelInfo info = new ModelInfo(management.registry(), "live");
            info.set("v1");
            info.set("v2");
            assertThat(management.scrape())
                    .contains("embedloop_model_info{role=\"live\",version=\"v2\"} 1")
                    .doesNotContain("version=\"v1\"");
        }
    }

    @Test
    void clientsThatStallMidRequestDoNotKeepTheProbesFromTheirAnswers() throws Exception {
        List<Socket> stalled = new ArrayList<>();
        try (Management management = Management.start(new ManagementSettings("127.0.0.1", 0))) {
            management.readiness().add("model", () -> true);
            // more stalled clients than the server has threads, each holding half a request head
            for (int i = 0; i < 12; i++) {
                Socket s = new Socket("127.0.0.1", management.port());
                stalled.add(s);
                s.getOutputStream().write("GET /hea".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
            }
            for (String path : List.of("health", "ready", "metrics")) {
                HttpResponse<String> answer = http.send(HttpRequest.newBuilder(management.uriOf(path))
                        .timeout(Duration.ofSeconds(3)).GET().build(), HttpResponse.BodyHandlers.ofString());
                assertThat(answer.statusCode()).as(path).isEqualTo(200);
            }
        } finally {
            for (Socket s : stalled) {
                s.close();
            }
        }
    }

    @Test
    void unknownPathsMethodsAndMalformedRequestsGetJsonErrors() throws Exception {
        try (Management management = Management.start(new ManagementSettings("127.0.0.1", 0))) {
            for (String path : List.of("admin", "metricsx", "metrics/more", "")) {
                HttpResponse<String> answer = get(management, path);
                assertThat(answer.statusCode()).as(path).isEqualTo(404);
                assertThat(answer.headers().firstValue("Content-Type")).as(path)
                        .hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
                assertThat(answer.body()).as(path).startsWith("{\"error\":");
            }
            HttpResponse<String> delete = http.send(HttpRequest.newBuilder(management.uriOf("health")).DELETE().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(delete.statusCode()).isEqualTo(405);
            assertThat(delete.headers().firstValue("Allow")).hasValue("GET, HEAD");
            assertThat(delete.body()).startsWith("{\"error\":");

            HttpResponse<String> head = http.send(HttpRequest.newBuilder(management.uriOf("health"))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.body()).isEmpty();

            for (String line : List.of("GARBAGE", "GET /health FOO", "GET /health", "GET /he alth HTTP/1.1")) {
                String answer = raw(management.port(), line + "\r\nHost: x\r\n\r\n");
                assertThat(answer).as(line).startsWith("HTTP/1.1 400");
                assertThat(answer).as(line).containsIgnoringCase("content-type: application/json").contains("{\"error\":");
            }
            assertThat(get(management, "health").statusCode()).isEqualTo(200);
        }
    }

    private static String raw(int port, String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(5_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            s.shutdownOutput();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private HttpResponse<String> get(Management management, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(management.uriOf(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
