package dev.embedloop.qdrant;

import dev.embedloop.config.EmbedloopConfig;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.qdrant.client.QdrantClient;
import io.qdrant.client.QdrantGrpcClient;
import java.time.Duration;
import java.util.Locale;
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
            Status.Code.ABORTED, Status.Code.CANCELLED);

    /** Codes by which Qdrant refuses the request itself: sending it again cannot help. */
    private static final Set<Status.Code> REJECTED = Set.of(Status.Code.INVALID_ARGUMENT, Status.Code.OUT_OF_RANGE);

    /**
     * Codes that say either: a server fault that may pass, or a request the server could not even
     * decode (Qdrant answers INTERNAL "failed to decode Protobuf message", a Java gRPC server UNKNOWN
     * or INTERNAL, for a payload nested beyond protobuf's limit).
     */
    private static final Set<Status.Code> AMBIGUOUS = Set.of(Status.Code.INTERNAL, Status.Code.UNKNOWN);

    /** How long an ambiguous failure of a write is retried before the caller may split its request. */
    public static final Duration AMBIGUOUS_RETRY = Duration.ofSeconds(2);

    /** What a failed call tells about retrying it. */
    public enum Failure {
        /** The server or the network may recover: retry the same request, never drop it. */
        TRANSIENT,
        /** The server refused this request's content for good: retrying it cannot help. */
        REJECTED,
        /**
         * Persistent INTERNAL or UNKNOWN errors: a server fault or a request it cannot decode. Retried
         * like a transient failure; a writer may split the request to find out whether one record is
         * at fault (see the indexer).
         */
        AMBIGUOUS,
        /** Neither the request's fault nor likely to pass by itself (missing collection, permissions). */
        FATAL
    }

    /** The class of a gRPC status. */
    public static Failure classify(Status status) {
        Status.Code code = status.getCode();
        String description = status.getDescription() == null ? "" : status.getDescription().toLowerCase(Locale.ROOT);
        if (code == Status.Code.RESOURCE_EXHAUSTED && (description.contains("message exceeds maximum size")
                || description.contains("message larger than max") || description.contains("too large"))) {
            return Failure.REJECTED; // the request is over the server's message size: it will stay so
        }
        if (AMBIGUOUS.contains(code) && (description.contains("decode") || description.contains("protobuf")
                || description.contains("nesting") || description.contains("recursion limit"))) {
            return Failure.REJECTED;
        }
        if (REJECTED.contains(code)) {
            return Failure.REJECTED;
        }
        if (TRANSIENT.contains(code)) {
            return Failure.TRANSIENT;
        }
        if (AMBIGUOUS.contains(code)) {
            return Failure.AMBIGUOUS;
        }
        return Failure.FATAL;
    }

    /** Whether {@code e} or one of its causes is a Qdrant call that refused its request's content. */
    public static boolean isRejection(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof QdrantException q) {
                return q.failure() == Failure.REJECTED;
            }
        }
        return false;
    }

    /** Whether {@code e} or one of its causes is a Qdrant call that failed ambiguously (see {@link Failure#AMBIGUOUS}). */
    public static boolean isAmbiguous(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof QdrantException q) {
                return q.failure() == Failure.AMBIGUOUS;
            }
        }
        return false;
    }

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
            throw new QdrantException(what + " interrupted", e, Failure.TRANSIENT, "INTERRUPTED");
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new QdrantException(what + " timed out after " + timeout.toMillis() + " ms", e, Failure.TRANSIENT,
                    "TIMEOUT");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            Status status = cause instanceof StatusRuntimeException s ? s.getStatus() : Status.fromThrowable(cause);
            throw new QdrantException(what + " failed: " + status.getCode() + " " + status.getDescription(), cause,
                    classify(status), status.getCode().name());
        }
    }

    /**
     * Runs {@code call} until it succeeds, retrying transient (and ambiguous) failures with backoff
     * (100 ms doubling to 5 s) for at most {@code retryMax}; a permanent failure is thrown at once.
     */
    public static <T> T retrying(Supplier<T> call, Duration retryMax, String what) {
        return retrying(call, retryMax, retryMax, what);
    }

    /**
     * Like {@link #retrying(Supplier, Duration, String)}, but an {@link Failure#AMBIGUOUS} failure is
     * retried only for {@code ambiguousMax}: a writer that can split its request uses this to find a
     * record the server cannot take without stalling for {@code retryMax}.
     */
    public static <T> T retrying(Supplier<T> call, Duration retryMax, Duration ambiguousMax, String what) {
        long start = System.nanoTime();
        long deadline = start + retryMax.toNanos();
        long ambiguousDeadline = start + Math.min(retryMax.toNanos(), ambiguousMax.toNanos());
        long backoffMs = 100;
        int attempt = 0;
        while (true) {
            try {
                return call.get();
            } catch (QdrantException e) {
                attempt++;
                long until = e.failure() == Failure.AMBIGUOUS ? ambiguousDeadline : deadline;
                if (!e.transientFailure() || System.nanoTime() + backoffMs * 1_000_000 > until) {
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

    /**
     * A failed Qdrant call; {@link #failure()} tells what retrying can do, {@link #transientFailure()}
     * whether retrying the same request later may help (transient or ambiguous).
     */
    public static final class QdrantException extends RuntimeException {
        private final Failure failure;
        private final String status;

        public QdrantException(String message, Throwable cause, Failure failure) {
            this(message, cause, failure, "UNKNOWN");
        }

        public QdrantException(String message, Throwable cause, Failure failure, String status) {
            super(message, cause);
            this.failure = failure;
            this.status = status;
        }

        /** @param transientFailure true for {@link Failure#TRANSIENT}, false for {@link Failure#FATAL} */
        public QdrantException(String message, Throwable cause, boolean transientFailure) {
            this(message, cause, transientFailure ? Failure.TRANSIENT : Failure.FATAL);
        }

        /** The gRPC status code's name, or TIMEOUT, INTERRUPTED, UNKNOWN. */
        public String status() {
            return status;
        }

        public Failure failure() {
            return failure;
        }

        public boolean transientFailure() {
            return failure == Failure.TRANSIENT || failure == Failure.AMBIGUOUS;
        }
    }
}
