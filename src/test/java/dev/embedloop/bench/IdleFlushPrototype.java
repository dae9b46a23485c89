package dev.embedloop.bench;

import dev.embedloop.chunk.Chunk;
import dev.embedloop.chunk.Chunker;
import dev.embedloop.encode.TextEncoder;
import dev.embedloop.events.DocumentEvent;
import dev.embedloop.events.JsonSerde;
import dev.embedloop.index.DocumentChange;
import dev.embedloop.index.DocumentState;
import dev.embedloop.index.DocumentValidator;
import dev.embedloop.index.IndexSettings;
import dev.embedloop.index.IndexingTopology;
import dev.embedloop.index.Validation;
import dev.embedloop.qdrant.ChunkPoint;
import dev.embedloop.qdrant.VectorSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * Benchmark-only prototype of a fix to {@code IndexProcessor}'s flushing, to measure it before and
 * after in one run. It is {@code IndexProcessor} (same guard, same changelogged stores, same
 * commit-after-acknowledgement order, same slices) with one change:
 *
 * <p><b>When a partial batch is written.</b> {@code IndexProcessor} writes whatever is pending
 * every {@code index.flush-interval-ms} of wall-clock time. Encoding a batch blocks the stream
 * thread for longer than that interval, so after every batch the punctuator is overdue; Kafka
 * Streams then runs it after the next record or two, and the indexer degenerates into batches of
 * one or two documents (one encoder worker busy, the other idle). Here the punctuator runs every
 * {@value #TICK_MS} ms and writes a partial batch only when no record arrived since the previous
 * tick (the input is idle) or the oldest pending change has waited {@code flush-interval}. Under
 * load batches fill up to {@code index.batch-documents}; when input pauses, they go at once.
 *
 * <p>Not wired to dead letters (the benchmark publishes valid documents only; invalid ones are
 * dropped here) and not to {@code IndexStats}; {@link #indexed} counts written documents.
 */
final class IdleFlushPrototype {

    static final long TICK_MS = 10;

    private IdleFlushPrototype() {}

    static Topology build(IndexSettings settings, TextEncoder encoder, Chunker chunker, VectorSink sink, AtomicLong indexed) {
        DocumentValidator validator = new DocumentValidator(settings.maxTextBytes());
        Topology topology = new Topology();
        topology.addSource("documents-source", new ByteArrayDeserializer(), new ByteArrayDeserializer(),
                settings.documentsTopic());
        topology.addProcessor("index-documents", () -> new Indexing(settings, validator, encoder, chunker, sink, indexed),
                "documents-source");
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(IndexingTopology.STATE_STORE),
                        Serdes.String(), JsonSerde.of(DocumentState.class))
                .withLoggingEnabled(Map.of("cleanup.policy", "compact")), "index-documents");
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(IndexingTopology.PENDING_STORE),
                        Serdes.String(), JsonSerde.of(DocumentChange.class))
                .withLoggingEnabled(Map.of("cleanup.policy", "compact",
                        "max.message.bytes", Long.toString(IndexingTopology.maxRecordBytes(settings.maxTextBytes())))),
                "index-documents");
        return topology;
    }

    private static final class Indexing implements Processor<byte[], byte[], Void, Void> {
        private final IndexSettings settings;
        private final DocumentValidator validator;
        private final TextEncoder encoder;
        private final Chunker chunker;
        private final VectorSink sink;
        private final AtomicLong indexedCount;
        private String modelVersion;
        private KeyValueStore<String, DocumentState> indexed;
        private KeyValueStore<String, DocumentChange> pending;
        private final LinkedHashSet<String> pendingIds = new LinkedHashSet<>();
        // the change: when the oldest pending change arrived, and whether input arrived since the last tick
        private long oldestPendingMs = -1;
        private boolean arrivedSinceTick;

        Indexing(IndexSettings settings, DocumentValidator validator, TextEncoder encoder, Chunker chunker,
                VectorSink sink, AtomicLong indexedCount) {
            this.settings = settings;
            this.validator = validator;
            this.encoder = encoder;
            this.chunker = chunker;
            this.sink = sink;
            this.indexedCount = indexedCount;
        }

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            modelVersion = encoder.model().version();
            indexed = context.getStateStore(IndexingTopology.STATE_STORE);
            pending = context.getStateStore(IndexingTopology.PENDING_STORE);
            try (KeyValueIterator<String, DocumentChange> it = pending.all()) {
                while (it.hasNext()) {
                    pendingIds.add(it.next().key);
                }
            }
            if (!pendingIds.isEmpty()) {
                oldestPendingMs = System.currentTimeMillis();
            }
            context.schedule(Duration.ofMillis(TICK_MS), PunctuationType.WALL_CLOCK_TIME, this::tick);
        }

        private void tick(long now) {
            boolean idle = !arrivedSinceTick;
            arrivedSinceTick = false;
            if (!pendingIds.isEmpty() && (idle || now - oldestPendingMs >= settings.flushInterval().toMillis())) {
                flush();
            }
        }

        @Override
        public void process(Record<byte[], byte[]> record) {
            arrivedSinceTick = true;
            Validation v = validator.validate(record.key(), record.value());
            DocumentChange change;
            if (v instanceof Validation.Valid valid) {
                change = DocumentChange.upsert(valid.document());
            } else if (v instanceof Validation.Deleted deleted) {
                change = DocumentChange.delete(deleted.id());
            } else {
                return;
            }
            String id = change.id();
            DocumentChange queued = pending.get(id);
            if (!change.isDelete()) {
                DocumentEvent doc = change.document();
                DocumentState current = indexed.get(id);
                Long latest = queued != null
                        ? (queued.isDelete() ? null : queued.document().version())
                        : (current == null ? null : current.version());
                if (doc.version() != null && latest != null && doc.version() < latest) {
                    return;
                }
                if (queued == null && current != null && current.contentHash().equals(doc.contentHash())
                        && current.modelVersion().equals(modelVersion)) {
                    if (!Objects.equals(current.version(), doc.version())) {
                        indexed.put(id, new DocumentState(doc.version(), current.contentHash(), modelVersion, current.chunks()));
                    }
                    return;
                }
            }
            pending.put(id, change);
            if (pendingIds.isEmpty()) {
                oldestPendingMs = System.currentTimeMillis();
            }
            pendingIds.add(id);
            if (pendingIds.size() >= settings.batchDocuments()) {
                flush();
            }
        }

        private void flush() {
            while (!pendingIds.isEmpty()) {
                List<DocumentChange> batch = new ArrayList<>(settings.batchDocuments());
                for (String id : pendingIds) {
                    DocumentChange change = pending.get(id);
                    if (change != null) {
                        batch.add(change);
                    }
                    if (batch.size() == settings.batchDocuments()) {
                        break;
                    }
                }
                if (batch.isEmpty()) {
                    pendingIds.clear();
                    break;
                }
                write(batch);
            }
            oldestPendingMs = -1;
        }

        private void write(List<DocumentChange> batch) {
            List<Object[]> upserts = new ArrayList<>();
            for (DocumentChange change : batch) {
                if (change.isDelete()) {
                    sink.deleteDocument(change.id());
                    indexed.delete(change.id());
                    done(change.id());
                } else {
                    List<Chunk> chunks = chunker.chunk(change.document().indexedText());
                    if (!settings.chunking() && chunks.size() > 1) {
                        chunks = List.of(chunks.get(0));
                    }
                    upserts.add(new Object[] {change.document(), chunks});
                }
            }
            List<Object[]> slice = new ArrayList<>();
            for (Object[] work : upserts) {
                DocumentEvent doc = (DocumentEvent) work[0];
                @SuppressWarnings("unchecked")
                List<Chunk> chunks = (List<Chunk>) work[1];
                for (Chunk chunk : chunks) {
                    slice.add(new Object[] {doc, chunk});
                    if (slice.size() == settings.upsertBatchPoints()) {
                        writeSlice(slice);
                        slice.clear();
                    }
                }
            }
            writeSlice(slice);
            for (Object[] work : upserts) {
                DocumentEvent doc = (DocumentEvent) work[0];
                int chunks = ((List<?>) work[1]).size();
                DocumentState before = indexed.get(doc.id());
                if (before != null && before.chunks() > chunks) {
                    sink.deleteChunksFrom(doc.id(), chunks);
                }
                indexed.put(doc.id(), new DocumentState(doc.version(), doc.contentHash(), modelVersion, chunks));
                done(doc.id());
                indexedCount.incrementAndGet();
            }
        }

        private void writeSlice(List<Object[]> slice) {
            if (slice.isEmpty()) {
                return;
            }
            List<String> texts = new ArrayList<>(slice.size());
            for (Object[] piece : slice) {
                texts.add(((Chunk) piece[1]).text());
            }
            List<float[]> vectors = encoder.encodeDocuments(texts);
            List<ChunkPoint> points = new ArrayList<>(slice.size());
            for (int i = 0; i < slice.size(); i++) {
                DocumentEvent doc = (DocumentEvent) slice.get(i)[0];
                Chunk chunk = (Chunk) slice.get(i)[1];
                points.add(new ChunkPoint(doc.id(), chunk.index(), vectors.get(i), doc.title(), doc.metadata(),
                        modelVersion, doc.contentHash(), doc.version(), settings.storeText() ? chunk.text() : null));
            }
            sink.upsert(points);
        }

        private void done(String id) {
            pending.delete(id);
            pendingIds.remove(id);
        }
    }
}
