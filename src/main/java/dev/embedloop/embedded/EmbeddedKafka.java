package dev.embedloop.embedded;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache Kafka broker (KRaft, one node that is broker and controller) running in this JVM,
 * for the embedded mode and the integration tests.
 *
 * <p>Its log lives in a data directory: a given one is kept across restarts (formatted on first
 * use, reused afterwards: topics, records and committed offsets survive), otherwise a temporary
 * one deleted on close. {@link #restart()} stops the broker and starts it again on the same ports
 * and log, as a broker restart looks to clients.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

    private static final int NODE_ID = 0;

    private final Path dataDir;
    private final boolean temporary;
    private final Map<String, String> config;
    private final String bootstrapServers;
    private KafkaRaftServer server;

    private EmbeddedKafka(Path dataDir, boolean temporary, Map<String, String> config, String bootstrapServers) {
        this.dataDir = dataDir;
        this.temporary = temporary;
        this.config = config;
        this.bootstrapServers = bootstrapServers;
    }

    /**
     * Starts a broker whose log is deleted on close.
     *
     * @param port the client port, or 0 for any free port
     * @param maxMessageBytes the largest record the broker accepts (large documents need more than 1 MB)
     */
    public static EmbeddedKafka start(int port, int maxMessageBytes) {
        return start(port, maxMessageBytes, null);
    }

    /**
     * Starts a broker.
     *
     * @param port the client port, or 0 for any free port
     * @param maxMessageBytes the largest record the broker accepts
     * @param dataDir where the log is kept across restarts, or null for a temporary directory
     */
    public static EmbeddedKafka start(int port, int maxMessageBytes, Path dataDir) {
        long t0 = System.nanoTime();
        boolean temporary = dataDir == null;
        Path dir;
        try {
            dir = temporary ? Files.createTempDirectory("embedloop-kafka") : Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the Kafka data directory " + dataDir, e);
        }
        int brokerPort = port > 0 ? port : freePort();
        int controllerPort = freePort();
        String logDir = dir.resolve("log").toAbsolutePath().toString();
        Map<String, String> config = new HashMap<>();
        config.put("node.id", Integer.toString(NODE_ID));
        config.put("process.roles", "broker,controller");
        config.put("listeners", "PLAINTEXT://localhost:" + brokerPort + ",CONTROLLER://localhost:" + controllerPort);
        config.put("advertised.listeners", "PLAINTEXT://localhost:" + brokerPort);
        config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        config.put("controller.listener.names", "CONTROLLER");
        config.put("inter.broker.listener.name", "PLAINTEXT");
        // a static quorum of this node: its controller address may change between restarts
        config.put("controller.quorum.voters", NODE_ID + "@localhost:" + controllerPort);
        config.put("log.dirs", logDir);
        config.put("message.max.bytes", Integer.toString(maxMessageBytes));
        config.put("replica.fetch.max.bytes", Integer.toString(maxMessageBytes));
        config.put("group.initial.rebalance.delay.ms", "0");
        config.put("offsets.topic.replication.factor", "1");
        config.put("offsets.topic.num.partitions", "5");
        config.put("transaction.state.log.replication.factor", "1");
        config.put("transaction.state.log.min.isr", "1");
        config.put("share.coordinator.state.topic.replication.factor", "1");
        config.put("share.coordinator.state.topic.min.isr", "1");
        config.put("auto.create.topics.enable", "false");
        config.put("log.cleaner.dedupe.buffer.size", "2097152");
        EmbeddedKafka kafka = new EmbeddedKafka(dir, temporary, Map.copyOf(config), "localhost:" + brokerPort);
        try {
            format(new KafkaConfig(config, false), logDir);
            kafka.startServer();
        } catch (RuntimeException e) {
            kafka.close();
            throw new IllegalStateException("could not start the embedded Kafka broker"
                    + (port > 0 ? " on port " + port + " (is it in use? choose another with --kafka-port)" : ""), e);
        }
        LOG.info("embedded Kafka broker ready at {} in {} ms (log in {}{})", kafka.bootstrapServers,
                (System.nanoTime() - t0) / 1_000_000, dir, temporary ? ", deleted on close" : ", kept");
        return kafka;
    }

    /** Formats the log directory unless it already is (a restart keeps the cluster id and the data). */
    private static void format(KafkaConfig config, String logDir) {
        if (Files.exists(Path.of(logDir, "meta.properties"))) {
            return;
        }
        try {
            new Formatter()
                    .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                    .setNodeId(NODE_ID)
                    .setClusterId(Uuid.randomUuid().toString())
                    .setDirectories(List.of(logDir))
                    .setMetadataLogDirectory(logDir)
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .setControllerListenerName("CONTROLLER")
                    .setIgnoreFormatted(true)
                    .run();
        } catch (Exception e) {
            throw new IllegalStateException("could not format the Kafka log directory " + logDir + ": " + e.getMessage(), e);
        }
    }

    private synchronized void startServer() {
        KafkaRaftServer s = new KafkaRaftServer(new KafkaConfig(config, false), Time.SYSTEM);
        server = s;
        s.startup();
        awaitReady();
    }

    /** Waits until the broker answers clients (registered and unfenced), at most a minute. */
    private void awaitReady() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try (Admin admin = Admin.create(props)) {
            while (true) {
                try {
                    if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                        admin.listTopics().names().get(5, TimeUnit.SECONDS);
                        return;
                    }
                } catch (Exception e) {
                    if (e instanceof InterruptedException) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted while waiting for the broker", e);
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the embedded Kafka broker did not become ready in 60 s", e);
                    }
                }
            }
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** Stops the broker, as a crash-free shutdown would. Clients see it go away; {@link #startAgain()} brings it back. */
    public synchronized void stop() {
        if (server != null) {
            long t0 = System.nanoTime();
            server.shutdown();
            server.awaitShutdown();
            server = null;
            LOG.info("embedded Kafka broker stopped in {} ms", (System.nanoTime() - t0) / 1_000_000);
        }
    }

    /** Starts a stopped broker again on the same ports and log. */
    public synchronized void startAgain() {
        if (server == null) {
            long t0 = System.nanoTime();
            startServer();
            LOG.info("embedded Kafka broker restarted at {} in {} ms", bootstrapServers, (System.nanoTime() - t0) / 1_000_000);
        }
    }

    /** Stops the broker and starts it again on the same ports and log. */
    public void restart() {
        stop();
        startAgain();
    }

    @Override
    public void close() {
        try {
            stop();
        } catch (RuntimeException e) {
            LOG.warn("error while stopping the embedded Kafka broker", e);
        }
        if (temporary) {
            deleteQuietly(dataDir);
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warn("could not delete {}: {}", dir, e.getMessage());
        }
    }

    /** Where the broker keeps its log. */
    public Path dataDirectory() {
        return dataDir;
    }
}
