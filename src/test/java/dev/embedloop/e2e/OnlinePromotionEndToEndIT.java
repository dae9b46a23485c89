package dev.embedloop.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embedloop.config.ConfigLoader;
import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.embedded.EmbeddedServices;
import dev.embedloop.encode.Models;
import dev.embedloop.events.Json;
import dev.embedloop.feedback.FeedbackRunner;
import dev.embedloop.index.Indexer;
import dev.embedloop.kafka.KafkaTopics;
import dev.embedloop.lineage.ModelStore;
import dev.embedloop.lineage.ModelUpdate;
import dev.embedloop.lineage.ModelUpdatesFollower;
import dev.embedloop.model.AdapterMode;
import dev.embedloop.model.LinearAdapter;
import dev.embedloop.model.OnnxAdapterExport;
import dev.embedloop.publish.Publisher;
import dev.embedloop.qdrant.Qdrant;
import dev.embedloop.search.KafkaFeedbackLog;
import dev.embedloop.search.SearchService;
import dev.embedloop.search.Searcher;
import dev.embedloop.testing.Await;
import dev.embedloop.train.OnlineGate;
import dev.embedloop.train.TrainerService;
import io.qdrant.client.QdrantClient;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The online phase end to end in one JVM: Kafka broker, Qdrant local mode, quantized MiniLM, the
 * indexer, the search service interleaving every search ({@code search.interleave-fraction=1}),
 * the feedback topology writing interleaving outcomes, and the trainer's online gate
 * ({@code train.online-gate=true}) deciding hand-made query-only candidates under test. Simulated
 * users search over HTTP and click, with the click token, the shown results on the query's topic
 * that they examine (probability (1/rank)^0.7).
 *
 * <p>A clearly worse candidate (a query adapter that scrambles queries) loses and is abandoned, the
 * live model staying; against a scrambled live model, a clearly better candidate (the identity)
 * wins and is promoted. That random clicks never promote is shown by {@code OnlineGateTest} and
 * {@code InterleavingComparisonTest}.
 */
class OnlinePromotionEndToEndIT {

    private static final String[] TOPICS = {"wing lift", "engine thrust", "landing gear", "bread baking", "coffee",
        "ocean tides", "honeybees", "volcano", "glaciers", "chess openings"};
    private static final String[] PHRASINGS = {"%s", "tell me about %s", "notes on %s", "%s explained"};

    @TempDir
    Path state;
    @TempDir
    Path store;

    EmbeddedServices services;
    Models models;
    String base;
    EmbedloopConfig cfg;
    QdrantClient client;
    Indexer indexer;
    Searcher searcher;
    KafkaFeedbackLog log;
    SearchService service;
    FeedbackRunner feedback;
    TrainerService trainer;
    final HttpClient http = HttpClient.newHttpClient();
    final Map<String, String> topicOf = new LinkedHashMap<>();
    final Random users = new Random(7);

    @BeforeEach
    void start() throws Exception {
        EmbedloopConfig defaults = ConfigLoader.defaults();
        services = EmbeddedServices.start(defaults, 0, 0, null);
        String run = UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> own = new HashMap<>(Map.of(
                "kafka.state.dir", state.toString(),
                "kafka.application.id", "online-e2e-" + run,
                "feedback.application-id", "online-feedback-" + run,
                "model", "all-minilm-l6-v2-q",
                "qdrant.collection", "online_" + run,
                "search.port", "0",
                "search.interleave-fraction", "1",
                "train.model-store", store.resolve("trainer").toString(),
                "model.local-store", store.resolve("local").toString()));
        own.putAll(Map.of(
                "feedback.window-ms", "1000",
                "feedback.punctuation-interval-ms", "200",
                "search.query-ttl-ms", "1000",
                "train.online-gate", "true",
                "train.online-min-preferences", "10",
                "train.online-max-impressions", "400",
                "train.mode", "query-only"));
        for (String t : List.of("documents", "dead-letter", "impressions", "clicks", "training-pairs",
                "clicks-dead-letter", "model-updates", "interleaving-outcomes")) {
            own.put("topics." + t, t + "-" + run);
        }
        cfg = services.configure(defaults).with(own);
        models = Models.open(cfg);
        base = models.encoder().model().version();
        client = Qdrant.connect(cfg.qdrant());
        indexer = Indexer.start(cfg, models, client);
        assertThat(indexer.awaitRunning(Duration.ofSeconds(60))).as("indexer RUNNING").isTrue();
        Map<String, String> corpus = new LinkedHashMap<>();
        for (int i = 0; i < 40; i++) {
            String topic = TOPICS[i % TOPICS.length];
            corpus.put("d" + i, "Note " + i + " on " + topic + ": " + topic + " explained in " + (i + 3) + " short lines.");
            topicOf.put("d" + i, topic);
        }
        try (Publisher publisher = new Publisher(cfg.kafkaProperties(), cfg.topics().documents(),
                cfg.topics().maxRecordBytes())) {
            corpus.forEach((id, text) -> publisher.publish(id, Json.write(Map.of("id", id, "text", text))));
        }
        Await.until(Duration.ofSeconds(120), () -> indexer.stats().indexed() >= corpus.size(), indexer.stats()::toString);
        KafkaTopics.ensure(cfg.kafkaProperties(), KafkaTopics.feedbackTopics(cfg));
        searcher = Searcher.following(cfg, models.encoder(), models.encoderOptions(), client);
        log = KafkaFeedbackLog.create(cfg);
        service = SearchService.start(SearchService.Options.of(cfg), searcher, log);
        feedback = FeedbackRunner.start(cfg);
        assertThat(feedback.awaitRunning(Duration.ofSeconds(60))).as("feedback RUNNING").isTrue();
        trainer = TrainerService.create(cfg, models.encoder(), models.directory());
    }

    @AfterEach
    void stop() {
        if (trainer != null) trainer.close();
        if (feedback != null) feedback.close();
        if (service != null) service.close();
        if (log != null) log.close();
        if (searcher != null) searcher.close();
        if (indexer != null) indexer.close();
        if (client != null) client.close();
        if (models != null) models.close();
        if (services != null) services.close();
    }

    @Test
    void aWorseCandidateIsAbandonedAndABetterOneIsPromotedOnline() throws Exception {
        // 1. live: the base model; under test: a candidate that scrambles queries
        String worse = base + "-a1";
        publish(export(worse, scrambling(AdapterMode.QUERY_ONLY, 1), base, ModelUpdate.UNDER_TEST));
        OnlineGate.Decision lost = decideWhileUsersSearch(worse, ModelUpdate.ABANDONED);
        assertThat(lost.verdict()).as(lost.reason()).isEqualTo(OnlineGate.Verdict.ABANDON);
        assertThat(lost.losses()).as(lost.reason()).isGreaterThan(lost.wins());
        assertThat(lost.pValue()).isLessThan(0.05);
        assertThat(trainer.lineage().liveVersion()).isEqualTo(base);
        assertThat(trainer.lineage().underTest()).isEmpty();

        // 2. live: a scrambling model (promoted by hand); under test: the identity, clearly better
        String scrambled = base + "-a2";
        publish(export(scrambled, scrambling(AdapterMode.QUERY_ONLY, 2), base, ModelUpdate.PROMOTED));
        Await.until(Duration.ofSeconds(30), () -> searcher.answer("coffee", 3).modelVersion().equals(scrambled),
                () -> "searches answered by " + scrambled);
        String better = base + "-a3";
        publish(export(better, identity(), scrambled, ModelUpdate.UNDER_TEST));
        OnlineGate.Decision won = decideWhileUsersSearch(better, ModelUpdate.PROMOTED);
        assertThat(won.verdict()).as(won.reason()).isEqualTo(OnlineGate.Verdict.PROMOTE);
        assertThat(won.wins()).as(won.reason()).isGreaterThan(won.losses());
        assertThat(won.pValue()).isLessThan(0.05);
        assertThat(trainer.lineage().liveVersion()).isEqualTo(better);
        Await.until(Duration.ofSeconds(30), () -> searcher.answer("coffee", 3).modelVersion().equals(better),
                () -> "searches answered by the promoted " + better);
        // nothing under test any more: searches are ordinary pages again
        JsonNode page = search("coffee");
        assertThat(page.get("model_version").asText()).isEqualTo(better);
    }

    /**
     * Users search and click, in rounds, until the trainer's online gate has decided {@code candidate}
     * and the lineage shows it with {@code status}; returns the decision.
     */
    private OnlineGate.Decision decideWhileUsersSearch(String candidate, String status) throws Exception {
        Await.until(Duration.ofSeconds(30), () -> searcher.models().lineage().underTest()
                .map(u -> u.version().equals(candidate)).orElse(false), () -> "search service sees " + candidate);
        AtomicReference<OnlineGate.Decision> decision = new AtomicReference<>();
        int[] round = {0};
        Await.until(Duration.ofSeconds(180), () -> {
            if (trainer.lineage().get(candidate).map(u -> status.equals(u.status())).orElse(false)) {
                return true;
            }
            if (round[0]++ < 12) {
                try {
                    searchAndClick(10);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
            trainer.decideOnlineNow().ifPresent(decision::set);
            return trainer.lineage().get(candidate).map(u -> status.equals(u.status())).orElse(false);
        }, () -> candidate + " " + status + "; last decision " + trainer.lastOnlineDecision());
        return trainer.lastOnlineDecision();
    }

    /** {@code n} searches, each clicked on the results of its topic the user examines. */
    private void searchAndClick(int n) throws Exception {
        for (int i = 0; i < n; i++) {
            String topic = TOPICS[users.nextInt(TOPICS.length)];
            String query = String.format(PHRASINGS[users.nextInt(PHRASINGS.length)], topic);
            JsonNode page = search(query);
            JsonNode hits = page.get("hits");
            for (JsonNode hit : hits) {
                String doc = hit.get("doc_id").asText();
                int rank = hit.get("rank").asInt();
                if (topic.equals(topicOf.get(doc)) && users.nextDouble() < Math.pow(1.0 / rank, 0.7)) {
                    click(page.get("click_token").asText(), doc);
                }
            }
        }
    }

    private JsonNode search(String q) throws Exception {
        URI uri = service.uri().resolve("search?q=" + URLEncoder.encode(q, StandardCharsets.UTF_8) + "&k=5");
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return Json.MAPPER.readTree(response.body());
    }

    private void click(String token, String doc) throws Exception {
        String body = Json.writeString(Map.of("click_token", token, "doc_id", doc, "dwell_ms", 30_000));
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(service.uri().resolve("clicks"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
    }

    /** A query adapter far from the identity: queries land nearly anywhere. */
    private LinearAdapter scrambling(AdapterMode mode, long seed) {
        int d = models.encoder().model().dimension();
        Random random = new Random(seed);
        float[] w = new float[d * d];
        for (int i = 0; i < d * d; i++) {
            w[i] = (float) random.nextGaussian();
        }
        return LinearAdapter.of(d, w, mode, true);
    }

    private LinearAdapter identity() {
        int d = models.encoder().model().dimension();
        float[] w = new float[d * d];
        for (int i = 0; i < d; i++) {
            w[i * d + i] = 1f;
        }
        return LinearAdapter.of(d, w, AdapterMode.QUERY_ONLY, true);
    }

    private ModelUpdate export(String version, LinearAdapter adapter, String parent, String status) throws Exception {
        Path dir = store.resolve(version);
        OnnxAdapterExport.export(models.directory(), adapter, dir, version, Map.of("parent", parent));
        adapter.save(dir.resolve(ModelStore.ADAPTER_FILE));
        return new ModelUpdate(version, dir.toString(), ModelUpdate.QUERY_ONLY, parent, null, base, base,
                System.currentTimeMillis(), status);
    }

    private void publish(ModelUpdate update) {
        ModelUpdatesFollower.publish(cfg.kafkaProperties(), cfg.topics().modelUpdates(), update);
    }
}
