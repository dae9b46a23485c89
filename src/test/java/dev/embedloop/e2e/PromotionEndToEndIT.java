package dev.embedloop.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embedloop.config.ConfigLoader;
import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.embedded.EmbeddedServices;
import dev.embedloop.encode.Models;
import dev.embedloop.events.Json;
import dev.embedloop.index.IndexTargets;
import dev.embedloop.index.Indexer;
import dev.embedloop.kafka.KafkaTopics;
import dev.embedloop.lineage.ModelLineage;
import dev.embedloop.lineage.ModelStore;
import dev.embedloop.lineage.ModelUpdate;
import dev.embedloop.lineage.ModelUpdatesFollower;
import dev.embedloop.lineage.Rollback;
import dev.embedloop.model.AdapterMode;
import dev.embedloop.model.LinearAdapter;
import dev.embedloop.publish.Publisher;
import dev.embedloop.qdrant.CollectionBootstrap;
import dev.embedloop.qdrant.Qdrant;
import dev.embedloop.qdrant.QdrantCollections;
import dev.embedloop.search.KafkaFeedbackLog;
import dev.embedloop.search.SearchBackend;
import dev.embedloop.search.SearchService;
import dev.embedloop.search.Searcher;
import dev.embedloop.testing.Await;
import dev.embedloop.model.OnnxAdapterExport;
import io.qdrant.client.QdrantClient;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Promotions end to end in one JVM: real Kafka broker, Qdrant local mode, quantized MiniLM, the
 * indexer following {@code model-updates} and a search service following it too.
 *
 * <p>A symmetric promotion re-indexes into {@code <alias>__<version>} from stored base vectors
 * (no re-encoding), the alias moves only once the new collection holds every document, searches
 * running meanwhile always pair a query model with the documents of its own version (checked by
 * recomputing each answer's top score), and {@code rollback} moves the alias back in one step. A
 * query-only promotion switches the query model without any re-index.
 */
class PromotionEndToEndIT {


    private static final String[] TOPICS = {"wing lift", "engine thrust", "landing gear", "bread baking", "coffee",
        "ocean tides", "honeybees", "volcano", "glaciers", "chess openings"};
    private static final List<String> QUERIES = List.of("how do wings make lift", "baking sourdough bread",
            "why are there tides", "how bees communicate", "volcanic eruption");

    // the broker and the local mode are shared infrastructure; every test gets its own topics,
    // alias, model store and services, so no test depends on another's state or order
    static EmbeddedServices services;
    static Models models;
    static String base;
    static final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path state;
    @TempDir
    Path store;

    String alias;
    EmbedloopConfig cfg;
    QdrantClient client;
    Indexer indexer;
    Searcher searcher;
    KafkaFeedbackLog log;
    SearchService service;
    final Map<String, String> corpus = new java.util.concurrent.ConcurrentHashMap<>();
    final Map<String, float[]> baseVectors = new java.util.concurrent.ConcurrentHashMap<>();
    final Map<String, LinearAdapter> adapters = new LinkedHashMap<>();

    @BeforeAll
    static void startInfrastructure() throws Exception {
        EmbedloopConfig defaults = ConfigLoader.defaults();
        services = EmbeddedServices.start(defaults, 0, 0, null);
        models = Models.open(services.configure(defaults).with(Map.of("model", "all-minilm-l6-v2-q")));
        base = models.encoder().model().version();
    }

    @AfterAll
    static void stopInfrastructure() {
        if (models != null) models.close();
        if (services != null) services.close();
    }

    @BeforeEach
    void start() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        alias = "promo_" + run;
        Map<String, String> own = new java.util.HashMap<>(Map.of(
                "kafka.state.dir", state.toString(),
                "kafka.application.id", "promo-e2e-" + run,
                "model", "all-minilm-l6-v2-q",
                "qdrant.collection", alias,
                "search.port", "0",
                // small copy steps, so that the fill takes several punctuations and can be watched
                "index.reindex-batch-points", "1"));
        for (String t : List.of("documents", "dead-letter", "impressions", "clicks", "training-pairs",
                "clicks-dead-letter", "model-updates")) {
            own.put("topics." + t, t + "-" + run);
        }
        cfg = services.configure(ConfigLoader.defaults()).with(own);
        client = Qdrant.connect(cfg.qdrant());
        indexer = Indexer.start(cfg, models, client);
        assertThat(indexer.awaitRunning(Duration.ofSeconds(60))).as("indexer RUNNING").isTrue();
        for (int i = 0; i < 40; i++) {
            String topic = TOPICS[i % TOPICS.length];
            corpus.put("d" + i, "Note " + i + " on " + topic + ": " + topic + " explained in " + (i + 3) + " short lines.");
        }
        publish(corpus);
        Await.until(Duration.ofSeconds(120), () -> indexer.stats().indexed() >= corpus.size(), indexer.stats()::toString);
        searcher = Searcher.following(cfg, models.encoder(), models.encoderOptions(), client);
        KafkaTopics.ensure(cfg.kafkaProperties(), KafkaTopics.feedbackTopics(cfg));
        log = KafkaFeedbackLog.create(cfg);
        service = SearchService.start(SearchService.Options.of(cfg), searcher, log);
    }

    @AfterEach
    void stop() {
        if (service != null) service.close();
        if (log != null) log.close();
        if (searcher != null) searcher.close();
        if (indexer != null) indexer.close();
        if (client != null) client.close();
    }

    @Test
    void symmetricPromotionReindexesWithoutEncodingMovesTheAliasWhenCompleteAndRollsBackInOneStep() throws Exception {
        String baseCollection = CollectionBootstrap.collectionName(alias, base);
        assertThat(aliasTarget()).contains(baseCollection);
        assertThat(searcher.answer(QUERIES.get(0), 3).modelVersion()).isEqualTo(base);

        String v1 = base + "-a1";
        String v1Collection = CollectionBootstrap.collectionName(alias, v1);
        LinearAdapter adapter = randomAdapter(AdapterMode.SYMMETRIC, 7);
        adapters.put(v1, adapter);
        ModelUpdate update = exportAndPromote(v1, adapter, ModelUpdate.SYMMETRIC, base, v1);

        // searches keep running through the whole swap; every answer is checked for matching versions
        AtomicBoolean searching = new AtomicBoolean(true);
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        Map<String, AtomicInteger> answeredBy = new java.util.concurrent.ConcurrentHashMap<>();
        Thread load = new Thread(() -> {
            int i = 0;
            while (searching.get()) {
                String q = QUERIES.get(i++ % QUERIES.size());
                try {
                    SearchBackend.Answer a = searcher.answer(q, 5);
                    answeredBy.computeIfAbsent(a.modelVersion(), v -> new AtomicInteger()).incrementAndGet();
                    String mismatch = checkScores(q, a);
                    if (mismatch != null) {
                        failures.add(mismatch);
                    }
                } catch (RuntimeException e) {
                    failures.add("search failed during the swap: " + e);
                }
            }
        }, "search-load");
        long encodedBefore = indexer.stats().textsEncoded();
        load.start();
        try {
            ModelUpdatesFollower.publish(cfg.kafkaProperties(), cfg.topics().modelUpdates(), update);
            // the alias must not move before the new collection has every document
            boolean sawPartialFill = false;
            boolean publishedDuringFill = false;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!aliasTarget().orElse("").equals(v1Collection)) {
                assertThat(System.nanoTime()).as("alias moved to " + v1Collection + " in time").isLessThan(deadline);
                if (exists(v1Collection)) {
                    long n = count(v1Collection);
                    if (n < corpus.size()) {
                        sawPartialFill = true;
                        if (!publishedDuringFill) {
                            // a document arriving during the fill reaches both collections
                            corpus.put("late", "A late note on knitting patterns and wool, published during the re-index.");
                            publish(Map.of("late", corpus.get("late")));
                            publishedDuringFill = true;
                        }
                    }
                    // the alias check after the count: if the alias had moved by now, the count must be complete
                    if (aliasTarget().orElse("").equals(v1Collection)) {
                        assertThat(count(v1Collection)).isGreaterThanOrEqualTo(corpus.size() - (publishedDuringFill ? 1 : 0));
                    }
                }
                Thread.sleep(5);
            }
            assertThat(sawPartialFill).as("the fill was observed in progress while the alias stayed").isTrue();
            assertThat(publishedDuringFill).isTrue();
            Await.until(Duration.ofSeconds(30), () -> count(v1Collection) == corpus.size()
                    && count(baseCollection) == corpus.size(), () -> "both collections hold " + corpus.size());
            // re-index ran no transformer: only the one late document was encoded
            assertThat(indexer.stats().textsEncoded() - encodedBefore).isEqualTo(1);
            assertThat(indexer.stats().pointsCopied()).isGreaterThanOrEqualTo(corpus.size() - 1);
            // the indexer counts the re-index after moving the alias and recording the move: it may lag the alias
            Await.until(Duration.ofSeconds(10), () -> indexer.stats().reindexes() >= 1, () -> "the re-index counted");
            assertThat(indexer.stats().reindexes()).isEqualTo(1);
            Await.until(Duration.ofSeconds(10), () -> searcher.answer(QUERIES.get(1), 3).modelVersion().equals(v1),
                    () -> "searches answered by " + v1);
        } finally {
            searching.set(false);
            load.join(10_000);
        }
        assertThat(failures).as("answers whose query model did not match their documents").isEmpty();
        assertThat(answeredBy).containsKeys(base, v1);
        assertThat(indexer.targets()).extracting(IndexTargets.Target::collection, IndexTargets.Target::role)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple(v1Collection, IndexTargets.Role.LIVE),
                        org.assertj.core.groups.Tuple.tuple(baseCollection, IndexTargets.Role.RETAINED));

        // the HTTP answer says which model answered
        JsonNode answer = httpSearch("how do wings make lift");
        assertThat(answer.get("model_version").asText()).isEqualTo(v1);

        // rollback: one step, the alias is back before the call returns, queries follow
        ModelLineage lineage = searcher.models().lineage();
        Rollback.Result r = Rollback.run(lineage, cfg.kafkaProperties(), cfg.topics().modelUpdates(),
                new QdrantCollections(client, alias, models.encoder().model().dimension(), Duration.ofSeconds(10),
                        Duration.ofSeconds(10)));
        assertThat(r.rolledBack()).isEqualTo(v1);
        assertThat(r.live()).isEqualTo(base);
        assertThat(aliasTarget()).contains(baseCollection);
        Await.until(Duration.ofSeconds(10), () -> searcher.answer(QUERIES.get(2), 3).modelVersion().equals(base),
                () -> "searches answered by " + base + " after the rollback");
        for (String q : QUERIES) {
            SearchBackend.Answer a = searcher.answer(q, 5);
            assertThat(checkScores(q, a)).isNull();
        }
        // the retained collection was kept in step: the late document is there
        assertThat(searcher.search("knitting patterns and wool", 1).get(0).docId()).isEqualTo("late");
        Await.until(Duration.ofSeconds(10), () -> indexer.targets().stream().anyMatch(
                t -> t.collection().equals(baseCollection) && t.role() == IndexTargets.Role.LIVE),
                () -> "indexer follows the rollback");
    }

    @Test
    void queryOnlyPromotionSwitchesTheQueryModelWithoutReindexing() throws Exception {
        String baseCollection = CollectionBootstrap.collectionName(alias, base);
        String v2 = base + "-a2";
        LinearAdapter adapter = randomAdapter(AdapterMode.QUERY_ONLY, 11);
        adapters.put(v2, adapter);
        long copied = indexer.stats().pointsCopied();
        ModelUpdatesFollower.publish(cfg.kafkaProperties(), cfg.topics().modelUpdates(),
                exportAndPromote(v2, adapter, ModelUpdate.QUERY_ONLY, base, base));
        Await.until(Duration.ofSeconds(20), () -> searcher.answer(QUERIES.get(0), 3).modelVersion().equals(v2),
                () -> "searches answered by " + v2);
        for (String q : QUERIES) {
            assertThat(checkScores(q, searcher.answer(q, 5))).isNull();
        }
        assertThat(aliasTarget()).contains(baseCollection);
        assertThat(exists(CollectionBootstrap.collectionName(alias, v2))).isFalse();
        assertThat(indexer.stats().pointsCopied()).isEqualTo(copied);
    }

    /** Null when the answer's top score equals the score recomputed with the answer's own model version. */
    private String checkScores(String query, SearchBackend.Answer a) {
        String version = a.modelVersion();
        LinearAdapter adapter = adapters.get(version);
        float[] q = models.encoder().encodeQuery(query);
        if (adapter != null) {
            q = adapter.applyQuery(q);
        }
        // documents: the collection's version is the version itself (symmetric) or the base (query-only)
        LinearAdapter docs = adapter != null && adapter.mode() == AdapterMode.SYMMETRIC ? adapter : null;
        double best = -2;
        for (Map.Entry<String, String> doc : corpus.entrySet()) {
            float[] v = baseVectors.computeIfAbsent(doc.getKey(),
                    id -> models.encoder().encodeDocuments(List.of(doc.getValue())).get(0));
            float[] d = docs == null ? v : docs.applyDocument(v);
            best = Math.max(best, cosine(q, d));
        }
        double got = a.hits().get(0).score();
        return Math.abs(best - got) < 1e-3 ? null
                : "query '" + query + "' answered by " + version + ": top score " + got + ", expected " + best;
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    /** Identity plus a seeded perturbation strong enough to change rankings and scores. */
    private LinearAdapter randomAdapter(AdapterMode mode, long seed) {
        int d = models.encoder().model().dimension();
        Random random = new Random(seed);
        float[] w = new float[d * d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                w[i * d + j] = (i == j ? 1f : 0f) + (float) (random.nextGaussian() * 0.08);
            }
        }
        return LinearAdapter.of(d, w, mode, true);
    }

    private ModelUpdate exportAndPromote(String version, LinearAdapter adapter, String mode, String parent,
            String documentVersion) throws Exception {
        Path dir = store.resolve(version);
        OnnxAdapterExport.export(models.directory(), adapter, dir, version, Map.of("parent", parent));
        adapter.save(dir.resolve(ModelStore.ADAPTER_FILE));
        return new ModelUpdate(version, dir.toString(), mode, parent, null, base, documentVersion,
                System.currentTimeMillis(), ModelUpdate.PROMOTED);
    }

    private void publish(Map<String, String> docs) {
        try (Publisher publisher = new Publisher(cfg.kafkaProperties(), cfg.topics().documents(),
                cfg.topics().maxRecordBytes())) {
            docs.forEach((id, text) -> publisher.publish(id, Json.write(Map.of("id", id, "text", text))));
        }
    }

    private JsonNode httpSearch(String q) throws Exception {
        URI uri = service.uri().resolve("search?q=" + URLEncoder.encode(q, StandardCharsets.UTF_8) + "&k=3");
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return Json.MAPPER.readTree(response.body());
    }

    private java.util.Optional<String> aliasTarget() {
        return CollectionBootstrap.aliasTarget(client, alias, Duration.ofSeconds(10));
    }

    private boolean exists(String collection) {
        return Qdrant.await(client.collectionExistsAsync(collection, Duration.ofSeconds(10)), Duration.ofSeconds(10), "exists");
    }

    private long count(String collection) {
        return Qdrant.await(client.countAsync(collection, null, true, Duration.ofSeconds(10)), Duration.ofSeconds(10), "count");
    }
}
