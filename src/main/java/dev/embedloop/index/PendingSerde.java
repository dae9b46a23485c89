package dev.embedloop.index;

import dev.embedloop.events.JsonSerde;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JSON serde of the indexer's stores that never fails on reading: bytes it cannot read give a
 * fallback value instead of an exception, which, thrown on every read of the same entry, would
 * stop the stream thread at every restart. The pending store's fallback is {@link #UNREADABLE}
 * (dead-lettered by the index processor), the state store's null (the document is written again).
 */
final class PendingSerde<T> implements Serde<T> {

    private static final Logger LOG = LoggerFactory.getLogger(PendingSerde.class);

    /** What an unreadable pending change reads as; compared by identity. */
    static final DocumentChange UNREADABLE = DocumentChange.delete("\u0000unreadable");

    private final Class<T> type;
    private final JsonSerde<T> json;
    private final T fallback;

    private PendingSerde(Class<T> type, T fallback) {
        this.type = type;
        this.json = JsonSerde.of(type);
        this.fallback = fallback;
    }

    static PendingSerde<DocumentChange> changes() {
        return new PendingSerde<>(DocumentChange.class, UNREADABLE);
    }

    static PendingSerde<DocumentState> states() {
        return new PendingSerde<>(DocumentState.class, null);
    }

    @Override
    public Serializer<T> serializer() {
        return json.serializer();
    }

    @Override
    public Deserializer<T> deserializer() {
        Deserializer<T> strict = json.deserializer();
        return (topic, bytes) -> {
            try {
                return strict.deserialize(topic, bytes);
            } catch (RuntimeException | StackOverflowError e) {
                LOG.error("cannot read a {} of {} bytes back from its store: {}", type.getSimpleName(), bytes.length,
                        String.valueOf(e.getCause() != null ? e.getCause() : e));
                return fallback;
            }
        };
    }
}
