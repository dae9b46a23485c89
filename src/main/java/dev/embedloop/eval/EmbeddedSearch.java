package dev.embedloop.eval;

import dev.embedloop.Models;
import dev.embedloop.config.EmbedloopConfig;
import io.qdrant.client.QdrantClient;
import java.net.URI;
import java.util.Objects;

/**
 * WIRING POINT: the one place where {@code eval --simulate-clicks} starts the in-process search
 * service in the embedded mode. Until it is wired to {@code dev.embedloop.search.SearchService}, the
 * embedded mode needs {@code --search-url}; everything else of the click simulation works.
 *
 * <p>To connect it: make {@link #wired()} return true and replace the body of {@link #start} with
 * the service's start-up on a free port, as {@code ServeCommand} does it, for example
 *
 * <pre>{@code
 * KafkaTopics.ensure(cfg.kafkaProperties(), KafkaTopics.feedbackTopics(cfg));
 * KafkaFeedbackLog log = KafkaFeedbackLog.create(cfg);
 * SearchService service = SearchService.start(SearchService.Options.of(cfg).withPort(0),
 *         new Searcher(client, models.encoder(), cfg.qdrant().collection(), cfg.qdrant().timeout()), log);
 * return new Endpoint(service.uri(), () -> {
 *     try { service.close(); } finally { log.close(); }
 * });
 * }</pre>
 *
 * (and start a {@code FeedbackRunner} there too if the rounds should produce training pairs).
 */
final class EmbeddedSearch {

    private EmbeddedSearch() {}

    /** A running search service and how to stop it. */
    record Endpoint(URI uri, AutoCloseable closer) implements AutoCloseable {
        Endpoint {
            Objects.requireNonNull(uri, "uri");
            Objects.requireNonNull(closer, "closer");
        }

        @Override
        public void close() {
            try {
                closer.close();
            } catch (Exception e) {
                throw new IllegalStateException("stopping the embedded search service failed: " + e.getMessage(), e);
            }
        }
    }

    /** Whether {@link #start} can start a service; checked before indexing so a run fails fast. */
    static boolean wired() {
        return false; // WIRING: true once start() starts SearchService
    }

    /**
     * Starts the search service on the embedded Kafka and Qdrant, on a free port.
     *
     * @param cfg pointed at the embedded services
     * @param models the process's model (one per JVM)
     * @param client the Qdrant client the evaluation uses
     */
    static Endpoint start(EmbedloopConfig cfg, Models models, QdrantClient client) {
        // WIRING: start dev.embedloop.search.SearchService here (see the class comment).
        throw new UnsupportedOperationException("the embedded search service is not wired into eval yet: "
                + "start a search service and pass --search-url");
    }
}
