package dev.embedloop.embedded;

import java.nio.file.Path;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache Kafka broker (KRaft, combined broker and controller) running in this JVM, for
 * the embedded mode and the integration tests. Its data lives in a temporary directory deleted
 * on close.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

    private final KafkaClusterTestKit cluster;
    private final PortForwarder forwarder;
    private final String bootstrapServers;

    private EmbeddedKafka(KafkaClusterTestKit cluster, PortForwarder forwarder, String bootstrapServers) {
        this.cluster = cluster;
        this.forwarder = forwarder;
        this.bootstrapServers = bootstrapServers;
    }

    /**
     * Starts a broker.
     *
     * @param port the client port, or 0 for any free port. The test kit binds its own random port;
     *     a fixed port is served by forwarding to it (clients bootstrap there, then use the
     *     broker's advertised address)
     * @param maxMessageBytes the largest record the broker accepts (large documents need more than 1 MB)
     */
    public static EmbeddedKafka start(int port, int maxMessageBytes) {
        long t0 = System.nanoTime();
        try {
            TestKitNodes nodes = new TestKitNodes.Builder()
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .build();
            KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(nodes)
                    .setConfigProp("message.max.bytes", Integer.toString(maxMessageBytes))
                    .setConfigProp("replica.fetch.max.bytes", Integer.toString(maxMessageBytes))
                    .setConfigProp("group.initial.rebalance.delay.ms", "0")
                    .setConfigProp("offsets.topic.replication.factor", "1")
                    .setConfigProp("transaction.state.log.replication.factor", "1")
                    .setConfigProp("transaction.state.log.min.isr", "1")
                    .setConfigProp("auto.create.topics.enable", "false")
                    .build();
            formatQuietly(cluster);
            cluster.startup();
            cluster.waitForReadyBrokers();
            PortForwarder forwarder = null;
            String bootstrap = cluster.bootstrapServers();
            if (port > 0) {
                int brokerPort = Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1).split(",")[0]);
                try {
                    forwarder = PortForwarder.start(port, brokerPort);
                } catch (java.io.IOException e) {
                    cluster.close();
                    throw new IllegalStateException("port " + port + " is in use; choose another with --kafka-port", e);
                }
                bootstrap = "localhost:" + port;
            }
            EmbeddedKafka kafka = new EmbeddedKafka(cluster, forwarder, bootstrap);
            LOG.info("embedded Kafka broker ready at {} in {} ms", kafka.bootstrapServers(),
                    (System.nanoTime() - t0) / 1_000_000);
            return kafka;
        } catch (Exception e) {
            throw new IllegalStateException("could not start the embedded Kafka broker"
                    + (port > 0 ? " on port " + port + " (is it in use?)" : ""), e);
        }
    }

    /** Kafka's storage formatter prints its progress to standard output; keep the console for our own lines. */
    private static void formatQuietly(KafkaClusterTestKit cluster) throws Exception {
        java.io.PrintStream out = System.out;
        System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        try {
            cluster.format();
        } finally {
            System.setOut(out);
        }
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public void close() {
        if (forwarder != null) {
            forwarder.close();
        }
        try {
            cluster.close();
        } catch (Exception e) {
            LOG.warn("error while stopping the embedded Kafka broker", e);
        }
    }

    /** Where the broker keeps its logs (for diagnostics). */
    public Path dataDirectory() {
        return Path.of(cluster.nodes().baseDirectory());
    }
}
