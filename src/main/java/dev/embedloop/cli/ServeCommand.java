package dev.embedloop.cli;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.encode.Models;
import dev.embedloop.kafka.KafkaTopics;
import dev.embedloop.metrics.Management;
import dev.embedloop.metrics.ManagementSettings;
import dev.embedloop.metrics.SearchMeters;
import dev.embedloop.qdrant.Qdrant;
import dev.embedloop.search.KafkaFeedbackLog;
import dev.embedloop.search.SearchService;
import dev.embedloop.search.Searcher;
import io.qdrant.client.QdrantClient;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Run the search service (HTTP API and search page) against the configured Kafka and Qdrant "
                + "until interrupted.",
                "Searches are written to the impressions topic and clicks to the clicks topic, for the feedback command."})
final class ServeCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions config;

    @Option(names = "--port", paramLabel = "PORT",
            description = "HTTP port; overrides search.port (0 = any free port).")
    Integer port;

    @Override
    public Integer call() throws Exception {
        EmbedloopConfig cfg = config.load();
        if (port != null) {
            cfg = cfg.with(Map.of("search.port", Integer.toString(port)));
        }
        KafkaTopics.ensure(cfg.kafkaProperties(), KafkaTopics.feedbackTopics(cfg));
        try (StopSignal stop = new StopSignal();
                Management management = Monitoring.start(cfg, ManagementSettings.SERVE_PORT);
                Models models = Models.open(cfg);
                QdrantClient client = Qdrant.connect(cfg.qdrant());
                Searcher searcher = Searcher.following(cfg, models.encoder(), models.encoderOptions(), client);
                KafkaFeedbackLog log = KafkaFeedbackLog.create(cfg);
                SearchService service = SearchService.start(SearchService.Options.of(cfg), searcher, log)) {
            // the search service's own meters (SearchMeters) are registered here; its HTTP layer records into them
            SearchMeters meters = new SearchMeters(management.registry());
            Monitoring.checkKafka(management, cfg);
            Monitoring.checkQdrant(management, client);
            management.trackModel("query", searcher::modelVersion);
            management.readiness().add("model", () -> true); // Models.open returned: the model is loaded
            System.out.println("search page: " + service.uri());
            System.out.println("API: GET " + service.uri() + "search?q=...&k=10, POST " + service.uri()
                    + "clicks, GET " + service.uri() + "health  (Ctrl-C to stop)");
            stop.await();
        }
        return 0;
    }
}
