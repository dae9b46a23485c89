package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.Common.PointId;
import io.qdrant.client.grpc.Points.CountPoints;
import io.qdrant.client.grpc.Points.GetPoints;
import io.qdrant.client.grpc.Points.RetrievedPoint;
import io.qdrant.client.grpc.Points.ScrollPoints;
import io.qdrant.client.grpc.Points.ScrollResponse;
import io.qdrant.client.grpc.Points.WithVectorsSelector;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Get by ids, scroll and count. The caller holds the collection's read lock. */
final class PointReads {

    static final int DEFAULT_LIMIT = 10;

    private final PointStore points;
    private final PointOutput output;
    private final PayloadOrder order;

    PointReads(PointStore points, PointOutput output, PayloadOrder order) {
        this.points = points;
        this.output = output;
        this.order = order;
    }

    List<RetrievedPoint> get(GetPoints request) {
        Set<PointKey> ids = new LinkedHashSet<>();
        for (PointId id : request.getIdsList()) {
            ids.add(PointKey.of(id));
        }
        WithVectorsSelector withVectors = request.hasWithVectors() ? request.getWithVectors() : null;
        List<RetrievedPoint> out = new ArrayList<>(ids.size());
        for (PointKey id : ids) {
            PointEntry e = points.get(id);
            if (e != null) {
                out.add(output.retrieved(e, request.getWithPayload(), false, withVectors));
            }
        }
        return out;
    }

    /** Validates a scroll request before the lock is taken; returns its limit. */
    static long scrollLimit(ScrollPoints request) {
        long limit = request.hasLimit() ? Integer.toUnsignedLong(request.getLimit()) : DEFAULT_LIMIT;
        if (limit < 1) {
            throw QdrantErrors.validation("limit", "value 0 invalid, must be 1 or larger");
        }
        return limit;
    }

    ScrollResponse scroll(ScrollPoints request, long limit, Filters.Cond filter) {
        WithVectorsSelector vectors = request.hasWithVectors() ? request.getWithVectors() : null;
        if (request.hasOrderBy()) {
            // ordered by a payload value: one page only, no next page offset (Qdrant's order_by has no offset)
            ScrollResponse.Builder response = ScrollResponse.newBuilder();
            for (ScoredHit hit : order.order(request.getOrderBy(), points.all(), filter, limit)) {
                response.addResult(output.retrieved(hit.entry(), request.getWithPayload(), true, vectors).toBuilder()
                        .setOrderValue(hit.orderValue()));
            }
            return response.build();
        }
        PointKey offset = request.hasOffset() ? PointKey.of(request.getOffset()) : null;
        WithVectorsSelector withVectors = request.hasWithVectors() ? request.getWithVectors() : null;
        ScrollResponse.Builder response = ScrollResponse.newBuilder();
        long found = 0;
        for (PointEntry e : points.from(offset).values()) {
            if (!filter.test(e.payload, e)) {
                continue;
            }
            if (found == limit) {
                // the first point of the next page, as Qdrant reports it
                response.setNextPageOffset(e.id.toProto());
                break;
            }
            response.addResult(output.retrieved(e, request.getWithPayload(), true, withVectors));
            found++;
        }
        return response.build();
    }

    long count(Filters.Cond filter) {
        if (filter == Filters.ALL) {
            return points.size();
        }
        long n = 0;
        for (PointEntry e : points.all()) {
            if (filter.test(e.payload, e)) {
                n++;
            }
        }
        return n;
    }
}
