package dev.embedloop.index;

import dev.embedloop.chunk.Chunker;
import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.encode.TextEncoder;
import dev.embedloop.events.DeadLetter;
import dev.embedloop.events.DeadLetterFactory;
import dev.embedloop.events.DocumentValidator;
import dev.embedloop.events.JsonSerde;
import dev.embedloop.kafka.RecordTimestamps;
import dev.embedloop.qdrant.VectorSink;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The indexing topology: documents topic → validate (bad input to the dead-letter topic) →
 * guard, chunk, encode, upsert (documents a stage refuses to the dead-letter topic too). Built by
 * one pure factory: no clients opened, no threads started.
 *
 * <pre>
 *   documents-source ──▶ validate-documents ──▶ index-documents  [document-state-store, pending-changes-store,
 *                               │                     │           base-vectors-store]
 *                               └────────────▶ dead-letter-sink ◀┘
 * </pre>
 */
public final class IndexingTopology {

    public static final String SOURCE = "documents-source";
    public static final String VALIDATE = "validate-documents";
    public static final String INDEX = "index-documents";
    public static final String DEAD_LETTER_SINK = "dead-letter-sink";
    public static final String STATE_STORE = "document-state-store";
    public static final String PENDING_STORE = "pending-changes-store";
    public static final String VECTOR_STORE = "base-vectors-store";

    private IndexingTopology() {}

    /** The topology writing to one fixed collection (no re-index): tests and tools. */
    public static Topology build(IndexSettings settings, TextEncoder encoder, Chunker chunker, VectorSink sink,
            IndexStats stats) {
        return build(settings, encoder, chunker,
                IndexTargets.fixed(encoder.model().version(), "fixed", sink), stats);
    }

    public static Topology build(IndexSettings settings, TextEncoder encoder, Chunker chunker, IndexTargets targets,
            IndexStats stats) {
        DocumentValidator validator = new DocumentValidator(settings.limits());
        DeadLetterFactory letters = new DeadLetterFactory(settings.deadLetterMaxValueBytes());
        Topology topology = new Topology();
        // a record without a valid timestamp takes its partition's time (or the wall clock) instead of failing the thread
        topology.addSource((org.apache.kafka.streams.AutoOffsetReset) null, SOURCE, new RecordTimestamps(),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer(), settings.documentsTopic());
        topology.addProcessor(VALIDATE, () -> new ValidateProcessor(validator, letters, INDEX, DEAD_LETTER_SINK, stats),
                SOURCE);
        topology.addProcessor(INDEX,
                () -> new IndexProcessor(settings, encoder, chunker, targets, stats, letters, DEAD_LETTER_SINK,
                        STATE_STORE, PENDING_STORE, VECTOR_STORE),
                VALIDATE);
        // invalid records from the validator; documents a later stage (chunk, encode, Qdrant) refused from the indexer
        topology.addSink(DEAD_LETTER_SINK, settings.deadLetterTopic(), new ByteArraySerializer(),
                JsonSerde.of(DeadLetter.class).serializer(), VALIDATE, INDEX);
        topology.addStateStore(stateStore(), INDEX);
        topology.addStateStore(pendingStore(settings), INDEX);
        topology.addStateStore(vectorStore(), INDEX);
        return topology;
    }

    private static StoreBuilder<KeyValueStore<String, DocumentState>> stateStore() {
        return Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(STATE_STORE), Serdes.String(), PendingSerde.states())
                .withLoggingEnabled(Map.of("cleanup.policy", "compact"));
    }

    private static StoreBuilder<KeyValueStore<String, StoredChunk>> vectorStore() {
        // one small record per chunk: a base vector and its payload fields
        return Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(VECTOR_STORE), Serdes.String(), JsonSerde.of(StoredChunk.class))
                .withLoggingEnabled(Map.of("cleanup.policy", "compact"));
    }

    private static StoreBuilder<KeyValueStore<String, DocumentChange>> pendingStore(IndexSettings settings) {
        // a pending change carries the whole document, so its changelog must take the largest one
        return Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(PENDING_STORE), Serdes.String(), PendingSerde.changes())
                .withLoggingEnabled(Map.of(
                        "cleanup.policy", "compact",
                        "max.message.bytes", Long.toString(maxRecordBytes(settings.maxTextBytes()))));
    }

    /** Room for a document of {@code maxTextBytes} in a JSON record (escaping can double it). */
    public static long maxRecordBytes(long maxTextBytes) {
        return EmbedloopConfig.Topics.recordBytesFor(maxTextBytes);
    }
}
