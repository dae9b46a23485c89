package dev.embedloop.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.embedloop.config.ConfigLoader;
import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.embedded.EmbeddedServices;
import dev.embedloop.encode.Models;
import dev.embedloop.events.Json;
import dev.embedloop.index.IndexTargets;
import dev.embedloop.index.Indexer;
import dev.embedloop.lineage.ModelStore;
import dev.embedloop.lineage.ModelUpdate;
import dev.embedloop.lineage.ModelUpdatesFollower;
import dev.embedloop.model.AdapterMode;
import dev.embedloop.model.LinearAdapter;
import dev.embedloop.model.OnnxAdapterExport;
import dev.embedloop.publish.Publisher;
import dev.embedloop.qdrant.CollectionBootstrap;
import dev.embedloop.qdrant.Qdrant;
import dev.embedloop.search.SearchBackend;
import dev.embedloop.search.Searcher;
import dev.embedloop.testing.Await;
import io.qdrant.client.QdrantClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shadow collection of a symmetric candidate under test, end to end in one JVM: real Kafka
 * broker, Qdrant local mode, quantized MiniLM, the indexer and a search service following
 * {@code model-updates}. A symmetric candidate published {@code under_test} gets a filled
 * {@code <alias>__<version>} while the alias stays on the live collection; the search service then
 * answers interleaved searches from it; the candidate's promotion moves the alias with no second copy.
 */
class ShadowFillEndToEndIT {

    private static final String[] TOPICS = {"wing lift", "engine thrust", "landing gear", "bread baking", "coffee",
        "ocean tides", "honeybees", "volcano", "glaciers", "chess openings"};

    static EmbeddedServices services;
    static Models models;
    static String base;

    @TempDir
    Path state;
    @TempDir
    Path store;

    String alias;
    EmbedloopConfig cfg;
    QdrantClient client;
    Indexer indexer;
    Searcher searcher;
    final Map<String, String> corpus = new LinkedHashMap<>();

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
        alias = "shadow_" + run;
        Map<String, String> own = new java.util.HashMap<>(Map.of(
                "kafka.state.dir", state.toString(),
                "kafka.application.id", "shadow-e2e-" + run,
                "model", "all-minilm-l6-v2-q",
                "qdrant.collection", alias,
                "search.port", "0",
                "index.reindex-batch-points", "4"));
        for (String t : List.of("documents", "dead-letter", "model-updates", "fill-progress")) {
            own.put("topics." + t, t + "-" + run);
        }
        cfg = services.configure(ConfigLoader.defaults()).with(own);
        client = Qdrant.connect(cfg.qdrant());
        indexer = Indexer.start(cfg, models, client);
        assertThat(indexer.awaitRunning(Duration.ofSeconds(60))).as("indexer RUNNING").isTrue();
        for (int i = 0; i < 30; i++) {
            String topic = TOPICS[i % TOPICS.length];
            corpus.put("d" + i, "Note " + i + " on " + topic + ": " + topic + " explained in " + (i + 3) + " short lines.");
        }
        publish(corpus);
        Await.until(Duration.ofSeconds(120), () -> indexer.stats().indexed() >= corpus.size(), indexer.stats()::toString);
        searcher = Searcher.following(cfg, models.encoder(), models.encoderOptions(), client);
    }

    @AfterEach
    void stop() {
        if (searcher != null) searcher.close();
        if (indexer != null) indexer.close();
        if (client != null) client.close();
    }

    @Test
    void symmetricCandidateUnderTestGetsAFilledShadowThenInterleavedAnswersAndItsPromotionMovesTheAliasWithoutCopyingAgain()
            throws Exception {
        String baseCollection = CollectionBootstrap.collectionName(alias, base);
        String v1 = base + "-a1";
        String shadow = CollectionBootstrap.collectionName(alias, v1);
        assertThat(aliasTarget()).contains(baseCollection);
        long encodedBefore = indexer.stats().textsEncoded();
        Random random = new Random(3);
        assertThat(searcher.answerInterleaved("how do wings make lift", 5, random)).isEmpty();

        // trained on one query: that query is never interleaved (its outcomes would not count)
        ModelUpdate candidate = export(v1, randomAdapter(7), ModelUpdate.UNDER_TEST,
                Json.MAPPER.valueToTree(Map.of(ModelUpdate.TRAINED_QUERIES,
                        List.of(dev.embedloop.events.Queries.key("How do wings make LIFT?")))));
        ModelUpdatesFollower.publish(cfg.kafkaProperties(), cfg.topics().modelUpdates(), candidate);

        Await.until(Duration.ofSeconds(60), () -> exists(shadow) && count(shadow) == count(baseCollection),
                () -> shadow + " filled (" + (exists(shadow) ? count(shadow) : -1) + " of " + count(baseCollection) + ")");
        assertThat(aliasTarget()).as("the alias stays on the live collection").contains(baseCollection);
        assertThat(indexer.targets()).extracting(IndexTargets.Target::collection, IndexTargets.Target::role)
                .contains(org.assertj.core.groups.Tuple.tuple(shadow, IndexTargets.Role.SHADOW));
        assertThat(indexer.stats().reindexes()).isZero();
        assertThat(indexer.stats().textsEncoded()).as("no re-encoding").isEqualTo(encodedBefore);
        long copied = indexer.stats().pointsCopied();
        assertThat(copied).isEqualTo(count(baseCollection));

        // the search side interleaves once the shadow is complete
        Await.until(Duration.ofSeconds(30), () -> searcher.answerInterleaved("baking sourdough bread", 5, random)
                .isPresent(), () -> "an interleaved answer");
        SearchBackend.InterleavedAnswer answer = searcher.answerInterleaved("why are there tides", 5, random).orElseThrow();
        assertThat(answer.liveVersion()).isEqualTo(base);
        assertThat(answer.candidateVersion()).isEqualTo(v1);
        assertThat(answer.hits()).hasSize(5);
        assertThat(searcher.answerInterleaved("how do wings make lift?", 5, random)).as("a query it trained on").isEmpty();

        // a document written while the candidate is under test reaches the shadow too
        publish(Map.of("late", "A late note on knitting patterns and wool, published while a candidate is tested."));
        Await.until(Duration.ofSeconds(30), () -> count(shadow) == count(baseCollection)
                && indexer.stats().indexed() > corpus.size(), () -> "the late document in both collections");

        // promoted: the shadow is complete, the alias moves, nothing is copied again
        ModelUpdatesFollower.publish(cfg.kafkaProperties(), cfg.topics().modelUpdates(),
                candidate.withStatus(ModelUpdate.PROMOTED, System.currentTimeMillis()));
        Await.until(Duration.ofSeconds(30), () -> aliasTarget().orElse("").equals(shadow), () -> "alias -> " + shadow);
        Await.until(Duration.ofSeconds(10), () -> indexer.targets().stream()
                .anyMatch(t -> t.collection().equals(shadow) && t.role() == IndexTargets.Role.LIVE), () -> "shadow live");
        // counted just after the shadow's role changes
        Await.until(Duration.ofSeconds(10), () -> indexer.stats().reindexes() >= 1, () -> "the re-index counted");
        assertThat(indexer.stats().pointsCopied()).as("copy writes after the promotion").isEqualTo(copied);
        assertThat(indexer.stats().reindexes()).isEqualTo(1);
        assertThat(count(shadow)).isEqualTo(count(baseCollection));
    }

    /** Identity plus a seeded perturbation strong enough to change rankings. */
    private LinearAdapter randomAdapter(long seed) {
        int d = models.encoder().model().dimension();
        Random random = new Random(seed);
        float[] w = new float[d * d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                w[i * d + j] = (i == j ? 1f : 0f) + (float) (random.nextGaussian() * 0.08);
            }
        }
        return LinearAdapter.of(d, w, AdapterMode.SYMMETRIC, true);
    }

    private ModelUpdate export(String version, LinearAdapter adapter, String status) throws Exception {
        return export(version, adapter, status, null);
    }

    private ModelUpdate export(String version, LinearAdapter adapter, String status,
            com.fasterxml.jackson.databind.JsonNode trainingWindow) throws Exception {
        Path dir = store.resolve(version);
        OnnxAdapterExport.export(models.directory(), adapter, dir, version, Map.of("parent", base));
        adapter.save(dir.resolve(ModelStore.ADAPTER_FILE));
        return new ModelUpdate(version, dir.toString(), ModelUpdate.SYMMETRIC, base, null, base, version,
                System.currentTimeMillis(), status, trainingWindow, null);
    }

    private void publish(Map<String, String> docs) {
        try (Publisher publisher = new Publisher(cfg.kafkaProperties(), cfg.topics().documents(),
                cfg.topics().maxRecordBytes())) {
            docs.forEach((id, text) -> publisher.publish(id, Json.write(Map.of("id", id, "text", text))));
        }
    }

    private Optional<String> aliasTarget() {
        return CollectionBootstrap.aliasTarget(client, alias, Duration.ofSeconds(10));
    }

    private boolean exists(String collection) {
        return Qdrant.await(client.collectionExistsAsync(collection, Duration.ofSeconds(10)), Duration.ofSeconds(10), "exists");
    }

    private long count(String collection) {
        return Qdrant.await(client.countAsync(collection, null, true, Duration.ofSeconds(10)), Duration.ofSeconds(10), "count");
    }
}
