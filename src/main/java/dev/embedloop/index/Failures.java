package dev.embedloop.index;

import dev.embedloop.encode.EncoderException;
import dev.embedloop.qdrant.Qdrant;
import java.util.concurrent.CancellationException;
import java.util.concurrent.RejectedExecutionException;
import org.apache.kafka.common.KafkaException;

/**
 * Whose fault a failure of one stage is: this record's (dead-letter it, move on), possibly this
 * record's (find out), or the world's (keep the record, fail, retry later).
 */
final class Failures {

    private Failures() {}

    enum Fault {
        /**
         * Permanent for the records of this call: Qdrant refused their content, the encoder failed on
         * their texts, or our own code threw on them. Retrying the same input cannot help.
         */
        RECORD,
        /** Qdrant keeps answering INTERNAL/UNKNOWN: the record's fault only if Qdrant takes other requests. */
        AMBIGUOUS,
        /**
         * Not the record's: Qdrant or Kafka unavailable, the state stores, a closed encoder, an
         * interrupt. The change stays pending and is written when the cause is gone.
         */
        ENVIRONMENT
    }

    static Fault classify(Throwable e) {
        if (Thread.currentThread().isInterrupted()) {
            return Fault.ENVIRONMENT;
        }
        if (e instanceof Error) {
            // a stack overflow is this input's (deep recursion); out of memory and the like are not
            return e instanceof StackOverflowError ? Fault.RECORD : Fault.ENVIRONMENT;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof Qdrant.QdrantException q) {
                return switch (q.failure()) {
                    case REJECTED -> Fault.RECORD;
                    case AMBIGUOUS -> Fault.AMBIGUOUS;
                    case TRANSIENT, FATAL -> Fault.ENVIRONMENT;
                };
            }
            if (t instanceof EncoderException enc) {
                Throwable cause = enc.getCause();
                // closed, interrupted or cancelled encoders fail every text; an inference error is this text's
                boolean environment = cause == null || cause instanceof InterruptedException
                        || cause instanceof RejectedExecutionException || cause instanceof CancellationException;
                return environment ? Fault.ENVIRONMENT : Fault.RECORD;
            }
            if (t instanceof InterruptedException || t instanceof KafkaException) {
                // Kafka Streams' own exceptions: state stores, task migration, producer errors
                return Fault.ENVIRONMENT;
            }
        }
        return e instanceof RuntimeException ? Fault.RECORD : Fault.ENVIRONMENT;
    }

    /** Rethrows {@code e} unchanged (a runtime exception or an error). */
    static RuntimeException rethrow(Throwable e) {
        if (e instanceof RuntimeException r) {
            throw r;
        }
        if (e instanceof Error err) {
            throw err;
        }
        throw new IllegalStateException(e);
    }

    /** A short, bounded description of {@code e} for a dead letter's reason (no document text). */
    static String describe(Throwable e) {
        String message = e.getMessage();
        String s = e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
        return s.length() > 400 ? s.substring(0, 400) + "…" : s;
    }
}
