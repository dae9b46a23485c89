package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.Points.ScoredPoint;
import io.qdrant.client.grpc.Points.WithPayloadSelector;
import io.qdrant.client.grpc.Points.WithVectorsSelector;
import java.util.ArrayList;
import java.util.List;

/**
 * Exact nearest-neighbour search over one vector store: every stored vector that passes the filter is scored
 * (see {@link VectorMath}) and the best kept in a {@link TopK}. That is what Qdrant does for small collections
 * and with {@code exact=true}, so results are what a real Qdrant returns up to float rounding.
 *
 * <p>The caller holds the collection's read lock.
 */
final class VectorSearch {

    /** A nearest-neighbour request against one vector store; {@code byId} names a stored vector as the query. */
    record Search(int store, float[] query, PointKey byId, Filters.Cond filter, long limit, long offset,
                  Float threshold, WithPayloadSelector withPayload, WithVectorsSelector withVectors) {
    }

    private final PointStore points;
    private final PointOutput output;

    VectorSearch(PointStore points, PointOutput output) {
        this.points = points;
        this.output = output;
    }

    /**
     * A protobuf {@code uint64} count as a usable {@code long}: values beyond what any collection can hold are
     * capped, which leaves room to add a limit and an offset without overflow.
     */
    static long unsigned(long value) {
        return value < 0 || value > Long.MAX_VALUE / 2 ? Long.MAX_VALUE / 2 : value;
    }

    List<ScoredPoint> nearest(Search s) {
        DenseVectors store = points.schema().store(s.store());
        float[] query;
        if (s.byId() != null) {
            PointEntry source = points.get(s.byId());
            if (source == null || !source.hasVector(s.store())) {
                throw QdrantErrors.pointNotFound(s.byId());
            }
            query = store.get(source.slots[s.store()]); // stored vectors are already normalised
        } else {
            query = VectorSchema.checked(s.query().clone(), store);
        }
        boolean smallerIsBetter = VectorMath.smallerIsBetter(store.distance);
        long wanted = s.limit() + s.offset(); // both at most Long.MAX_VALUE / 2, see unsigned()
        TopK top = new TopK((int) Math.min(wanted, points.size()), smallerIsBetter);
        float[] data = store.data();
        int dim = store.dim;
        Float threshold = s.threshold();
        for (int slot = 0, n = store.highWater(); slot < n; slot++) {
            PointEntry e = store.owner(slot);
            if (e == null || (s.filter() != Filters.ALL && !s.filter().test(e.payload, e))) {
                continue;
            }
            if (s.byId() != null && e.id.equals(s.byId())) {
                continue; // a point used as the query is not its own result, as in Qdrant
            }
            float score = VectorMath.score(store.distance, query, data, slot * dim);
            if (threshold != null && (smallerIsBetter ? score > threshold : score < threshold)) {
                continue;
            }
            top.offer(score, e);
        }
        List<TopK.Hit> hits = top.sorted();
        List<ScoredPoint> out = new ArrayList<>();
        for (int i = (int) Math.min(s.offset(), hits.size()); i < hits.size(); i++) {
            TopK.Hit hit = hits.get(i);
            out.add(output.scored(hit.entry(), hit.score(), s.withPayload(), s.withVectors()));
        }
        return out;
    }

    /** A query without a query: the filtered points in id order, scored 0. */
    List<ScoredPoint> firstById(Filters.Cond filter, long limit, long offset, WithPayloadSelector withPayload,
                                WithVectorsSelector withVectors) {
        List<ScoredPoint> out = new ArrayList<>();
        long skipped = 0;
        for (PointEntry e : points.all()) {
            if (out.size() >= limit) {
                break;
            }
            if (filter.test(e.payload, e) && skipped++ >= offset) {
                out.add(output.scored(e, 0f, withPayload, withVectors));
            }
        }
        return out;
    }
}
