package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.Points.OrderValue;

/** One point of an intermediate query result: the point, its score and (for {@code order_by}) its order value. */
record ScoredHit(PointEntry entry, float score, OrderValue orderValue) {

    ScoredHit(PointEntry entry, float score) {
        this(entry, score, null);
    }
}
