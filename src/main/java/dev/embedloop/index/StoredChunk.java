package dev.embedloop.index;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedloop.qdrant.ChunkPoint;
import dev.embedloop.qdrant.SparseVector;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.Objects;

/**
 * What the indexer keeps of one indexed chunk so that a new collection can be filled without
 * running the transformer again: the chunk's base-model vector and what its point's payload
 * carries. One record per chunk (key {@link #key}) in the changelogged {@code base-vectors-store},
 * so that records stay small whatever the document's size; written only after Qdrant acked the
 * document's points.
 *
 * @param docId the document
 * @param chunk the chunk's index in the document
 * @param title may be null
 * @param metadata may be null
 * @param contentHash hash of the document's indexed content
 * @param version the document's version, may be null
 * @param text the chunk's text when texts are stored, else null
 * @param base the base-model vector as little-endian float32 bytes (base64 in the JSON)
 * @param sparseIndices the chunk's BM25 term ids when the index has sparse vectors, else null
 * @param sparseValues their weights, else null
 */
public record StoredChunk(
        @JsonProperty("doc_id") String docId,
        @JsonProperty("chunk") int chunk,
        @JsonProperty("title") String title,
        @JsonProperty("metadata") ObjectNode metadata,
        @JsonProperty("content_hash") String contentHash,
        @JsonProperty("version") Long version,
        @JsonProperty("text") String text,
        @JsonProperty("base") byte[] base,
        @JsonProperty("sparse_indices") int[] sparseIndices,
        @JsonProperty("sparse_values") float[] sparseValues) {

    /** A stored chunk without a sparse vector. */
    public StoredChunk(String docId, int chunk, String title, ObjectNode metadata, String contentHash, Long version,
            String text, byte[] base) {
        this(docId, chunk, title, metadata, contentHash, version, text, base, null, null);
    }

    public StoredChunk {
        Objects.requireNonNull(docId, "docId");
        Objects.requireNonNull(contentHash, "contentHash");
        Objects.requireNonNull(base, "base");
    }

    /** The store key of a chunk: the document id, a NUL, the chunk index zero-padded (so chunks sort in order). */
    public static String key(String docId, int chunk) {
        return docId + '\u0000' + String.format(Locale.ROOT, "%08d", chunk);
    }

    public static StoredChunk of(ChunkPoint point, float[] baseVector) {
        SparseVector sparse = point.sparse();
        return new StoredChunk(point.docId(), point.chunk(), point.title(), point.metadata(), point.contentHash(),
                point.version(), point.text(), toBytes(baseVector), sparse == null ? null : sparse.indices(),
                sparse == null ? null : sparse.values());
    }

    @JsonIgnore
    public float[] baseVector() {
        return toFloats(base);
    }

    /** The chunk's point for a collection of {@code modelVersion}, with that collection's vector. */
    public ChunkPoint point(float[] vector, String modelVersion) {
        SparseVector sparse = sparseIndices == null || sparseValues == null ? null
                : new SparseVector(sparseIndices, sparseValues);
        return new ChunkPoint(docId, chunk, vector, title, metadata, modelVersion, contentHash, version, text, sparse);
    }

    static byte[] toBytes(float[] v) {
        ByteBuffer buf = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(v);
        return buf.array();
    }

    static float[] toFloats(byte[] bytes) {
        if (bytes.length % Float.BYTES != 0) {
            throw new IllegalArgumentException("a stored vector has " + bytes.length + " bytes, not a multiple of 4");
        }
        float[] v = new float[bytes.length / Float.BYTES];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }
}
