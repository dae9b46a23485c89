package dev.embedloop.search;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embedloop.events.Click;
import dev.embedloop.events.Impression;
import dev.embedloop.events.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code search.interleave-fraction} in {@link SearchService}: interleaved pages are shown, logged
 * and clicked as shown (teams and candidate version on the impression, ranks as shown in the token).
 */
class SearchServiceInterleavingTest {

    private static final String LIVE = "m-live";
    private static final String CANDIDATE = "m-cand";

    private final MutableClock clock = new MutableClock(Instant.parse("2025-06-01T12:00:00Z"));
    private final InMemoryFeedbackLog log = new InMemoryFeedbackLog();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final AtomicInteger interleaveCalls = new AtomicInteger();
    private final List<Long> draws = new java.util.concurrent.CopyOnWriteArrayList<>();
    private SearchService service;

    /** Ordinary answers rank a, b, c; the interleaved page is c (candidate), a (live), d (candidate), with a repeat of a. */
    private SearchBackend backend(boolean candidateUnderTest) {
        return new SearchBackend() {
            @Override
            public List<Hit> search(String query, int k) {
                return List.of(hit("a", 0.9f), hit("b", 0.8f), hit("c", 0.7f)).subList(0, Math.min(k, 3));
            }

            @Override
            public String modelVersion() {
                return LIVE;
            }

            @Override
            public Optional<InterleavedAnswer> answerInterleaved(String query, int k, RandomGenerator random) {
                interleaveCalls.incrementAndGet();
                draws.add(random.nextLong());
                if (!candidateUnderTest) {
                    return Optional.empty();
                }
                return Optional.of(new InterleavedAnswer(
                        List.of(hit("c", 0.95f), hit("a", 0.9f), hit("a", 0.5f), hit("d", 0.6f)),
                        List.of("candidate", "live", "live", "candidate"), LIVE, CANDIDATE));
            }
        };
    }

    private static Hit hit(String doc, float score) {
        return new Hit(doc, 0, score, null, null);
    }

    private void start(double fraction, boolean candidateUnderTest) {
        service = SearchService.start(SearchService.Options.of(0, 20, Duration.ofMinutes(30), "clicks", clock)
                .withInterleaveFraction(fraction), backend(candidateUnderTest), log);
    }

    @AfterEach
    void stop() {
        if (service != null) {
            service.close();
        }
    }

    @Test
    void shouldShowLogAndClickTheInterleavedPageAsShown() throws Exception {
        start(1.0, true);

        JsonNode body = json(get("/search?q=wing&k=3"));

        assertThat(body.get("model_version").asText()).isEqualTo(LIVE);
        assertThat(body.get("hits").findValuesAsText("doc_id")).containsExactly("c", "a", "d");
        assertThat(body.toString()).as("teams are not shown to the user").doesNotContain("candidate");
        Impression imp = log.impressions.get(0);
        assertThat(imp.candidateVersion()).isEqualTo(CANDIDATE);
        assertThat(imp.modelVersion()).isEqualTo(LIVE);
        assertThat(imp.results()).containsExactly(
                new Impression.Result("c", 1, 0.95, "candidate"),
                new Impression.Result("a", 2, 0.9, "live"),
                new Impression.Result("d", 3, 0.6, "candidate"));

        HttpResponse<String> click = post("/clicks", "{\"click_token\": \"" + body.get("click_token").asText()
                + "\", \"doc_id\": \"d\"}");
        assertThat(click.statusCode()).isEqualTo(202);
        assertThat(json(click).get("rank").asInt()).isEqualTo(3);
        assertThat(log.clicks).extracting(Click::rank).containsExactly(3);
    }

    @Test
    void shouldAnswerAsUsualWhenNoCandidateIsUnderTest() throws Exception {
        start(1.0, false);

        JsonNode body = json(get("/search?q=wing&k=3"));

        assertThat(interleaveCalls).hasValue(1);
        assertThat(body.get("hits").findValuesAsText("doc_id")).containsExactly("a", "b", "c");
        assertThat(log.impressions.get(0).candidateVersion()).isNull();
        assertThat(log.impressions.get(0).results()).allSatisfy(r -> assertThat(r.team()).isNull());
    }

    @Test
    void shouldNeverAskForAnInterleavingAtFractionZero() throws Exception {
        start(0.0, true);

        for (int i = 0; i < 20; i++) {
            assertThat(get("/search?q=wing").statusCode()).isEqualTo(200);
        }

        assertThat(interleaveCalls).hasValue(0);
        assertThat(log.impressions).allSatisfy(imp -> assertThat(imp.interleaved()).isFalse());
    }

    @Test
    void shouldInterleaveAboutTheConfiguredFraction() throws Exception {
        start(0.5, true);

        int n = 200;
        for (int i = 0; i < n; i++) {
            assertThat(get("/search?q=wing").statusCode()).isEqualTo(200);
        }

        long interleaved = log.impressions.stream().filter(Impression::interleaved).count();
        // Binomial(200, 0.5): 100 ± 7; outside [60, 140] with probability below 1e-8
        assertThat(interleaved).isBetween(60L, 140L);
        assertThat(interleaveCalls.get()).isEqualTo((int) interleaved);
    }

    @Test
    void shouldDrawTheSameCoinsForASessionRepeatingAQuery() throws Exception {
        start(0.5, true);

        int sessions = 60;
        int interleavedSessions = 0;
        Set<Long> firstDraws = new java.util.HashSet<>();
        for (int s = 0; s < sessions; s++) {
            int before = log.impressions.size();
            int drawsBefore = draws.size();
            for (int i = 0; i < 3; i++) {
                assertThat(get("/search?q=" + (i == 1 ? "Wing" : "wing") + "&session_id=s" + s).statusCode())
                        .isEqualTo(200);
            }
            List<Impression> mine = log.impressions.subList(before, before + 3);
            // the same decision to interleave, and the same team-draft coins, three times
            assertThat(mine).extracting(Impression::interleaved).containsOnly(mine.get(0).interleaved());
            if (mine.get(0).interleaved()) {
                interleavedSessions++;
                List<Long> mineDraws = draws.subList(drawsBefore, drawsBefore + 3);
                assertThat(mineDraws).containsOnly(mineDraws.get(0));
                firstDraws.add(mineDraws.get(0));
            }
        }
        // Binomial(60, 0.5): 30 ± 4; outside [12, 48] with probability below 1e-5
        assertThat(interleavedSessions).isBetween(12, 48);
        assertThat(firstDraws).as("other sessions, other coins").hasSize(interleavedSessions);
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

    private URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + service.port() + pathAndQuery);
    }

    private static JsonNode json(HttpResponse<String> res) throws IOException {
        return Json.MAPPER.readTree(res.body());
    }
}
