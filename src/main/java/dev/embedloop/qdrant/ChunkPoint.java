package dev.embedloop.qdrant;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * One point to write: a chunk of a document with its vector and what the payload carries.
 *
 * @param docId document id ({@code doc_id} in the payload)
 * @param chunk chunk index within the document
 * @param vector the chunk's embedding
 * @param title document title, may be null
 * @param metadata document metadata, may be null
 * @param modelVersion version of the model that made the vector
 * @param contentHash hash of the document's indexed content
 * @param version document version, may be null
 * @param text the chunk's text when texts are stored, else null
 * @param sparse the chunk's BM25 sparse vector when the collection has one ({@code index.sparse}), else null
 */
public record ChunkPoint(
        String docId,
        int chunk,
        float[] vector,
        String title,
        ObjectNode metadata,
        String modelVersion,
        String contentHash,
        Long version,
        String text,
        SparseVector sparse) {

    /** A point without a sparse vector. */
    public ChunkPoint(String docId, int chunk, float[] vector, String title, ObjectNode metadata, String modelVersion,
            String contentHash, Long version, String text) {
        this(docId, chunk, vector, title, metadata, modelVersion, contentHash, version, text, null);
    }

    public ChunkPoint {
        Objects.requireNonNull(docId, "docId");
        Objects.requireNonNull(vector, "vector");
        Objects.requireNonNull(modelVersion, "modelVersion");
        Objects.requireNonNull(contentHash, "contentHash");
        if (chunk < 0) {
            throw new IllegalArgumentException("chunk must be >= 0");
        }
    }

    /** The deterministic point id of this chunk. */
    public java.util.UUID pointId() {
        return PointIds.of(docId, chunk);
    }
}
