package dev.embedloop.qdrant.local;

import static dev.embedloop.qdrant.local.QdrantContractTest.await;
import static dev.embedloop.qdrant.local.QdrantContractTest.grpcError;
import static io.qdrant.client.PointIdFactory.id;
import static io.qdrant.client.QueryFactory.nearest;
import static io.qdrant.client.VectorFactory.vector;
import static io.qdrant.client.VectorsFactory.namedVectors;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.qdrant.client.grpc.Collections.Distance;
import io.qdrant.client.grpc.Collections.VectorParams;
import io.qdrant.client.grpc.Collections.VectorsConfig;
import io.qdrant.client.grpc.Points.CreateVectorNameRequest;
import io.qdrant.client.grpc.Points.DeleteVectorNameRequest;
import io.qdrant.client.grpc.Points.DenseVectorCreationConfig;
import io.qdrant.client.grpc.Points.PointStruct;
import io.qdrant.client.grpc.Points.QueryPoints;
import io.qdrant.client.grpc.Points.RetrievedPoint;
import io.qdrant.client.grpc.Points.ScoredPoint;
import io.qdrant.client.grpc.SnapshotsService.SnapshotDescription;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;

/**
 * The contract, continued: vector names added to and dropped from a live collection, and collection snapshots.
 * Runs against LocalQdrant and, with {@code QDRANT_URL}, a real Qdrant (see {@link QdrantContractTest}).
 */
class QdrantContractCollectionsTest {

    @AfterAll
    static void closeTargets() throws Exception {
        QdrantContractTest.closeTargets();
    }

    private static CreateVectorNameRequest extra(String collection, int size) {
        return CreateVectorNameRequest.newBuilder().setCollectionName(collection).setVectorName("extra").setWait(true)
                .setDenseConfig(DenseVectorCreationConfig.newBuilder().setSize(size).setDistance(Distance.Dot))
                .build();
    }

    @QdrantContractTest.Contract
    void vectorNamesCanBeAddedAndDropped(QdrantContractTest.Target t) {
        String name = t.name("vector_names");
        await(t.client.createCollectionAsync(name,
                VectorParams.newBuilder().setSize(2).setDistance(Distance.Dot).build()));
        await(t.client.upsertAsync(name, List.of(PointStruct.newBuilder().setId(id(1))
                .setVectors(namedVectors(Map.of("", vector(1f, 0f)))).build())));

        await(t.client.createVectorNameAsync(extra(name, 3)));
        await(t.client.createVectorNameAsync(extra(name, 3))); // the same again: nothing to do

        VectorsConfig config = await(t.client.getCollectionInfoAsync(name)).getConfig().getParams()
                .getVectorsConfig();
        assertThat(config.getParamsMap().getMapMap()).containsKeys("", "extra");
        assertThat(config.getParamsMap().getMapMap().get("extra").getSize()).isEqualTo(3);

        StatusRuntimeException conflict = grpcError(t.client.createVectorNameAsync(extra(name, 4)));
        assertThat(conflict.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(conflict.getStatus().getDescription())
                .isEqualTo("Wrong input: Vector `extra` already exists with a different configuration");

        await(t.client.upsertAsync(name, List.of(PointStruct.newBuilder().setId(id(2))
                .setVectors(namedVectors(Map.of("", vector(0f, 1f), "extra", vector(1f, 1f, 1f)))).build())));
        List<ScoredPoint> extraHits = await(t.client.queryAsync(QueryPoints.newBuilder().setCollectionName(name)
                .setUsing("extra").setQuery(nearest(1f, 0f, 0f)).build()));
        assertThat(extraHits).extracting(p -> p.getId().getNum()).containsExactly(2L); // 1 has no "extra"

        await(t.client.deleteVectorNameAsync(DeleteVectorNameRequest.newBuilder().setCollectionName(name)
                .setVectorName("extra").setWait(true).build()));
        assertThat(await(t.client.getCollectionInfoAsync(name)).getConfig().getParams().getVectorsConfig()
                .getParamsMap().getMapMap()).containsOnlyKeys("");
        List<RetrievedPoint> kept = await(t.client.retrieveAsync(name, List.of(id(2)), false, true, null));
        assertThat(kept.get(0).getVectors().getVectors().getVectorsMap()).containsOnlyKeys("");
        StatusRuntimeException gone = grpcError(t.client.queryAsync(QueryPoints.newBuilder()
                .setCollectionName(name).setUsing("extra").setQuery(nearest(1f, 0f, 0f)).build()));
        assertThat(gone.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }

    @QdrantContractTest.Contract
    void snapshotsAreCreatedListedAndDeleted(QdrantContractTest.Target t) {
        String name = t.name("snapshots");
        await(t.client.createCollectionAsync(name,
                VectorParams.newBuilder().setSize(2).setDistance(Distance.Dot).build()));

        SnapshotDescription created = await(t.client.createSnapshotAsync(name));
        assertThat(created.getName()).startsWith(name + "-").endsWith(".snapshot");
        assertThat(created.getSize()).isPositive();
        assertThat(created.getChecksum()).matches("[0-9a-f]{64}");
        assertThat(await(t.client.listSnapshotAsync(name))).extracting(SnapshotDescription::getName)
                .contains(created.getName());

        await(t.client.deleteSnapshotAsync(name, created.getName()));
        assertThat(await(t.client.listSnapshotAsync(name))).extracting(SnapshotDescription::getName)
                .doesNotContain(created.getName());
        StatusRuntimeException missing = grpcError(t.client.deleteSnapshotAsync(name, created.getName()));
        assertThat(missing.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        StatusRuntimeException noCollection = grpcError(t.client.createSnapshotAsync(t.name("no_such")));
        assertThat(noCollection.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    }

    @QdrantContractTest.Contract
    void fullSnapshotsAreCreatedListedAndDeleted(QdrantContractTest.Target t) {
        await(t.client.createCollectionAsync(t.name("full_snapshot"),
                VectorParams.newBuilder().setSize(2).setDistance(Distance.Dot).build()));
        SnapshotDescription full = await(t.client.createFullSnapshotAsync());
        assertThat(full.getName()).startsWith("full-snapshot-").endsWith(".snapshot");
        assertThat(await(t.client.listFullSnapshotAsync())).extracting(SnapshotDescription::getName)
                .contains(full.getName());
        await(t.client.deleteFullSnapshotAsync(full.getName()));
        assertThat(await(t.client.listFullSnapshotAsync())).extracting(SnapshotDescription::getName)
                .doesNotContain(full.getName());
        assertThat(grpcError(t.client.deleteFullSnapshotAsync(full.getName())).getStatus().getCode())
                .isEqualTo(Status.Code.NOT_FOUND);
    }
}
