package dev.embedloop.cli;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.embedded.EmbeddedServices;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "embedded", mixinStandardHelpOptions = true,
        description = "Start an in-process Kafka broker (KRaft) and the Qdrant local mode, print their addresses and stay up until interrupted.")
final class EmbeddedCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions config;

    @Option(names = "--kafka-port", defaultValue = "9092", description = "Kafka port (default ${DEFAULT-VALUE}; 0 = any free port).")
    int kafkaPort;

    @Option(names = "--qdrant-port", defaultValue = "6334", description = "Qdrant gRPC port (default ${DEFAULT-VALUE}; 0 = any free port).")
    int qdrantPort;

    @Option(names = "--qdrant-data", paramLabel = "DIR", description = "Persist the Qdrant local mode's data in DIR (default: in memory).")
    Path qdrantData;

    @Option(names = "--kafka-data", paramLabel = "DIR",
            description = "Keep the Kafka broker's log in DIR across restarts (default: a temporary directory deleted on exit).")
    Path kafkaData;

    @Override
    public Integer call() throws Exception {
        EmbedloopConfig cfg = config.load();
        try (StopSignal stop = new StopSignal();
                EmbeddedServices services = EmbeddedServices.start(cfg, kafkaPort, qdrantPort, qdrantData, kafkaData)) {
            System.out.println("Kafka bootstrap servers: " + services.bootstrapServers());
            System.out.println("Qdrant (gRPC):           localhost:" + services.qdrantPort());
            System.out.println("Kafka log:               " + (kafkaData == null ? "temporary (deleted on exit; keep it with --kafka-data DIR)"
                    : services.kafka().dataDirectory().toAbsolutePath() + " (kept across restarts)"));
            System.out.println("Use them from other commands with:");
            System.out.println("  --set kafka.bootstrap.servers=" + services.bootstrapServers()
                    + " --set qdrant.port=" + services.qdrantPort());
            System.out.println("Press Ctrl-C to stop.");
            System.out.flush();
            stop.await();
        }
        return 0;
    }
}
