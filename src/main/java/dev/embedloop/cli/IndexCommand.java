package dev.embedloop.cli;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.encode.Models;
import dev.embedloop.index.IndexTargets;
import dev.embedloop.index.Indexer;
import dev.embedloop.metrics.Management;
import dev.embedloop.metrics.ManagementSettings;
import dev.embedloop.qdrant.Qdrant;
import io.qdrant.client.QdrantClient;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "index", mixinStandardHelpOptions = true,
        description = "Run the indexing topology against the configured Kafka and Qdrant until interrupted.")
final class IndexCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(IndexCommand.class);

    @Mixin
    ConfigOptions config;

    @Option(names = "--stats-interval", defaultValue = "10", paramLabel = "SECONDS",
            description = "Print the counters every SECONDS (default ${DEFAULT-VALUE}).")
    int statsInterval;

    @Override
    public Integer call() throws Exception {
        EmbedloopConfig cfg = config.load();
        try (StopSignal stop = new StopSignal();
                Management management = Monitoring.start(cfg, ManagementSettings.INDEX_PORT)) {
            LOG.info("configuration: {}", cfg.describe()); // after Monitoring.start: in the configured log format
            AtomicBoolean loaded = new AtomicBoolean();
            management.readiness().add("model", loaded::get);
            Monitoring.checkKafka(management, cfg);
            try (Models models = Models.open(cfg);
                    QdrantClient client = Qdrant.connect(cfg.qdrant());
                    Indexer indexer = start(cfg, models, client, management)) {
                loaded.set(true);
                return stop.reportUntilStopped("index", Duration.ofSeconds(statsInterval), indexer::stats, indexer::stopped);
            }
        }
    }

    /**
     * Starts the indexer with its meters in {@code management}'s registry, its Kafka Streams metrics
     * bound, and the readiness checks "streams" (RUNNING or rebalancing) and "qdrant".
     */
    static Indexer start(EmbedloopConfig cfg, Models models, QdrantClient client, Management management) {
        Monitoring.checkQdrant(management, client);
        Indexer indexer = Indexer.start(cfg, models, client, management.registry());
        management.bind(indexer.kafkaStreams());
        management.trackModel("documents", () -> indexer.targets().stream()
                .filter(t -> t.role() == IndexTargets.Role.LIVE).map(IndexTargets.Target::version).findFirst().orElse(null));
        management.readiness().add("streams", () -> indexer.state() == KafkaStreams.State.RUNNING
                || indexer.state() == KafkaStreams.State.REBALANCING);
        return indexer;
    }
}
