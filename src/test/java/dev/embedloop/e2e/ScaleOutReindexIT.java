package dev.embedloop.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.embedloop.config.ConfigLoader;
import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.embedded.EmbeddedServices;
import dev.embedloop.encode.Models;
import dev.embedloop.events.Json;
import dev.embedloop.index.FillProgressRecord;
import dev.embedloop.index.FillProgressView;
import dev.embedloop.index.KafkaFillProgress;
import dev.embedloop.kafka.KafkaTopics;
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
import dev.embedloop.testing.QdrantProbe;
import io.qdrant.client.QdrantClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three indexer processes (child JVMs) in one consumer group over a documents topic of six
 * partitions; a symmetric promotion fills a new collection; one indexer is killed with SIGKILL
 * during the fill and a fourth is started. The alias moves once, after every partition has been
 * filled (the killed instance's partitions by their next owners); the new collection holds
 * exactly the points of the live one; searches running the whole time always pair the query model
 * with documents of its own version. The promotion travels as an adapter in the model-updates
 * record: the indexers read no model directory.
 */
class ScaleOutReindexIT {

    private static final String ALIAS = "scale";
    private static final int PARTITIONS = 6;
    private static final int DOCUMENTS = 120;
    private static final String[] TOPICS = {"wing lift", "engine thrust", "landing gear", "bread baking", "coffee",
        "ocean tides", "honeybees", "volcano", "glaciers", "chess openings"};
    private static final List<String> QUERIES = List.of("how do wings make lift", "baking sourdough bread",
            "why are there tides", "how bees communicate", "volcanic eruption");

    @TempDir
    Path work;

    private final Map<String, String> corpus = new LinkedHashMap<>();
    private final Map<String, float[]> baseVectors = new ConcurrentHashMap<>();

    @Test
    void shouldMoveTheAliasOnceAfterEveryPartitionIsFilledWhenAnIndexerIsKilledMidFill() throws Exception {
        EmbedloopConfig defaults = ConfigLoader.defaults();
        try (EmbeddedServices services = EmbeddedServices.start(defaults, 0, 0, null)) {
            EmbedloopConfig cfg = services.configure(defaults).with(Map.of(
                    "qdrant.collection", ALIAS,
                    "model", "all-minilm-l6-v2-q",
                    "topics.partitions", Integer.toString(PARTITIONS),
                    "model.local-store", work.resolve("search-store").toString()));
            List<org.apache.kafka.clients.admin.NewTopic> topics = new ArrayList<>(KafkaTopics.indexingTopics(cfg));
            topics.addAll(KafkaTopics.modelTopics(cfg));
            topics.add(KafkaFillProgress.topic(cfg));
            KafkaTopics.ensure(cfg.kafkaProperties(), topics);
            for (int i = 0; i < DOCUMENTS; i++) {
                String topic = TOPICS[i % TOPICS.length];
                corpus.put("d" + i, "Note " + i + " on " + topic + ": " + topic + " explained in " + (i + 3) + " short lines.");
            }
            try (Publisher publisher = new Publisher(cfg.kafkaProperties(), cfg.topics().documents(),
                    cfg.topics().maxRecordBytes())) {
                corpus.forEach((id, text) -> publisher.publish(id, Json.write(Map.of("id", id, "text", text))));
            }

            List<Process> indexers = new CopyOnWriteArrayList<>();
            try (Models models = Models.open(cfg); QdrantClient client = Qdrant.connect(cfg.qdrant())) {
                for (int i = 1; i <= 3; i++) {
                    indexers.add(launch(services, i));
                }
                String base = models.encoder().model().version();
                String baseCollection = CollectionBootstrap.collectionName(ALIAS, base);
                Await.until(Duration.ofSeconds(240), () -> count(client, baseCollection) == DOCUMENTS,
                        () -> "three indexers to index " + DOCUMENTS + " documents (have " + count(client, baseCollection) + ")");

                assertThat(indexers).as("three indexers running").allMatch(Process::isAlive);
                // the promotion: the adapter travels in the record; the trainer's directory is gone
                String v1 = base + "-a1";
                String v1Collection = CollectionBootstrap.collectionName(ALIAS, v1);
                LinearAdapter adapter = randomAdapter(models.encoder().model().dimension());
                Path trainerDir = work.resolve("trainer").resolve(v1);
                OnnxAdapterExport.export(models.directory(), adapter, trainerDir, v1, Map.of("parent", base));
                adapter.save(trainerDir.resolve(ModelStore.ADAPTER_FILE));
                ModelUpdate update = new ModelUpdate(v1, trainerDir.toString(), ModelUpdate.SYMMETRIC, base, null, base,
                        v1, System.currentTimeMillis(), ModelUpdate.PROMOTED)
                        .withArtifact(ModelStore.artifact(trainerDir, models.directory()));
                try (var files = Files.walk(trainerDir)) {
                    for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }

                try (Searcher searcher = Searcher.following(cfg, models.encoder(), models.encoderOptions(), client);
                        ModelUpdatesFollower follower = ModelUpdatesFollower.startCaughtUp(cfg.kafkaProperties(),
                                cfg.topics().modelUpdates(), base, Duration.ofSeconds(60));
                        KafkaFillProgress progress = KafkaFillProgress.start(cfg.kafkaProperties(),
                                cfg.topics().fillProgress(), PARTITIONS, "test-reader", Duration.ofSeconds(60))) {
                    AtomicBoolean running = new AtomicBoolean(true);
                    List<String> failures = Collections.synchronizedList(new ArrayList<>());
                    Map<String, Integer> answeredBy = new ConcurrentHashMap<>();
                    List<String> aliasTargets = new CopyOnWriteArrayList<>();
                    Thread load = new Thread(() -> {
                        int i = 0;
                        while (running.get()) {
                            String q = QUERIES.get(i++ % QUERIES.size());
                            try {
                                SearchBackend.Answer a = searcher.answer(q, 5);
                                answeredBy.merge(a.modelVersion(), 1, Integer::sum);
                                String mismatch = checkScores(models, adapter, v1, q, a);
                                if (mismatch != null) {
                                    failures.add(mismatch);
                                }
                            } catch (RuntimeException e) {
                                failures.add("search failed: " + e);
                            }
                        }
                    }, "search-load");
                    Thread watch = new Thread(() -> {
                        while (running.get()) {
                            String target = CollectionBootstrap.aliasTarget(client, ALIAS, Duration.ofSeconds(10)).orElse("none");
                            if (aliasTargets.isEmpty() || !aliasTargets.get(aliasTargets.size() - 1).equals(target)) {
                                aliasTargets.add(target);
                            }
                            try {
                                Thread.sleep(5);
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                    }, "alias-watch");
                    load.start();
                    watch.start();
                    try {
                        ModelUpdatesFollower.publish(cfg.kafkaProperties(), cfg.topics().modelUpdates(), update);
                        assertThat(follower.await(l -> l.liveVersion().equals(v1), Duration.ofSeconds(30))).isTrue();
                        String fill = v1Collection + "@" + follower.state().documentEpoch();

                        // kill one indexer with SIGKILL once the fill is under way
                        Await.until(Duration.ofSeconds(120), () -> count(client, v1Collection) >= 10,
                                () -> "the fill to start (have " + count(client, v1Collection) + ")");
                        Process killed = indexers.remove(1);
                        killed.destroyForcibly();
                        killed.waitFor();
                        FillProgressView atKill = progress.view();
                        Set<Integer> doneAtKill = atKill.donePartitions(fill);
                        long pointsAtKill = count(client, v1Collection);
                        System.out.println("killed pid " + killed.pid() + " with " + pointsAtKill + " of " + DOCUMENTS
                                + " points copied; partitions done then: " + doneAtKill);
                        assertThat(doneAtKill).as("killed during the fill").hasSizeLessThan(PARTITIONS);
                        assertThat(aliasTargets).doesNotContain(v1Collection);
                        indexers.add(launch(services, 4));

                        Await.until(Duration.ofSeconds(240),
                                () -> aliasTargets.contains(v1Collection),
                                () -> "the alias to move; partitions done: " + progress.view().donePartitions(fill));
                        // the move is recorded after the alias moved: wait for it to come back
                        Await.until(Duration.ofSeconds(30), () -> progress.view().moved(fill).isPresent(),
                                () -> "the move record of " + fill);
                        FillProgressView end = progress.view();
                        assertThat(end.allDone(fill, PARTITIONS)).isTrue();
                        FillProgressRecord moved = end.moved(fill).orElseThrow();
                        Set<String> alive = indexers.stream().map(p -> Long.toString(p.pid())).collect(Collectors.toSet());
                        for (int p = 0; p < PARTITIONS; p++) {
                            int partition = p;
                            FillProgressRecord done = record(end, fill, partition);
                            assertThat(done.at()).as("partition %d done before the move", p).isLessThanOrEqualTo(moved.at());
                            if (!doneAtKill.contains(p)) {
                                assertThat(pid(done.instance())).as("partition %d filled by a live instance", p).isIn(alive);
                            }
                        }
                        System.out.println("fill records: " + describe(end, fill) + "; moved by " + moved.instance());

                        assertThat(indexers).as("the surviving and the added indexer still run").allMatch(Process::isAlive);
                        assertThat(ids(client, v1Collection)).isEqualTo(ids(client, baseCollection)).hasSize(DOCUMENTS);
                        // a few more searches on the new collection, then stop the load
                        int before = answeredBy.getOrDefault(v1, 0);
                        Await.until(Duration.ofSeconds(30), () -> answeredBy.getOrDefault(v1, 0) > before + 5,
                                () -> "searches answered by " + v1);
                    } finally {
                        running.set(false);
                        load.join(30_000);
                        watch.join(10_000);
                    }
                    System.out.println("alias targets seen: " + aliasTargets + "; searches answered by: " + answeredBy);
                    assertThat(failures).isEmpty();
                    assertThat(aliasTargets).containsExactly(baseCollection, v1Collection);
                    assertThat(answeredBy).containsKeys(base, v1);
                }
            } finally {
                for (Process p : indexers) {
                    p.destroy();
                }
                for (Process p : indexers) {
                    p.waitFor();
                }
            }
        }
    }

    private static FillProgressRecord record(FillProgressView view, String fill, int partition) {
        // the done record of a partition is what isDone reads; rebuild it from the view's public API
        return view.doneRecord(fill, partition).orElseThrow(() -> new AssertionError("no done record for " + partition));
    }

    private static String describe(FillProgressView view, String fill) {
        List<String> out = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            view.doneRecord(fill, p).ifPresent(r -> out.add("p" + r.partition() + " by " + r.instance() + " (" + r.points() + ")"));
        }
        return out.toString();
    }

    private static String pid(String instance) {
        return instance.substring(instance.lastIndexOf('/') + 1);
    }

    private static long count(QdrantClient client, String collection) {
        try {
            return client.collectionExistsAsync(collection).get() ? new QdrantProbe(client, collection).count() : 0;
        } catch (Exception e) {
            return 0;
        }
    }

    private static Set<String> ids(QdrantClient client, String collection) {
        return new QdrantProbe(client, collection).all().stream().map(p -> p.getId().getUuid())
                .collect(Collectors.toCollection(HashSet::new));
    }

    /** Null when the answer's top score equals the one recomputed with the answer's own model version. */
    private String checkScores(Models models, LinearAdapter adapter, String v1, String query, SearchBackend.Answer a) {
        boolean adapted = a.modelVersion().equals(v1);
        float[] q = models.encoder().encodeQuery(query);
        if (adapted) {
            q = adapter.applyQuery(q);
        }
        double best = -2;
        for (Map.Entry<String, String> doc : corpus.entrySet()) {
            float[] v = baseVectors.computeIfAbsent(doc.getKey(),
                    id -> models.encoder().encodeDocuments(List.of(doc.getValue())).get(0));
            best = Math.max(best, cosine(q, adapted ? adapter.applyDocument(v) : v));
        }
        double got = a.hits().get(0).score();
        return Math.abs(best - got) < 1e-3 ? null
                : "query '" + query + "' answered by " + a.modelVersion() + ": top score " + got + ", expected " + best;
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

    private static LinearAdapter randomAdapter(int d) {
        Random random = new Random(7);
        float[] w = new float[d * d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                w[i * d + j] = (i == j ? 1f : 0f) + (float) (random.nextGaussian() * 0.08);
            }
        }
        return LinearAdapter.of(d, w, AdapterMode.SYMMETRIC, true);
    }

    private Process launch(EmbeddedServices services, int n) throws Exception {
        Path log = Path.of("target", "scale-test");
        Files.createDirectories(log);
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), "dev.embedloop.cli.Cli", "index",
                "--set", "kafka.bootstrap.servers=" + services.bootstrapServers(),
                "--set", "qdrant.port=" + services.qdrantPort(),
                "--set", "qdrant.collection=" + ALIAS,
                "--set", "model=all-minilm-l6-v2-q",
                "--set", "topics.partitions=" + PARTITIONS,
                "--set", "kafka.state.dir=" + work.resolve("state-" + n),
                "--set", "kafka.application.id=scale-indexer",
                // a killed member leaves the group quickly, so its partitions move on during the test
                "--set", "kafka.session.timeout.ms=6000",
                "--set", "kafka.heartbeat.interval.ms=1000",
                // a slow fill (1 point per step, 5 points/s per partition), so an instance dies mid-fill
                "--set", "index.reindex-batch-points=1",
                "--set", "index.reindex-points-per-second=5",
                "--set", "encoder.parallelism=1",
                // several indexers on one host: the management port of each is any free one
                "--set", "management.port=0"));
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.resolve("indexer-" + n + ".log").toFile()).start();
    }
}
