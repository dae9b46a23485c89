package dev.embedloop.cli;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.encode.Models;
import dev.embedloop.index.Indexer;
import dev.embedloop.qdrant.Qdrant;
import io.qdrant.client.QdrantClient;
import java.time.Duration;
import java.util.concurrent.Callable;
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
        LOG.info("configuration: {}", cfg.describe());
        try (StopSignal stop = new StopSignal();
                Models models = Models.open(cfg);
                QdrantClient client = Qdrant.connect(cfg.qdrant());
                Indexer indexer = Indexer.start(cfg, models, client)) {
            return stop.reportUntilStopped("index", Duration.ofSeconds(statsInterval), indexer::stats, indexer::stopped);
        }
    }
}
