package dev.embedloop.qdrant;

import java.util.List;

/**
 * Where the indexer writes. Every method returns only once the store has acknowledged the write
 * (Qdrant's {@code wait=true}), so the offsets of the records behind it may be committed. Transient
 * failures are retried inside; an exception means the write did not happen and must be retried
 * by the caller later (it is never a reason to drop or dead-letter a document).
 */
public interface VectorSink {

    /** Inserts or replaces the given points. */
    void upsert(List<ChunkPoint> points);

    /** Deletes every point of the document. */
    void deleteDocument(String docId);

    /** Deletes the points of the document whose chunk index is {@code >= fromChunk}. */
    void deleteChunksFrom(String docId, int fromChunk);
}
