package dev.embedloop.cli;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.encode.Models;
import dev.embedloop.kafka.KafkaTopics;
import dev.embedloop.metrics.Management;
import dev.embedloop.metrics.ManagementSettings;
import dev.embedloop.metrics.SearchMeters;
import dev.embedloop.qdrant.Qdrant;
import dev.embedloop.search.KafkaFeedbackLog;
import dev.embedloop.search.ReadinessCheck;
import dev.embedloop.search.SearchService;
import dev.embedloop.search.Searcher;
import dev.embedloop.search.http.RequestObserver;
import io.qdrant.client.QdrantClient;
import java.time.Duration;
import java.util.List;
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

    /** How long GET /ready waits for Qdrant's health check. */
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(2);

    @Mixin
    ConfigOptions config;

    @Option(names = "--port", paramLabel = "PORT",
            description = "HTTP port; overrides search.port (0 = any free port).")
    Integer port;

    /** Records every answered request (by route and status) and every accepted click into {@code meters}. */
    static RequestObserver observer(SearchMeters meters) {
        return (method, route, status, nanos) -> {
            meters.request(route.startsWith("/") ? route.substring(1) : route, status, Duration.ofNanos(nanos));
            if (route.equals("/clicks") && status == 202) {
                meters.click();
            }
        };
    }

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
                KafkaFeedbackLog log = KafkaFeedbackLog.create(cfg)) {
            // the search service's meters: every answered request by route and status, and the clicks taken
            SearchMeters meters = new SearchMeters(management.registry());
            RequestObserver observer = observer(meters);
            Monitoring.checkKafka(management, cfg);
            Monitoring.checkQdrant(management, client);
            management.trackModel("query", searcher::modelVersion);
            management.readiness().add("model", () -> true); // Models.open returned: the model is loaded
            try (SearchService service = SearchService.start(SearchService.Options.of(cfg), searcher, log,
                    List.of(ReadinessCheck.qdrant(client, READY_TIMEOUT)), observer)) {
                System.out.println("search page: " + service.uri());
                System.out.println("API: GET " + service.uri() + "search?q=...&k=10, POST " + service.uri()
                        + "clicks, GET " + service.uri() + "health, GET " + service.uri() + "ready  (Ctrl-C to stop)");
                stop.await();
            }
        }
        return 0;
    }
}
