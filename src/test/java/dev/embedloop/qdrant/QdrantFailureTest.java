package dev.embedloop.qdrant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Which Qdrant answers are retried, which refuse the request for good, which are ambiguous. */
class QdrantFailureTest {

    @Test
    void classifiesStatusesByWhatRetryingCanDo() {
        assertThat(Qdrant.classify(Status.UNAVAILABLE)).isEqualTo(Qdrant.Failure.TRANSIENT);
        assertThat(Qdrant.classify(Status.DEADLINE_EXCEEDED)).isEqualTo(Qdrant.Failure.TRANSIENT);
        assertThat(Qdrant.classify(Status.RESOURCE_EXHAUSTED.withDescription("too many requests")))
                .isEqualTo(Qdrant.Failure.TRANSIENT);
        assertThat(Qdrant.classify(Status.INVALID_ARGUMENT.withDescription("Wrong input: Vector dimension error")))
                .isEqualTo(Qdrant.Failure.REJECTED);
        assertThat(Qdrant.classify(Status.OUT_OF_RANGE.withDescription("Error, decoded message length too large")))
                .isEqualTo(Qdrant.Failure.REJECTED);
        // a Java gRPC server (the local mode) refusing an oversized request
        assertThat(Qdrant.classify(Status.RESOURCE_EXHAUSTED.withDescription("gRPC message exceeds maximum size 33554432: 40000168")))
                .isEqualTo(Qdrant.Failure.REJECTED);
        // Qdrant (tonic) refusing a payload nested beyond protobuf's recursion limit
        assertThat(Qdrant.classify(Status.INTERNAL.withDescription("failed to decode Protobuf message: recursion limit reached")))
                .isEqualTo(Qdrant.Failure.REJECTED);
        assertThat(Qdrant.classify(Status.UNKNOWN.withDescription("Application error processing RPC")))
                .isEqualTo(Qdrant.Failure.AMBIGUOUS);
        assertThat(Qdrant.classify(Status.INTERNAL.withDescription("Service internal error: disk full")))
                .isEqualTo(Qdrant.Failure.AMBIGUOUS);
        assertThat(Qdrant.classify(Status.NOT_FOUND.withDescription("Collection `x` doesn't exist!")))
                .isEqualTo(Qdrant.Failure.FATAL);
        assertThat(Qdrant.classify(Status.PERMISSION_DENIED)).isEqualTo(Qdrant.Failure.FATAL);
    }

    @Test
    void retriesAnAmbiguousFailureOnlyForItsShortBudgetAndARejectionNotAtAll() {
        AtomicInteger calls = new AtomicInteger();
        long start = System.nanoTime();
        assertThatThrownBy(() -> Qdrant.retrying(() -> {
            calls.incrementAndGet();
            throw new Qdrant.QdrantException("upsert failed: UNKNOWN", null, Qdrant.Failure.AMBIGUOUS);
        }, Duration.ofMinutes(5), Duration.ofMillis(500), "upsert")).isInstanceOf(Qdrant.QdrantException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(calls.get()).isBetween(2, 5);

        calls.set(0);
        assertThatThrownBy(() -> Qdrant.retrying(() -> {
            calls.incrementAndGet();
            throw new Qdrant.QdrantException("upsert failed: INVALID_ARGUMENT", null, Qdrant.Failure.REJECTED);
        }, Duration.ofMinutes(5), "upsert")).isInstanceOf(Qdrant.QdrantException.class);
        assertThat(calls.get()).isEqualTo(1);

        calls.set(0);
        assertThat(Qdrant.retrying(() -> {
            if (calls.incrementAndGet() < 3) {
                throw new Qdrant.QdrantException("upsert failed: UNAVAILABLE", null, Qdrant.Failure.TRANSIENT);
            }
            return "ok";
        }, Duration.ofMinutes(5), Duration.ofMillis(1), "upsert")).isEqualTo("ok");
    }
}
