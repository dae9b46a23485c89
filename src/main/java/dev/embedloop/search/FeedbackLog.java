package dev.embedloop.search;

import dev.embedloop.events.Click;
import dev.embedloop.events.DeadLetter;
import dev.embedloop.events.Impression;

/**
 * Where the search service writes what users saw and clicked: impressions, clicks and refused
 * clicks. {@link KafkaFeedbackLog} writes them to the feedback topics; tests use an in-memory log.
 *
 * <p>Every method returns only once the event is durable (for Kafka: acknowledged by all in-sync
 * replicas), so the service answers a search only after its impression is written and a click
 * can never overtake its impression. Implementations are thread-safe.
 */
public interface FeedbackLog extends AutoCloseable {

    /** Writes one answered search, key = its query id. */
    void impression(Impression impression);

    /** Writes one click, key = its query id. */
    void click(Click click);

    /**
     * Writes a click the service refused (unknown or expired query id, document not shown) to the
     * clicks dead-letter topic, key = {@code letter.key()}, with the dead-letter headers.
     */
    void deadLetter(DeadLetter letter);

    /**
     * Null when the log can write now (for Kafka: the broker answers and the feedback topics
     * exist), else what is wrong; bounded in time. {@code GET /ready} asks it.
     */
    default String problem() {
        return null;
    }

    @Override
    void close();

    /** The log could not write an event in time; the caller answers 503. */
    final class UnavailableException extends RuntimeException {
        public UnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
