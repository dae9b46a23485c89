package dev.embedloop.index;

import dev.embedloop.chunk.Chunk;
import dev.embedloop.chunk.Chunker;
import dev.embedloop.encode.TextEncoder;
import dev.embedloop.events.DocumentEvent;
import dev.embedloop.qdrant.ChunkPoint;
import dev.embedloop.qdrant.VectorSink;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guards, chunks, encodes and writes documents. In: {@link DocumentChange}s from the validator.
 * Out: nothing downstream; points in the {@link VectorSink}.
 *
 * <p>Guard: a change older than the version the store knows is skipped; a change whose content
 * hash and model version equal what is indexed is not re-encoded.
 *
 * <p>Batching without losing the commit guarantee: accepted changes go to the changelogged
 * pending store first and are written from there, in batches, when enough have gathered or by a
 * wall-clock punctuator. A change leaves the pending store only after Qdrant acknowledged its
 * points. Kafka Streams flushes the store's changelog before it commits the input offsets, so
 * whatever was pending at a commit is restored after a crash and written then. Point ids are
 * deterministic, so writing a change twice leaves the same points.
 *
 * <p>An exception from the sink (after its own retries) fails the stream thread; the change stays
 * pending and is written once the thread is replaced. Nothing is dead-lettered for it.
 */
final class IndexProcessor implements Processor<byte[], DocumentChange, Void, Void> {

    private static final Logger LOG = LoggerFactory.getLogger(IndexProcessor.class);

    private final IndexSettings settings;
    private final TextEncoder encoder;
    private final Chunker chunker;
    private final VectorSink sink;
    private final IndexStats stats;
    private final String stateStoreName;
    private final String pendingStoreName;
    private String modelVersion;

    private KeyValueStore<String, DocumentState> indexed;
    private KeyValueStore<String, DocumentChange> pending;
    /** Ids in the pending store, oldest first; rebuilt from the store on init. */
    private final LinkedHashSet<String> pendingIds = new LinkedHashSet<>();

    IndexProcessor(IndexSettings settings, TextEncoder encoder, Chunker chunker, VectorSink sink, IndexStats stats,
            String stateStoreName, String pendingStoreName) {
        this.settings = settings;
        this.encoder = encoder;
        this.chunker = chunker;
        this.sink = sink;
        this.stats = stats;
        this.stateStoreName = stateStoreName;
        this.pendingStoreName = pendingStoreName;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        modelVersion = encoder.model().version();
        indexed = context.getStateStore(stateStoreName);
        pending = context.getStateStore(pendingStoreName);
        try (KeyValueIterator<String, DocumentChange> it = pending.all()) {
            while (it.hasNext()) {
                pendingIds.add(it.next().key);
            }
        }
        if (!pendingIds.isEmpty()) {
            LOG.info("task {}: {} changes pending from before a restart", context.taskId(), pendingIds.size());
        }
        context.schedule(settings.flushInterval(), PunctuationType.WALL_CLOCK_TIME, now -> flush());
    }

    @Override
    public void process(Record<byte[], DocumentChange> record) {
        DocumentChange change = record.value();
        String id = change.id();
        DocumentChange queued = pending.get(id);
        if (!change.isDelete()) {
            DocumentEvent doc = change.document();
            DocumentState current = indexed.get(id);
            Long latest = queued != null
                    ? (queued.isDelete() ? null : queued.document().version())
                    : (current == null ? null : current.version());
            if (doc.version() != null && latest != null && doc.version() < latest) {
                LOG.debug("skipping stale version {} of {} (have {})", doc.version(), id, latest);
                stats.onSkippedStale();
                return;
            }
            if (queued == null && current != null
                    && current.contentHash().equals(doc.contentHash())
                    && current.modelVersion().equals(modelVersion)) {
                LOG.debug("skipping unchanged {}", id);
                stats.onSkippedUnchanged();
                if (!Objects.equals(current.version(), doc.version())) {
                    indexed.put(id, new DocumentState(doc.version(), current.contentHash(), modelVersion, current.chunks()));
                }
                return;
            }
        }
        pending.put(id, change);
        pendingIds.add(id);
        if (pendingIds.size() >= settings.batchDocuments()) {
            flush();
        }
    }

    /** Writes every pending change, a batch at a time. */
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
                return;
            }
            write(batch);
        }
    }

    private void write(List<DocumentChange> batch) {
        List<Work> upserts = new ArrayList<>();
        for (DocumentChange change : batch) {
            if (change.isDelete()) {
                sink.deleteDocument(change.id());
                indexed.delete(change.id());
                done(change.id());
                stats.onDeleted();
            } else {
                upserts.add(new Work(change.document(), chunks(change.document())));
            }
        }
        if (upserts.isEmpty()) {
            return;
        }
        // encode and upsert in slices across documents: both cores stay busy on small documents,
        // and a huge document never holds more than one slice of vectors in memory
        List<Piece> slice = new ArrayList<>(settings.upsertBatchPoints());
        for (Work work : upserts) {
            String hash = work.document().contentHash();
            for (Chunk chunk : work.chunks()) {
                slice.add(new Piece(work.document(), hash, chunk));
                if (slice.size() == settings.upsertBatchPoints()) {
                    writeSlice(slice);
                    slice.clear();
                }
            }
        }
        writeSlice(slice);
        for (Work work : upserts) {
            DocumentEvent doc = work.document();
            int chunks = work.chunks().size();
            DocumentState before = indexed.get(doc.id());
            if (before != null && before.chunks() > chunks) {
                sink.deleteChunksFrom(doc.id(), chunks);
            }
            indexed.put(doc.id(), new DocumentState(doc.version(), doc.contentHash(), modelVersion, chunks));
            done(doc.id());
            stats.onIndexed(chunks);
        }
    }

    private void writeSlice(List<Piece> slice) {
        if (slice.isEmpty()) {
            return;
        }
        List<String> texts = new ArrayList<>(slice.size());
        for (Piece piece : slice) {
            texts.add(piece.chunk().text());
        }
        List<float[]> vectors = encoder.encodeDocuments(texts);
        stats.onEncoded(texts.size());
        List<ChunkPoint> points = new ArrayList<>(slice.size());
        for (int i = 0; i < slice.size(); i++) {
            Piece piece = slice.get(i);
            DocumentEvent doc = piece.document();
            points.add(new ChunkPoint(doc.id(), piece.chunk().index(), vectors.get(i), doc.title(), doc.metadata(),
                    modelVersion, piece.contentHash(), doc.version(), settings.storeText() ? piece.chunk().text() : null));
        }
        sink.upsert(points);
    }

    private List<Chunk> chunks(DocumentEvent doc) {
        List<Chunk> chunks = chunker.chunk(doc.indexedText());
        if (!settings.chunking() && chunks.size() > 1) {
            return List.of(chunks.get(0));
        }
        return chunks;
    }

    private void done(String id) {
        pending.delete(id);
        pendingIds.remove(id);
    }

    private record Work(DocumentEvent document, List<Chunk> chunks) {}

    private record Piece(DocumentEvent document, String contentHash, Chunk chunk) {}
}
