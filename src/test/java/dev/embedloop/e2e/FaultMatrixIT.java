package dev.embedloop.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.embedloop.config.ConfigLoader;
import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.embedded.EmbeddedServices;
import dev.embedloop.encode.Models;
import dev.embedloop.index.Indexer;
import dev.embedloop.kafka.KafkaTopics;
import dev.embedloop.publish.Publisher;
import dev.embedloop.qdrant.CollectionBootstrap;
import dev.embedloop.qdrant.PointIds;
import dev.embedloop.qdrant.Qdrant;
import dev.embedloop.testing.Await;
import dev.embedloop.testing.ChildProcess;
import dev.embedloop.testing.QdrantProbe;
import io.qdrant.client.QdrantClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault matrix of the indexer: each fault mid-stream, then exact counts (every document
 * indexed, one point each: nothing lost, nothing extra) and, where the indexer runs in this JVM, it
 * never stopped. One embedded broker (log kept in a directory, so it can restart) and one Qdrant
 * local mode (data in a directory, so it can be stopped and started again) serve every case; each
 * case has its own topics, collection and application id.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FaultMatrixIT {

    private static final String MODEL = "all-minilm-l6-v2-q";

    @TempDir
    Path work;

    private EmbeddedServices services;
    private EmbedloopConfig base;
    private Models models;
    private ChildProcess.Launcher children;

    @BeforeAll
    void startServices() throws Exception {
        Path dir = Files.createTempDirectory("embedloop-fault-matrix");
        EmbedloopConfig defaults = ConfigLoader.defaults().with(Map.of("model", MODEL));
        services = EmbeddedServices.start(defaults, 0, 0, dir.resolve("qdrant"), dir.resolve("kafka"));
        base = services.configure(defaults);
        models = Models.open(base);
        children = ChildProcess.Launcher.of(services, MODEL, "fault-matrix");
    }

    @AfterAll
    void stopServices() {
        if (models != null) {
            models.close();
        }
        if (services != null) {
            services.close();
        }
    }

    /** A case's own topics, collection, consumer group and state directory. */
    private EmbedloopConfig scenario(String name) {
        return base.with(Map.of(
                "topics.documents", name + "-docs",
                "topics.dead-letter", name + "-dlq",
                "qdrant.collection", name,
                "kafka.application.id", name + "-indexer",
                "kafka.state.dir", work.resolve(name).toString()));
    }

    private static void publish(EmbedloopConfig cfg, int from, int to) {
        try (Publisher publisher = new Publisher(cfg.kafkaProperties(), cfg.topics().documents(), cfg.topics().maxRecordBytes())) {
            for (int i = from; i < to; i++) {
                String id = "doc-" + i;
                publisher.publish(id, ("{\"id\":\"" + id + "\",\"title\":\"Report " + i + "\",\"text\":\"Pressure distribution "
                        + i + " measured on a delta wing at Mach " + (i % 7) + " and incidence " + (i % 13) + " degrees.\"}")
                        .getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    /** Exactly one point per document {@code doc-0 … doc-(n-1)}, nothing else. */
    private static void assertExactly(QdrantProbe probe, int n) {
        Set<String> expected = new HashSet<>();
        for (int i = 0; i < n; i++) {
            expected.add(PointIds.of("doc-" + i, 0).toString());
        }
        List<String> ids = probe.all().stream().map(p -> p.getId().getUuid()).toList();
        assertThat(ids).as("points (no duplicates, no extras)").hasSize(n);
        assertThat(Set.copyOf(ids)).isEqualTo(expected);
    }

    private static long countOrZero(QdrantProbe probe) {
        try {
            return probe.count();
        } catch (RuntimeException e) {
            return 0; // collection not there yet, or the server away
        }
    }

    @Test
    void shouldRideOutABrokerRestartMidStreamWithoutLosingOrDuplicatingAPoint() throws Exception {
        EmbedloopConfig cfg = scenario("fm-broker");
        KafkaTopics.ensure(cfg.kafkaProperties(), KafkaTopics.indexingTopics(cfg));
        publish(cfg, 0, 150);
        try (QdrantClient client = Qdrant.connect(cfg.qdrant()); Indexer indexer = Indexer.start(cfg, models, client)) {
            QdrantProbe probe = new QdrantProbe(client, "fm-broker");
            Await.until(Duration.ofSeconds(90), () -> countOrZero(probe) >= 30, () -> "30 points before the restart");
            long t0 = System.nanoTime();
            services.kafka().restart();
            System.out.printf("[fault-matrix] broker restarted in %d ms with %d points written%n",
                    (System.nanoTime() - t0) / 1_000_000, probe.count());
            publish(cfg, 150, 300);
            Await.until(Duration.ofSeconds(120), () -> countOrZero(probe) >= 300 || indexer.stopped(),
                    () -> "300 points after the broker restart (have " + countOrZero(probe) + ", state " + indexer.state() + ")");
            assertThat(indexer.stopped()).as("the indexer kept running through the broker restart").isFalse();
            assertExactly(probe, 300);
        }
    }

    @Test
    void shouldKeepRunningWhileItsSourceTopicIsMissingAndResumeOnceItIsBack() throws Exception {
        // what a broker restart without a kept log did: the indexers exited with MissingSourceTopicException
        // the missing topic kills the stream thread and Kafka Streams replaces it; the dead thread's
        // member stays in the group (REMAIN_IN_GROUP) until its session times out, and the rebalance
        // that brings the topic back waits for that: 6 s here instead of the default 45 s
        EmbedloopConfig cfg = scenario("fm-missing").with(Map.of(
                "kafka.session.timeout.ms", "6000",
                "kafka.heartbeat.interval.ms", "1000"));
        KafkaTopics.ensure(cfg.kafkaProperties(), KafkaTopics.indexingTopics(cfg));
        publish(cfg, 0, 20);
        try (QdrantClient client = Qdrant.connect(cfg.qdrant()); Indexer indexer = Indexer.start(cfg, models, client)) {
            QdrantProbe probe = new QdrantProbe(client, "fm-missing");
            Await.until(Duration.ofSeconds(90), () -> countOrZero(probe) >= 20, () -> "20 points before the topic goes");
            java.util.Properties admin = new java.util.Properties();
            admin.put("bootstrap.servers", services.bootstrapServers());
            try (org.apache.kafka.clients.admin.Admin a = org.apache.kafka.clients.admin.Admin.create(admin)) {
                a.deleteTopics(List.of("fm-missing-docs")).all().get(60, TimeUnit.SECONDS);
            }
            Await.until(Duration.ofSeconds(60), () -> indexer.state() != org.apache.kafka.streams.KafkaStreams.State.RUNNING,
                    () -> "the indexer to notice the missing topic");
            assertThat(indexer.stopped()).as("a missing source topic does not stop the indexer").isFalse();
            KafkaTopics.ensure(cfg.kafkaProperties(), KafkaTopics.indexingTopics(cfg));
            // back to RUNNING: its first fetch finds the old committed offsets beyond the new, empty
            // topic's end and resets to the beginning; only then publish (a race would skip records)
            Await.until(Duration.ofSeconds(120), () -> indexer.state() == org.apache.kafka.streams.KafkaStreams.State.RUNNING,
                    () -> "the indexer to run again once the topic is back (state " + indexer.state() + ")");
            publish(cfg, 20, 40);
            Await.until(Duration.ofSeconds(120), () -> countOrZero(probe) >= 40 || indexer.stopped(),
                    () -> "40 points once the topic is back (have " + countOrZero(probe) + ", state " + indexer.state() + ")");
            assertThat(indexer.stopped()).isFalse();
            assertExactly(probe, 40);
        }
    }

    @Test
    void shouldRideOutAQdrantOutageMidStreamWithoutLosingOrDuplicatingAPoint() throws Exception {
        EmbedloopConfig cfg = scenario("fm-qdrant");
        KafkaTopics.ensure(cfg.kafkaProperties(), KafkaTopics.indexingTopics(cfg));
        publish(cfg, 0, 150);
        try (QdrantClient client = Qdrant.connect(cfg.qdrant()); Indexer indexer = Indexer.start(cfg, models, client)) {
            QdrantProbe probe = new QdrantProbe(client, "fm-qdrant");
            Await.until(Duration.ofSeconds(90), () -> countOrZero(probe) >= 30, () -> "30 points before the outage");
            services.stopQdrant();
            publish(cfg, 150, 300);
            // the outage itself (not a wait for state): 8 s is several of the sink's retry rounds
            // (100 ms doubling to 5 s) and gRPC reconnect attempts; a 30 s outage takes the same path,
            // bounded by qdrant.retry-max-ms (5 min) before a stream thread is replaced
            Thread.sleep(8_000);
            assertThat(indexer.stopped()).as("the indexer waits for Qdrant").isFalse();
            services.startQdrant();
            Await.until(Duration.ofSeconds(120), () -> countOrZero(probe) >= 300 || indexer.stopped(),
                    () -> "300 points after the outage (have " + countOrZero(probe) + ", state " + indexer.state() + ")");
            assertThat(indexer.stopped()).as("the indexer kept running through the outage").isFalse();
            assertExactly(probe, 300);
        }
    }

    @Test
    void shouldCreateACollectionOnceWhenInstancesRaceAndRefuseOneThatDoesNotFit() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (QdrantClient client = Qdrant.connect(base.qdrant())) {
            for (int round = 0; round < 8; round++) {
                String alias = "fm-race-" + round;
                CyclicBarrier start = new CyclicBarrier(4);
                List<Future<String>> results = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    results.add(pool.submit(() -> {
                        start.await(10, TimeUnit.SECONDS);
                        return CollectionBootstrap.ensure(client, alias, "v1", 384, Duration.ofSeconds(10));
                    }));
                }
                for (Future<String> r : results) {
                    assertThat(r.get(30, TimeUnit.SECONDS)).isEqualTo(alias + "__v1");
                }
                assertThat(CollectionBootstrap.aliasTarget(client, alias, Duration.ofSeconds(10))).contains(alias + "__v1");
            }
            assertThatThrownBy(() -> CollectionBootstrap.ensure(client, "fm-race-0", "v1", 768, Duration.ofSeconds(10)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("fm-race-0__v1").hasMessageContaining("dimension 384");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldRefuseAnExistingTopicThatDoesNotFitWithAMessageNamingIt() throws Exception {
        EmbedloopConfig cfg = scenario("fm-misfit");
        java.util.Properties admin = new java.util.Properties();
        admin.put("bootstrap.servers", services.bootstrapServers());
        try (org.apache.kafka.clients.admin.Admin a = org.apache.kafka.clients.admin.Admin.create(admin)) {
            // another tool created the documents topic without compaction
            a.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic("fm-misfit-docs", 2, (short) 1)
                    .configs(Map.of("cleanup.policy", "delete")))).all().get(60, TimeUnit.SECONDS);
        }
        assertThatThrownBy(() -> KafkaTopics.ensure(cfg.kafkaProperties(), KafkaTopics.indexingTopics(cfg)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("fm-misfit-docs has cleanup.policy=delete, needs compact");
        // the same topics, created as Embedloop wants them, pass however often they are ensured
        EmbedloopConfig fits = scenario("fm-fits");
        KafkaTopics.ensure(fits.kafkaProperties(), KafkaTopics.indexingTopics(fits));
        KafkaTopics.ensure(fits.kafkaProperties(), KafkaTopics.indexingTopics(fits));
    }

    @Test
    void shouldStartTwoIndexersAtTheSameMomentOnANewCollectionAndIndexEachDocumentOnce() throws Exception {
        EmbedloopConfig cfg = scenario("fm-twins");
        publish(cfgWithTopics(cfg), 0, 120);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Indexer> indexers = new ArrayList<>();
        try (QdrantClient a = Qdrant.connect(cfg.qdrant()); QdrantClient b = Qdrant.connect(cfg.qdrant())) {
            CyclicBarrier start = new CyclicBarrier(2);
            Future<Indexer> first = pool.submit(() -> {
                start.await(10, TimeUnit.SECONDS);
                return Indexer.start(cfg.with(Map.of("kafka.state.dir", work.resolve("twin-a").toString())), models, a);
            });
            Future<Indexer> second = pool.submit(() -> {
                start.await(10, TimeUnit.SECONDS);
                return Indexer.start(cfg.with(Map.of("kafka.state.dir", work.resolve("twin-b").toString())), models, b);
            });
            indexers.add(first.get(120, TimeUnit.SECONDS));
            indexers.add(second.get(120, TimeUnit.SECONDS));
            QdrantProbe probe = new QdrantProbe(a, "fm-twins");
            Await.until(Duration.ofSeconds(120), () -> countOrZero(probe) >= 120, () -> "120 points from two indexers");
            assertThat(indexers).noneMatch(Indexer::stopped);
            assertExactly(probe, 120);
        } finally {
            indexers.forEach(Indexer::close);
            pool.shutdownNow();
        }
    }

    /** Creates the case's topics first, so documents can be published before any indexer runs. */
    private static EmbedloopConfig cfgWithTopics(EmbedloopConfig cfg) {
        KafkaTopics.ensure(cfg.kafkaProperties(), KafkaTopics.indexingTopics(cfg));
        return cfg;
    }

    @Test
    void shouldIndexEveryDocumentOnceWhenOneOfTwoIndexerProcessesIsKilledFiveTimes() throws Exception {
        EmbedloopConfig cfg = scenario("fm-kill");
        KafkaTopics.ensure(cfg.kafkaProperties(), KafkaTopics.indexingTopics(cfg));
        List<String> common = List.of(
                "--set", "qdrant.collection=fm-kill",
                "--set", "topics.documents=fm-kill-docs",
                "--set", "topics.dead-letter=fm-kill-dlq",
                "--set", "kafka.application.id=fm-kill-indexer",
                // a killed member says nothing: the survivor takes its partitions after the session timeout
                "--set", "kafka.session.timeout.ms=6000",
                "--set", "kafka.heartbeat.interval.ms=1000");
        int perWave = 20;
        publish(cfg, 0, perWave);
        Process[] instances = {launchIndexer(common, work.resolve("kill-a"), "kill-a-0"),
                launchIndexer(common, work.resolve("kill-b"), "kill-b-0")};
        try (QdrantClient client = Qdrant.connect(cfg.qdrant())) {
            QdrantProbe probe = new QdrantProbe(client, "fm-kill");
            for (int kill = 1; kill <= 5; kill++) {
                long before = countOrZero(probe);
                publish(cfg, kill * perWave, (kill + 1) * perWave);
                Await.until(Duration.ofSeconds(120), () -> countOrZero(probe) >= before + 5,
                        () -> "progress before kill (have " + countOrZero(probe) + ")");
                int victim = kill % 2;
                instances[victim].destroyForcibly(); // SIGKILL: no shutdown hook, no commit, no leave-group
                instances[victim].waitFor();
                System.out.printf("[fault-matrix] kill %d of instance %d at %d points%n", kill, victim, countOrZero(probe));
                String name = (victim == 0 ? "kill-a-" : "kill-b-") + kill;
                instances[victim] = launchIndexer(common, work.resolve(victim == 0 ? "kill-a" : "kill-b"), name);
            }
            int total = 6 * perWave;
            Await.until(Duration.ofSeconds(180), () -> countOrZero(probe) >= total,
                    () -> total + " points after five kills (have " + countOrZero(probe) + ")");
            assertExactly(probe, total);
        } finally {
            for (Process p : instances) {
                p.destroy();
            }
            for (Process p : instances) {
                p.waitFor(60, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void shouldResumeIndexingWithinSecondsOfASigtermRestart() throws Exception {
        long[] dynamic = restartAndTime("fm-term", List.of());
        long[] fixed = restartAndTime("fm-term-static", List.of("--set", "instance.id=fm-term-static-0"));
        System.out.printf("[fault-matrix] SIGTERM restart, Kafka Streams start to first new document indexed: %d ms (leave group "
                + "on close), %d ms (static membership); process launch to indexed: %d ms, %d ms%n",
                dynamic[0], fixed[0], dynamic[1], fixed[1]);
        // the session timeout is Kafka's default 45 s: waiting for it (what a restart did before) fails these
        assertThat(dynamic[0]).as("leave group on close").isLessThan(10_000);
        assertThat(fixed[0]).as("static membership").isLessThan(10_000);
    }

    /**
     * Runs an indexer process with the default session timeout (45 s), stops it with SIGTERM, starts
     * it again with a new document waiting.
     *
     * @return ms from the restarted process starting Kafka Streams (its log says CREATED -> REBALANCING)
     *     until the new document is in Qdrant, and ms from its launch until then (JVM, model and clients
     *     start-up included: a fixed cost on this machine, not a pause of the group)
     */
    private long[] restartAndTime(String name, List<String> extra) throws Exception {
        EmbedloopConfig cfg = scenario(name);
        KafkaTopics.ensure(cfg.kafkaProperties(), KafkaTopics.indexingTopics(cfg));
        List<String> args = new ArrayList<>(List.of(
                "--set", "qdrant.collection=" + name,
                "--set", "topics.documents=" + name + "-docs",
                "--set", "topics.dead-letter=" + name + "-dlq",
                "--set", "kafka.application.id=" + name + "-indexer"));
        args.addAll(extra);
        publish(cfg, 0, 5);
        try (QdrantClient client = Qdrant.connect(cfg.qdrant())) {
            QdrantProbe probe = new QdrantProbe(client, name);
            Process first = launchIndexer(args, work.resolve(name), name + "-first");
            try {
                Await.until(Duration.ofSeconds(120), () -> countOrZero(probe) >= 5, () -> "5 points from the first run");
            } finally {
                first.destroy(); // SIGTERM: the shutdown hook closes Kafka Streams
                assertThat(first.waitFor(60, TimeUnit.SECONDS)).isTrue();
            }
            publish(cfg, 5, 6);
            long launched = System.nanoTime();
            Process second = launchIndexer(args, work.resolve(name), name + "-second");
            try {
                Path log = children.log(name + "-second");
                Await.until(Duration.ofSeconds(90), () -> logContains(log, "indexer CREATED -> REBALANCING"),
                        () -> "the restarted indexer to start Kafka Streams");
                long streamsStarted = System.nanoTime();
                Await.until(Duration.ofSeconds(90), () -> countOrZero(probe) >= 6, () -> "the new document after the restart");
                long indexed = System.nanoTime();
                assertExactly(probe, 6);
                return new long[] {(indexed - streamsStarted) / 1_000_000, (indexed - launched) / 1_000_000};
            } finally {
                second.destroy();
                second.waitFor(60, TimeUnit.SECONDS);
            }
        }
    }

    private static boolean logContains(Path log, String text) {
        try {
            return Files.exists(log) && Files.readString(log).contains(text);
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** An {@code index} command in its own JVM, its output under target/fault-matrix/. */
    private Process launchIndexer(List<String> settings, Path stateDir, String logName) throws Exception {
        List<String> args = new ArrayList<>(List.of("--set", "kafka.state.dir=" + stateDir, "--stats-interval", "1"));
        args.addAll(settings);
        return children.start(logName, List.of("index"), args).process();
    }
}
