package dev.embedloop.qdrant.local;

import static dev.embedloop.qdrant.local.QdrantContractTest.await;
import static dev.embedloop.qdrant.local.QdrantContractTest.grpcError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.qdrant.client.QdrantClient;
import io.qdrant.client.QdrantGrpcClient;
import io.qdrant.client.grpc.Collections.Distance;
import io.qdrant.client.grpc.Collections.VectorParams;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Qdrant's {@code api_key} and {@code read_only_api_key}, as a client sees them. */
class LocalQdrantApiKeyTest {

    private static LocalQdrant server;

    @BeforeAll
    static void start() {
        server = LocalQdrant.builder().port(0).apiKey("s3cret").readOnlyApiKey("reader").build().start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static QdrantClient client(Consumer<QdrantGrpcClient.Builder> auth) {
        QdrantGrpcClient.Builder builder = QdrantGrpcClient.newBuilder(server.host(), server.port(), false);
        auth.accept(builder);
        return new QdrantClient(builder.build());
    }

    @Test
    void aClientWithoutTheKeyIsUnauthenticatedButMayCheckHealth() {
        try (QdrantClient anonymous = client(b -> { })) {
            StatusRuntimeException e = grpcError(anonymous.listCollectionsAsync());
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
            assertThat(e.getStatus().getDescription())
                    .isEqualTo("Must provide an API key or an Authorization bearer token");
            assertThat(await(anonymous.healthCheckAsync()).getTitle()).isEqualTo(LocalQdrant.TITLE);
        }
    }

    @Test
    void aWrongKeyIsUnauthenticated() {
        try (QdrantClient wrong = client(b -> b.withApiKey("s3cre"))) {
            StatusRuntimeException e = grpcError(wrong.collectionExistsAsync("any"));
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
            assertThat(e.getStatus().getDescription()).isEqualTo("Invalid API key or JWT");
        }
    }

    @Test
    void theKeyWorksAsHeaderOrBearerTokenAndTheReadOnlyKeyOnlyReads() {
        VectorParams params = VectorParams.newBuilder().setSize(2).setDistance(Distance.Dot).build();
        try (QdrantClient admin = client(b -> b.withApiKey("s3cret"));
             QdrantClient bearer = client(b -> b.withCallCredentials(new io.grpc.CallCredentials() {
                 @Override
                 public void applyRequestMetadata(RequestInfo info, java.util.concurrent.Executor executor,
                                                  MetadataApplier applier) {
                     io.grpc.Metadata headers = new io.grpc.Metadata();
                     headers.put(io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER),
                             "Bearer s3cret");
                     applier.apply(headers);
                 }
             }));
             QdrantClient reader = client(b -> b.withApiKey("reader"))) {
            await(admin.createCollectionAsync("keyed", params));
            assertThat(await(bearer.collectionExistsAsync("keyed"))).isTrue();
            assertThat(await(reader.listCollectionsAsync())).contains("keyed");
            assertThat(await(reader.countAsync("keyed"))).isZero();

            StatusRuntimeException e = grpcError(reader.deleteCollectionAsync("keyed"));
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
            assertThat(await(admin.collectionExistsAsync("keyed"))).isTrue();
        }
    }

    @Test
    void aReadOnlyKeyAloneIsAMistake() {
        assertThatThrownBy(() -> LocalQdrant.builder().readOnlyApiKey("reader").build())
                .isInstanceOf(IllegalStateException.class);
    }
}
