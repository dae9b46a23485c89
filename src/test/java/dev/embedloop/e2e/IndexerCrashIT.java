package dev.embedloop.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.embedloop.config.ConfigLoader;
import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.embedded.EmbeddedServices;
import dev.embedloop.publish.Publisher;
import dev.embedloop.qdrant.PointIds;
import dev.embedloop.qdrant.Qdrant;
import dev.embedloop.testing.Await;
import dev.embedloop.testing.QdrantProbe;
import io.qdrant.client.QdrantClient;
import io.qdrant.client.grpc.Points.RetrievedPoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills the indexer with SIGKILL while it is writing, restarts it, and checks that every document
 * ends up indexed exactly once: one point per chunk, no extra points, nothing missing.
 */
class IndexerCrashIT {

    private static final int DOCUMENTS = 240;

    @TempDir
    Path work;

    @Test
    void shouldIndexEveryDocumentOnceAfterAHardKillMidBatch() throws Exception {
        EmbedloopConfig base = ConfigLoader.defaults();
        try (EmbeddedServices services = EmbeddedServices.start(base, 0, 0, null)) {
            EmbedloopConfig cfg = services.configure(base).with(Map.of("qdrant.collection", "crash"));
            try (Publisher publisher = new Publisher(cfg.kafkaProperties(), cfg.topics().documents(),
                    cfg.topics().maxRecordBytes())) {
                dev.embedloop.kafka.KafkaTopics.ensure(cfg.kafkaProperties(), dev.embedloop.kafka.KafkaTopics.indexingTopics(cfg));
                for (int i = 0; i < DOCUMENTS; i++) {
                    String id = "doc-" + i;
                    publisher.publish(id, ("{\"id\":\"" + id + "\",\"title\":\"Report " + i + "\",\"text\":\"Measurements of run "
                            + i + " in the wind tunnel at Mach " + (i % 7) + " with a swept wing of aspect ratio " + (i % 11)
                            + ".\"}").getBytes(StandardCharsets.UTF_8));
                }
            }
            List<String> args = List.of(
                    "index",
                    "--set", "kafka.bootstrap.servers=" + services.bootstrapServers(),
                    "--set", "qdrant.port=" + services.qdrantPort(),
                    "--set", "qdrant.collection=crash",
                    "--set", "model=all-minilm-l6-v2-q",
                    "--set", "kafka.state.dir=" + work.resolve("state"),
                    "--set", "kafka.application.id=crash-indexer",
                    "--set", "management.port=0",
                    // the killed member must leave the group quickly so the restarted one gets the partitions
                    "--set", "kafka.session.timeout.ms=6000",
                    "--set", "kafka.heartbeat.interval.ms=1000",
                    "--stats-interval", "1");

            try (QdrantClient client = Qdrant.connect(cfg.qdrant())) {
                Process first = launch(args, logFile("first.log"));
                try {
                    Await.until(Duration.ofSeconds(120), () -> collectionExists(client) && new QdrantProbe(client, "crash").count() >= 40,
                            () -> "the first indexer to write 40 points");
                } finally {
                    first.destroyForcibly(); // SIGKILL on Linux: no shutdown hook, no commit, no flush
                    first.waitFor();
                }
                QdrantProbe probe = new QdrantProbe(client, "crash");
                long atKill = probe.count();
                assertThat(atKill).as("killed mid-run").isLessThan(DOCUMENTS);
                System.out.println("points when the first indexer was killed: " + atKill + " of " + DOCUMENTS);

                Process second = launch(args, logFile("second.log"));
                try {
                    Await.until(Duration.ofSeconds(180), () -> probe.pointsPerDocument().size() == DOCUMENTS,
                            () -> "all documents after the restart (have " + probe.pointsPerDocument().size() + ")");
                } finally {
                    second.destroy();
                    second.waitFor();
                }

                List<RetrievedPoint> points = probe.all();
                assertThat(points).hasSize(DOCUMENTS);
                Set<String> expectedIds = new java.util.HashSet<>();
                for (int i = 0; i < DOCUMENTS; i++) {
                    expectedIds.add(PointIds.of("doc-" + i, 0).toString());
                }
                assertThat(points.stream().map(p -> p.getId().getUuid()).collect(Collectors.toSet()))
                        .isEqualTo(expectedIds);
            }
        }
    }

    private static boolean collectionExists(QdrantClient client) {
        try {
            return client.collectionExistsAsync("crash").get() && !client.listAliasesAsync().get().isEmpty();
        } catch (Exception e) {
            return false;
        }
    }

    /** The child's output stays under target/ for a look after a failure. */
    private static Path logFile(String name) throws java.io.IOException {
        Path dir = Path.of("target", "crash-test");
        java.nio.file.Files.createDirectories(dir);
        return dir.resolve(name);
    }

    private static Process launch(List<String> args, Path log) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx1g");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("dev.embedloop.cli.Cli");
        command.addAll(args);
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }
}
