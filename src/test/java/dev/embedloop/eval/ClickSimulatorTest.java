package dev.embedloop.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The simulator against a fake search service (the JDK's HttpServer on loopback) that implements the
 * HTTP contract: {@code GET /search?q&k&session_id} → {@code {query_id, model_version, hits}},
 * {@code POST /clicks {click_token, query_id, doc_id, dwell_ms}} → 202.
 */
class ClickSimulatorTest {

    /** Fixed pages: the relevant document first for q1, at rank 4 for q2. */
    private static final Map<String, List<String>> PAGES = Map.of(
            "wing stall & flutter", IntStream.rangeClosed(1, 12).mapToObj(i -> "w" + i).toList(),
            "boundary layer heat transfer", List.of("x1", "x2", "x3", "h1", "x4", "x5", "x6", "x7", "x8", "x9"));
    private static final List<ClickSimulator.SimQuery> QUERIES = List.of(
            new ClickSimulator.SimQuery("q1", "wing stall & flutter", Map.of("w1", 2, "w3", 1, "w2", 0)),
            new ClickSimulator.SimQuery("q2", "boundary layer heat transfer", Map.of("h1", 1)));

    private FakeSearchService service;

    @BeforeEach
    void start() throws IOException {
        service = new FakeSearchService(PAGES);
    }

    @AfterEach
    void stop() {
        service.close();
    }

    @Test
    void shouldSearchEveryQueryInEverySessionAndClickOnlyRelevantResults() {
        ClickSimulator simulator = new ClickSimulator(client(), new ClickModel(0.7, 30_000), 42, "run1", null);
        List<ClickSimulator.RoundReport> rounds = simulator.run(QUERIES, 2, 3);

        assertThat(rounds).extracting(ClickSimulator.RoundReport::round).containsExactly(1, 2);
        assertThat(rounds).allSatisfy(r -> {
            assertThat(r.impressions()).isEqualTo(6);
            assertThat(r.modelVersions()).containsExactly("fake-v1");
        });
        assertThat(service.searches).hasSize(12);
        assertThat(service.searches).allSatisfy(s -> assertThat(s.get("k")).isEqualTo("10"));
        assertThat(service.searches).extracting(s -> s.get("q"))
                .containsOnly("wing stall & flutter", "boundary layer heat transfer");
        assertThat(service.searches).extracting(s -> s.get("session_id")).doesNotHaveDuplicates()
                .contains("run1-r1-qq1-s1", "run1-r2-qq2-s3");

        long clicks = rounds.stream().mapToLong(ClickSimulator.RoundReport::clicks).sum();
        assertThat(service.clicks).hasSize((int) clicks);
        for (JsonNode click : service.clicks) {
            String query = service.queryOf.get(click.get("query_id").asText());
            assertThat(query).as("click on a query id the service issued").isNotNull();
            String doc = click.get("doc_id").asText();
            assertThat(doc).isIn(query.equals("wing stall & flutter") ? List.of("w1", "w3") : List.of("h1"));
            assertThat(click.get("dwell_ms").asLong()).isEqualTo(30_000);
        }
        // rank 1 is always examined: every q1 session clicks w1
        assertThat(service.clicks.stream().filter(c -> c.get("doc_id").asText().equals("w1"))).hasSize(6);
        // the served page of q1 has nDCG@10 (2 + 1/2) / (2 + 1/log2(3)); q2's is 1/log2(5) / 1
        double q1 = 2.5 / (2 + 1 / (Math.log(3) / Math.log(2)));
        double q2 = 1 / (Math.log(5) / Math.log(2));
        assertThat(rounds.get(0).servedNdcg()).isCloseTo((q1 + q2) / 2, within(1e-9));
    }

    @Test
    void shouldSearchEveryQueryOncePerSessionPassAndCallBackAfterEachPass() throws InterruptedException {
        ClickSimulator simulator = new ClickSimulator(client(), new ClickModel(0.7, 30_000), 42, "run1", null);
        List<String> seen = new ArrayList<>();
        List<Integer> searchesAtCallback = new ArrayList<>();
        ClickSimulator.RoundReport report = simulator.round(2, QUERIES, 3, session -> {
            seen.add("after " + session);
            searchesAtCallback.add(service.searches.size());
        });

        assertThat(seen).containsExactly("after 1", "after 2", "after 3");
        assertThat(searchesAtCallback).as("every query searched once more before each callback")
                .containsExactly(2, 4, 6);
        assertThat(service.searches).extracting(s -> s.get("session_id")).containsExactly(
                "run1-r2-qq1-s1", "run1-r2-qq2-s1", "run1-r2-qq1-s2", "run1-r2-qq2-s2", "run1-r2-qq1-s3",
                "run1-r2-qq2-s3");
        assertThat(report.impressions()).isEqualTo(6);
        assertThat(report.clicks()).isEqualTo(service.clicks.size());
    }

    @Test
    void shouldSendExactlyTheContractFieldsAndDecodableQueries() {
        new ClickSimulator(client(), new ClickModel(0, 5_000), 1, "t", null).run(QUERIES.subList(0, 1), 1, 1);
        assertThat(service.searches.get(0).get("q")).isEqualTo("wing stall & flutter");
        // eta 0: everything is examined, so both relevant results are clicked
        assertThat(service.clicks).hasSize(2);
        JsonNode click = service.clicks.get(0);
        List<String> fields = new ArrayList<>();
        click.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).containsExactlyInAnyOrder("click_token", "query_id", "doc_id", "dwell_ms");
        assertThat(click.get("click_token").asText()).isEqualTo("token-of-" + click.get("query_id").asText());
        assertThat(click.get("doc_id").asText()).isEqualTo("w1");
        assertThat(click.get("dwell_ms").asLong()).isEqualTo(5_000);
    }

    @Test
    void shouldClickTheSameWayForTheSameSeed() {
        new ClickSimulator(client(), new ClickModel(0.7, 30_000), 9, "a", null).run(QUERIES, 3, 4);
        List<String> first = service.clickLog();
        service.close();
        service = restart();
        new ClickSimulator(client(), new ClickModel(0.7, 30_000), 9, "a", null).run(QUERIES, 3, 4);
        assertThat(service.clickLog()).isEqualTo(first);

        service.close();
        service = restart();
        new ClickSimulator(client(), new ClickModel(0.7, 30_000), 10, "a", null).run(QUERIES, 3, 4);
        assertThat(service.clickLog()).isNotEqualTo(first);
    }

    @Test
    void shouldReportTheStatusAndBodyOfAFailingService() {
        service.failSearchWith = 503;
        ClickSimulator simulator = new ClickSimulator(client(), new ClickModel(0.7, 30_000), 1, "t", null);
        assertThatThrownBy(() -> simulator.run(QUERIES, 1, 1))
                .isInstanceOf(SearchClient.SearchServiceException.class)
                .hasMessageContaining("GET /search answered 503: {\"error\":\"overloaded\"}");

        service.failSearchWith = 0;
        service.failClicksWith = 404;
        assertThatThrownBy(() -> simulator.run(QUERIES, 1, 1))
                .isInstanceOf(SearchClient.SearchServiceException.class)
                .hasMessageContaining("POST /clicks answered 404");
    }

    @Test
    void shouldFailClearlyWhenNothingListens() throws IOException {
        int port;
        try (var socket = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        SearchClient dead = new SearchClient(URI.create("http://127.0.0.1:" + port), Duration.ofSeconds(2));
        assertThatThrownBy(() -> dead.search("x", 10, "s"))
                .isInstanceOf(SearchClient.SearchServiceException.class)
                .hasMessageContaining("GET /search to http://127.0.0.1:" + port + " failed");
        assertThatThrownBy(() -> new SearchClient(URI.create("localhost:8080"), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private SearchClient client() {
        return new SearchClient(service.uri(), Duration.ofSeconds(10));
    }

    private static FakeSearchService restart() {
        try {
            return new FakeSearchService(PAGES);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
