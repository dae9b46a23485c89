package dev.embedloop.cli;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.embedded.EmbeddedServices;
import dev.embedloop.metrics.Management;
import dev.embedloop.metrics.ManagementSettings;
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

    @Override
    public Integer call() throws Exception {
        EmbedloopConfig cfg = config.load();
        try (StopSignal stop = new StopSignal();
                Management management = Monitoring.start(cfg, ManagementSettings.EMBEDDED_PORT);
                EmbeddedServices services = EmbeddedServices.start(cfg, kafkaPort, qdrantPort, qdrantData)) {
            // started: the broker and the local mode answer (start returns once both do)
            management.readiness().add("embedded", () -> true);
            System.out.println("Kafka bootstrap servers: " + services.bootstrapServers());
            System.out.println("Qdrant (gRPC):           localhost:" + services.qdrantPort());
            System.out.println("Use them from other commands with:");
            System.out.println("  --set kafka.bootstrap.servers=" + services.bootstrapServers()
                    + " --set qdrant.port=" + services.qdrantPort());
            if (management.port() > 0) {
                System.out.println("Metrics, health, readiness: http://localhost:" + management.port() + "/metrics /health /ready");
            }
            System.out.println("Press Ctrl-C to stop.");
            System.out.flush();
            stop.await();
        }
        return 0;
    }
}
