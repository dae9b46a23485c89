package dev.embedloop.qdrant.local;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs one unary call: answers the result, or the call's gRPC error; anything unexpected becomes INTERNAL. */
final class Rpc {

    private static final Logger LOG = LoggerFactory.getLogger(Rpc.class);

    private Rpc() {
    }

    static <T> void unary(StreamObserver<T> observer, Supplier<T> call) {
        T result;
        try {
            result = call.get();
        } catch (StatusRuntimeException e) {
            observer.onError(e);
            return;
        } catch (RuntimeException e) {
            // a bug of ours, not a bad request: log it (never with request contents) and answer like Qdrant would
            LOG.error("unexpected failure in a LocalQdrant call", e);
            observer.onError(Status.INTERNAL.withDescription("Service internal error: " + e).asRuntimeException());
            return;
        }
        observer.onNext(result);
        observer.onCompleted();
    }

    /** Seconds since {@code startNanos}, for the {@code time} field of every Qdrant response. */
    static double since(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
