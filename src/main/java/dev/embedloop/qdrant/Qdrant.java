package dev.embedloop.qdrant;

import dev.embedloop.config.EmbedloopConfig;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.qdrant.client.QdrantClient;
import io.qdrant.client.QdrantGrpcClient;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opening Qdrant clients and calling them: every call waits with an explicit timeout, and
 * transient failures (unavailable, timeouts, overload) are retried with exponential backoff.
 */
public final class Qdrant {

    private static final Logger LOG = LoggerFactory.getLogger(Qdrant.class);

    /** gRPC codes worth retrying: the server or the network may recover; the request was fine. */
    private static final Set<Status.Code> TRANSIENT = Set.of(
            Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED, Status.Code.RESOURCE_EXHAUSTED,
            Status.Code.ABORTED, Status.Code.UNKNOWN, Status.Code.INTERNAL, Status.Code.CANCELLED);

    private Qdrant() {}

    /** A client for the configured server; it lives as long as the application. */
    public static QdrantClient connect(EmbedloopConfig.Qdrant cfg) {
        QdrantGrpcClient.Builder builder = QdrantGrpcClient.newBuilder(cfg.host(), cfg.port(), cfg.tls())
                .withTimeout(cfg.timeout());
        if (cfg.apiKey() != null) {
            builder.withApiKey(cfg.apiKey());
        }
        LOG.info("Qdrant at {}:{} (tls={}, api key {})", cfg.host(), cfg.port(), cfg.tls(),
                cfg.apiKey() == null ? "not set" : "set");
        return new QdrantClient(builder.build());
    }

    /** Observer of retried and failed calls (metrics); one per process, set by the composition root. */
    public interface CallListener {
        /** {@code operation} failed with {@code status} and is retried. */
        void retried(String operation, String status);

        /** {@code operation} failed with {@code status} for good (permanent, or retries exhausted). */
        void failed(String operation, String status);
    }

    private static volatile CallListener listener = new CallListener() {
        @Override
        public void retried(String operation, String status) { }

        @Override
        public void failed(String operation, String status) { }
    };

    /** Sets the observer of retried and failed calls. */
    public static void listen(CallListener callListener) {
        listener = java.util.Objects.requireNonNull(callListener, "callListener");
    }

    /** Waits for one call. Failures come out as {@link QdrantException}. */
    public static <T> T await(Future<T> future, Duration timeout, String what) {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            future.cancel(true);
            throw new QdrantException(what + " interrupted", e, true, "INTERRUPTED");
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new QdrantException(what + " timed out after " + timeout.toMillis() + " ms", e, true, "TIMEOUT");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            Status status = cause instanceof StatusRuntimeException s ? s.getStatus() : Status.fromThrowable(cause);
            throw new QdrantException(what + " failed: " + status.getCode() + " " + status.getDescription(), cause,
                    TRANSIENT.contains(status.getCode()), status.getCode().name());
        }
    }

    /**
     * Runs {@code call} until it succeeds, retrying transient failures with backoff (100 ms doubling
     * to 5 s) for at most {@code retryMax}; a permanent failure is thrown at once.
     */
    public static <T> T retrying(Supplier<T> call, Duration retryMax, String what) {
        long deadline = System.nanoTime() + retryMax.toNanos();
        long backoffMs = 100;
        int attempt = 0;
        while (true) {
            try {
                return call.get();
            } catch (QdrantException e) {
                attempt++;
                if (!e.transientFailure() || System.nanoTime() + backoffMs * 1_000_000 > deadline) {
                    listener.failed(what, e.status());
                    throw e;
                }
                listener.retried(what, e.status());
                LOG.warn("{} failed (attempt {}), retrying in {} ms: {}", what, attempt, backoffMs, e.getMessage());
                try {
                    Thread.sleep(backoffMs);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                backoffMs = Math.min(backoffMs * 2, 5_000);
            }
        }
    }

    /** A failed Qdrant call; {@link #transientFailure()} tells whether retrying may help. */
    public static final class QdrantException extends RuntimeException {
        private final boolean transientFailure;
        private final String status;

        public QdrantException(String message, Throwable cause, boolean transientFailure) {
            this(message, cause, transientFailure, "UNKNOWN");
        }

        public QdrantException(String message, Throwable cause, boolean transientFailure, String status) {
            super(message, cause);
            this.transientFailure = transientFailure;
            this.status = status;
        }

        /** The gRPC status code's name, or TIMEOUT, INTERRUPTED, UNKNOWN. */
        public String status() {
            return status;
        }

        public boolean transientFailure() {
            return transientFailure;
        }
    }
}
