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

    @Option(names = "--kafka-data", paramLabel = "DIR",
            description = "Keep the Kafka broker's log in DIR across restarts (default: a temporary directory deleted on exit).")
    Path kafkaData;

    @Option(names = "--qdrant-api-key", paramLabel = "KEY", arity = "0..1", interactive = false,
            description = "Require this API key of every Qdrant client, as Qdrant's service.api_key does "
                    + "(clients without it get UNAUTHENTICATED); also EMBEDLOOP_QDRANT_API_KEY. Never printed.")
    String qdrantApiKey;

    @Override
    public Integer call() throws Exception {
        EmbedloopConfig cfg = config.load();
        if (qdrantApiKey == null) {
            qdrantApiKey = cfg.qdrant().apiKey();
        }
        try (StopSignal stop = new StopSignal();
                Management management = Monitoring.start(cfg, ManagementSettings.EMBEDDED_PORT);
                EmbeddedServices services = EmbeddedServices.start(cfg, kafkaPort, qdrantPort, qdrantData, kafkaData,
                        qdrantApiKey)) {
            // started: the broker and the local mode answer (start returns once both do)
            management.readiness().add("embedded", () -> true);
            System.out.println("Kafka bootstrap servers: " + services.bootstrapServers());
            System.out.println("Qdrant (gRPC):           localhost:" + services.qdrantPort());
            System.out.println("Kafka log:               " + (kafkaData == null ? "temporary (deleted on exit; keep it with --kafka-data DIR)"
                    : services.kafka().dataDirectory().toAbsolutePath() + " (kept across restarts)"));
            System.out.println("Use them from other commands with:");
            System.out.println("  --set kafka.bootstrap.servers=" + services.bootstrapServers()
                    + " --set qdrant.port=" + services.qdrantPort()
                    + (qdrantApiKey == null ? "" : " and the same qdrant.api-key (EMBEDLOOP_QDRANT_API_KEY)"));
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
