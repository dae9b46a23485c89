package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.JsonWithInt.Value;
import io.qdrant.client.grpc.Points.RetrievedPoint;
import io.qdrant.client.grpc.Points.ScoredPoint;
import io.qdrant.client.grpc.Points.VectorsOutput;
import io.qdrant.client.grpc.Points.WithPayloadSelector;
import io.qdrant.client.grpc.Points.WithVectorsSelector;
import java.util.Map;

/** Turns stored points into the {@link RetrievedPoint}s and {@link ScoredPoint}s that responses carry. */
final class PointOutput {

    private final VectorSchema schema;

    PointOutput(VectorSchema schema) {
        this.schema = schema;
    }

    /**
     * @param payloadByDefault Qdrant's default when the selector is unset (scroll returns payloads, get does not)
     */
    RetrievedPoint retrieved(PointEntry e, WithPayloadSelector withPayload, boolean payloadByDefault,
                             WithVectorsSelector withVectors) {
        RetrievedPoint.Builder b = RetrievedPoint.newBuilder().setId(e.id.toProto());
        Map<String, Value> payload = PayloadSelection.select(e.payload, withPayload, payloadByDefault);
        if (payload != null) {
            b.putAllPayload(payload);
        }
        VectorsOutput vectors = schema.output(e, withVectors);
        if (vectors != null) {
            b.setVectors(vectors);
        }
        return b.build();
    }

    ScoredPoint scored(ScoredHit hit, WithPayloadSelector withPayload, WithVectorsSelector withVectors) {
        PointEntry e = hit.entry();
        ScoredPoint.Builder b = ScoredPoint.newBuilder().setId(e.id.toProto()).setScore(hit.score())
                .setVersion(e.version);
        if (hit.orderValue() != null) {
            b.setOrderValue(hit.orderValue());
        }
        Map<String, Value> payload = PayloadSelection.select(e.payload, withPayload, false);
        if (payload != null) {
            b.putAllPayload(payload);
        }
        VectorsOutput vectors = schema.output(e, withVectors);
        if (vectors != null) {
            b.setVectors(vectors);
        }
        return b.build();
    }
}
