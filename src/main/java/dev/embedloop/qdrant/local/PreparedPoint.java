package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.JsonWithInt.Struct;

/**
 * A point (or a vector update) validated and converted, ready to apply: canonical id, payload ({@code null} for
 * a vector update) and one vector per vector store of the collection ({@code null} where it has none).
 */
record PreparedPoint(PointKey id, Struct payload, float[][] vectors) {
}
