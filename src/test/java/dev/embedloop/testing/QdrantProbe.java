package dev.embedloop.testing;

import static io.qdrant.client.ConditionFactory.matchKeyword;
import static io.qdrant.client.WithPayloadSelectorFactory.enable;

import io.qdrant.client.QdrantClient;
import io.qdrant.client.grpc.Common.Filter;
import io.qdrant.client.grpc.Common.PointId;
import io.qdrant.client.grpc.Points.RetrievedPoint;
import io.qdrant.client.grpc.Points.ScrollPoints;
import io.qdrant.client.grpc.Points.ScrollResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/** Reads what a Qdrant collection holds, for assertions. */
public final class QdrantProbe {

    private final QdrantClient client;
    private final String collection;

    public QdrantProbe(QdrantClient client, String collection) {
        this.client = client;
        this.collection = collection;
    }

    public long count() {
        try {
            return client.countAsync(collection).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("count failed", e);
        }
    }

    public long countOf(String docId) {
        try {
            return client.countAsync(collection, Filter.newBuilder().addMust(matchKeyword("doc_id", docId)).build(), true)
                    .get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("count failed", e);
        }
    }

    /** Every point, by scrolling. */
    public List<RetrievedPoint> all() {
        List<RetrievedPoint> out = new ArrayList<>();
        PointId offset = null;
        try {
            do {
                ScrollPoints.Builder req = ScrollPoints.newBuilder()
                        .setCollectionName(collection)
                        .setLimit(256)
                        .setWithPayload(enable(true));
                if (offset != null) {
                    req.setOffset(offset);
                }
                ScrollResponse page = client.scrollAsync(req.build()).get(30, TimeUnit.SECONDS);
                out.addAll(page.getResultList());
                offset = page.hasNextPageOffset() ? page.getNextPageOffset() : null;
            } while (offset != null);
        } catch (Exception e) {
            throw new IllegalStateException("scroll failed", e);
        }
        return out;
    }

    /** doc_id → number of points. */
    public Map<String, Integer> pointsPerDocument() {
        Map<String, Integer> out = new TreeMap<>();
        for (RetrievedPoint p : all()) {
            out.merge(p.getPayloadMap().get("doc_id").getStringValue(), 1, Integer::sum);
        }
        return out;
    }
}
