package dev.embedloop.qdrant;

import static io.qdrant.client.ConditionFactory.matchKeyword;
import static io.qdrant.client.ConditionFactory.range;
import static io.qdrant.client.PointIdFactory.id;
import static io.qdrant.client.ValueFactory.value;
import static io.qdrant.client.VectorFactory.vector;
import static io.qdrant.client.VectorsFactory.namedVectors;
import static io.qdrant.client.VectorsFactory.vectors;

import io.qdrant.client.QdrantClient;
import io.qdrant.client.grpc.Common.Filter;
import io.qdrant.client.grpc.Common.Range;
import io.qdrant.client.grpc.JsonWithInt.Value;
import io.qdrant.client.grpc.Points.DeletePoints;
import io.qdrant.client.grpc.Points.PointStruct;
import io.qdrant.client.grpc.Points.Vectors;
import io.qdrant.client.grpc.Points.PointsSelector;
import io.qdrant.client.grpc.Points.UpsertPoints;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes chunk points to one Qdrant collection with {@code wait=true}, so a call returns only
 * once Qdrant has applied the write. Transient failures are retried for {@code retryMax} (see
 * {@link Qdrant#retrying}); a request Qdrant refuses for good fails at once with a
 * {@link Qdrant.Failure#REJECTED} exception, and persistent INTERNAL/UNKNOWN answers after
 * {@link Qdrant#AMBIGUOUS_RETRY} with an {@link Qdrant.Failure#AMBIGUOUS} one, so the indexer can
 * split its batch and find the document at fault instead of stalling.
 */
public final class QdrantSink implements VectorSink {

    /** Payload field names, shared with search. */
    public static final String DOC_ID = "doc_id";
    public static final String CHUNK = "chunk";
    public static final String TITLE = "title";
    public static final String METADATA = "metadata";
    public static final String MODEL_VERSION = "model_version";
    public static final String CONTENT_HASH = "content_hash";
    public static final String VERSION = "version";
    public static final String TEXT = "text";
    /** The dense vector's name: Qdrant's default (unnamed) vector. */
    public static final String DENSE_VECTOR = "";
    /** The BM25 sparse vector's name in hybrid collections (declared with Qdrant's IDF modifier). */
    public static final String SPARSE_VECTOR = "bm25";

    private final QdrantClient client;
    private final String collection;
    private final Duration timeout;
    private final Duration retryMax;

    public QdrantSink(QdrantClient client, String collection, Duration timeout, Duration retryMax) {
        this.client = client;
        this.collection = collection;
        this.timeout = timeout;
        this.retryMax = retryMax;
    }

    public String collection() {
        return collection;
    }

    @Override
    public void upsert(List<ChunkPoint> points) {
        if (points.isEmpty()) {
            return;
        }
        List<PointStruct> structs = new ArrayList<>(points.size());
        for (ChunkPoint p : points) {
            structs.add(PointStruct.newBuilder()
                    .setId(id(p.pointId()))
                    .setVectors(vectorsOf(p))
                    .putAllPayload(payload(p))
                    .build());
        }
        UpsertPoints request = UpsertPoints.newBuilder()
                .setCollectionName(collection)
                .setWait(true)
                .addAllPoints(structs)
                .build();
        Qdrant.retrying(() -> Qdrant.await(client.upsertAsync(request, timeout), timeout,
                "upsert of " + points.size() + " points into " + collection), retryMax, Qdrant.AMBIGUOUS_RETRY, "upsert");
    }

    @Override
    public void deleteDocument(String docId) {
        delete(Filter.newBuilder().addMust(matchKeyword(DOC_ID, docId)).build(), "delete of document " + docId);
    }

    @Override
    public void deleteChunksFrom(String docId, int fromChunk) {
        delete(Filter.newBuilder()
                        .addMust(matchKeyword(DOC_ID, docId))
                        .addMust(range(CHUNK, Range.newBuilder().setGte(fromChunk).build()))
                        .build(),
                "delete of chunks >= " + fromChunk + " of document " + docId);
    }

    private void delete(Filter filter, String what) {
        DeletePoints request = DeletePoints.newBuilder()
                .setCollectionName(collection)
                .setWait(true)
                .setPoints(PointsSelector.newBuilder().setFilter(filter).build())
                .build();
        Qdrant.retrying(() -> Qdrant.await(client.deleteAsync(request, timeout), timeout, what), retryMax,
                Qdrant.AMBIGUOUS_RETRY, "delete");
    }

    /** The dense vector alone, or (hybrid collections) the unnamed dense vector and the named BM25 one. */
    static Vectors vectorsOf(ChunkPoint p) {
        if (p.sparse() == null) {
            return vectors(p.vector());
        }
        List<Float> values = new ArrayList<>(p.sparse().values().length);
        List<Integer> indices = new ArrayList<>(p.sparse().indices().length);
        for (int i = 0; i < p.sparse().indices().length; i++) {
            indices.add(p.sparse().indices()[i]);
            values.add(p.sparse().values()[i]);
        }
        return namedVectors(Map.of(DENSE_VECTOR, vector(p.vector()), SPARSE_VECTOR, vector(values, indices)));
    }

    static Map<String, Value> payload(ChunkPoint p) {
        Map<String, Value> payload = new HashMap<>();
        payload.put(DOC_ID, value(p.docId()));
        payload.put(CHUNK, value(p.chunk()));
        payload.put(MODEL_VERSION, value(p.modelVersion()));
        payload.put(CONTENT_HASH, value(p.contentHash()));
        if (p.title() != null) {
            payload.put(TITLE, value(p.title()));
        }
        if (p.metadata() != null) {
            payload.put(METADATA, Payloads.toValue(p.metadata()));
        }
        if (p.version() != null) {
            payload.put(VERSION, value(p.version()));
        }
        if (p.text() != null) {
            payload.put(TEXT, value(p.text()));
        }
        return payload;
    }
}
