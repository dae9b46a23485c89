package dev.embedloop.qdrant.local;

import io.grpc.stub.StreamObserver;
import io.qdrant.client.grpc.QdrantGrpc;
import io.qdrant.client.grpc.QdrantOuterClass.HealthCheckReply;
import io.qdrant.client.grpc.QdrantOuterClass.HealthCheckRequest;

/** {@code qdrant.Qdrant/HealthCheck}: answers with Qdrant's title and the version LocalQdrant emulates. */
final class HealthService extends QdrantGrpc.QdrantImplBase {

    @Override
    public void healthCheck(HealthCheckRequest request, StreamObserver<HealthCheckReply> observer) {
        Rpc.unary(observer, () -> HealthCheckReply.newBuilder()
                .setTitle(LocalQdrant.TITLE)
                .setVersion(LocalQdrant.VERSION)
                .build());
    }
}
