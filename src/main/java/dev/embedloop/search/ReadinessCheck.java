package dev.embedloop.search;

import io.qdrant.client.QdrantClient;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * One dependency {@code GET /ready} asks about: Kafka, Qdrant, the model. A check is quick and
 * bounded in time (it runs on a request thread) and thread-safe.
 */
public interface ReadinessCheck {

    /** The name in the {@code /ready} answer: {@code kafka}, {@code qdrant}, {@code model}. */
    String name();

    /** Null when ready, else what is wrong (one line, no secrets). */
    String problem();

    /** A check named {@code name} whose {@code problem} supplier returns null when ready; exceptions count as problems. */
    static ReadinessCheck of(String name, Supplier<String> problem) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(problem, "problem");
        return new ReadinessCheck() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String problem() {
                try {
                    return problem.get();
                } catch (RuntimeException e) {
                    return e.getClass().getSimpleName() + ": " + e.getMessage();
                }
            }
        };
    }

    /** Qdrant answers its health check within {@code timeout}. */
    static ReadinessCheck qdrant(QdrantClient client, Duration timeout) {
        return of("qdrant", () -> {
            try {
                client.healthCheckAsync(timeout).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                return null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            } catch (ExecutionException e) {
                return "unreachable: " + e.getCause().getMessage();
            } catch (TimeoutException e) {
                return "no answer to its health check within " + timeout.toMillis() + " ms";
            }
        });
    }

    /** The backend has a query model loaded (its version is known). */
    static ReadinessCheck model(SearchBackend backend) {
        return of("model", () -> backend.modelVersion() == null ? "no query model loaded" : null);
    }
}
