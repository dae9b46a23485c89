package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.JsonWithInt.Struct;

/**
 * A point (or a vector update) validated and converted, ready to apply: canonical id, payload ({@code null} for
 * a vector update) and its vectors, dense and sparse.
 */
record PreparedPoint(PointKey id, Struct payload, VectorSet vectors) {
}
