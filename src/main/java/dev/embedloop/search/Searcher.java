package dev.embedloop.search;

import static io.qdrant.client.QueryFactory.nearest;
import static io.qdrant.client.WithPayloadSelectorFactory.enable;

import dev.embedloop.encode.TextEncoder;
import dev.embedloop.qdrant.Qdrant;
import dev.embedloop.qdrant.QdrantSink;
import io.qdrant.client.QdrantClient;
import io.qdrant.client.grpc.JsonWithInt.Value;
import io.qdrant.client.grpc.Points.QueryPoints;
import io.qdrant.client.grpc.Points.ScoredPoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Answers queries: encodes the query with the live model (query prefix applied), asks Qdrant
 * through the alias, and keeps the best chunk of each document.
 */
public final class Searcher implements SearchBackend {

    /** Chunks fetched per requested document, so that k distinct documents survive grouping. */
    private static final int OVERSAMPLE = 4;
    private static final int SNIPPET_CHARS = 240;

    private final QdrantClient client;
    private final TextEncoder encoder;
    private final String alias;
    private final Duration timeout;

    public Searcher(QdrantClient client, TextEncoder encoder, String alias, Duration timeout) {
        this.client = client;
        this.encoder = encoder;
        this.alias = alias;
        this.timeout = timeout;
    }

    /** The top {@code k} documents for {@code query}, best first. */
    @Override
    public List<Hit> search(String query, int k) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, was " + k);
        }
        float[] vector = encoder.encodeQuery(query);
        List<ScoredPoint> points = Qdrant.await(client.queryAsync(QueryPoints.newBuilder()
                        .setCollectionName(alias)
                        .setQuery(nearest(vector))
                        .setLimit(Math.min(1000, (long) k * OVERSAMPLE))
                        .setWithPayload(enable(true))
                        .build(), timeout), timeout, "query " + alias);
        Map<String, Hit> best = new LinkedHashMap<>();
        for (ScoredPoint p : points) {
            Map<String, Value> payload = p.getPayloadMap();
            String docId = payload.containsKey(QdrantSink.DOC_ID) ? payload.get(QdrantSink.DOC_ID).getStringValue()
                    : p.getId().getUuid();
            if (best.containsKey(docId)) {
                continue; // results come best first: the first chunk seen is the document's best
            }
            String text = payload.containsKey(QdrantSink.TEXT) ? payload.get(QdrantSink.TEXT).getStringValue() : null;
            best.put(docId, new Hit(
                    docId,
                    payload.containsKey(QdrantSink.CHUNK) ? (int) payload.get(QdrantSink.CHUNK).getIntegerValue() : 0,
                    p.getScore(),
                    payload.containsKey(QdrantSink.TITLE) ? payload.get(QdrantSink.TITLE).getStringValue() : null,
                    text == null ? null : snippet(text)));
            if (best.size() == k) {
                break;
            }
        }
        return new ArrayList<>(best.values());
    }

    @Override
    public String modelVersion() {
        return encoder.model().version();
    }

    static String snippet(String text) {
        String flat = text.replaceAll("\\s+", " ").trim();
        return flat.length() <= SNIPPET_CHARS ? flat : flat.substring(0, SNIPPET_CHARS) + "…";
    }
}
