package dev.embedloop.qdrant.local;

import static dev.embedloop.qdrant.local.QdrantContractTest.await;
import static io.qdrant.client.PointIdFactory.id;
import static io.qdrant.client.ValueFactory.value;
import static io.qdrant.client.VectorsFactory.vectors;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qdrant.client.QdrantClient;
import io.qdrant.client.QdrantGrpcClient;
import io.qdrant.client.grpc.Collections.Distance;
import io.qdrant.client.grpc.Collections.VectorParams;
import io.qdrant.client.grpc.Points.CreateVectorNameRequest;
import io.qdrant.client.grpc.Points.DenseVectorCreationConfig;
import io.qdrant.client.grpc.Points.PointStruct;
import io.qdrant.client.grpc.Points.RetrievedPoint;
import io.qdrant.client.grpc.SnapshotsService.SnapshotDescription;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Snapshots land in the data directory and come back from it, into the same or another LocalQdrant. */
class LocalQdrantSnapshotTest {

    @TempDir
    Path dir;

    private static QdrantClient client(LocalQdrant server) {
        return new QdrantClient(QdrantGrpcClient.newBuilder(server.host(), server.port(), false).build());
    }

    @Test
    void aSnapshotIsWrittenToTheDataDirectoryAndRecoveredElsewhere() {
        Path data = dir.resolve("data");
        Path snapshotFile;
        try (LocalQdrant server = LocalQdrant.builder().port(0).dataDir(data).build().start();
             QdrantClient client = client(server)) {
            await(client.createCollectionAsync("docs",
                    VectorParams.newBuilder().setSize(2).setDistance(Distance.Cosine).build()));
            await(client.upsertAsync("docs", List.of(PointStruct.newBuilder().setId(id(7)).setVectors(vectors(3, 4))
                    .putPayload("title", value("seven")).build())));
            SnapshotDescription snapshot = await(client.createSnapshotAsync("docs"));
            snapshotFile = data.resolve("snapshots").resolve("docs").resolve(snapshot.getName());
            assertThat(snapshotFile).exists();
            assertThat(snapshotFile.resolveSibling(snapshot.getName() + ".checksum")).hasContent(snapshot.getChecksum());

            // recovering over the live collection rolls it back to the snapshot
            await(client.deleteAsync("docs", List.of(id(7))));
            server.recoverSnapshot("docs", snapshotFile);
            assertThat(await(client.countAsync("docs"))).isEqualTo(1);
        }

        // a second, in-memory server recovers it under another name; and the first one kept it across a restart
        try (LocalQdrant other = LocalQdrant.builder().port(0).build().start();
             QdrantClient client = client(other)) {
            other.recoverSnapshot("copy", snapshotFile);
            List<RetrievedPoint> points = await(client.retrieveAsync("copy", List.of(id(7)), true, true, null));
            assertThat(points).hasSize(1);
            assertThat(points.get(0).getPayloadMap().get("title").getStringValue()).isEqualTo("seven");
            assertThat(points.get(0).getVectors().getVector().getDense().getDataList())
                    .containsExactly(0.6f, 0.8f);
            assertThatThrownBy(() -> other.recoverSnapshot("bad", dir.resolve("missing.snapshot")))
                    .isInstanceOf(UncheckedIOException.class);
        }
        try (LocalQdrant again = LocalQdrant.builder().port(0).dataDir(data).build().start();
             QdrantClient client = client(again)) {
            assertThat(await(client.countAsync("docs"))).isEqualTo(1);
        }
    }

    @Test
    void aFullSnapshotRestoresEveryCollectionAndAliasAcrossARestart() {
        Path data = dir.resolve("full");
        try (LocalQdrant server = LocalQdrant.builder().port(0).dataDir(data).build().start();
             QdrantClient client = client(server)) {
            await(client.createCollectionAsync("a", VectorParams.newBuilder().setSize(2).setDistance(Distance.Dot)
                    .build()));
            await(client.createAliasAsync("current", "a"));
            await(client.upsertAsync("a", List.of(PointStruct.newBuilder().setId(id(1)).setVectors(vectors(1, 2))
                    .build())));
            SnapshotDescription full = await(client.createFullSnapshotAsync());

            await(client.deleteCollectionAsync("a"));
            await(client.createCollectionAsync("b", VectorParams.newBuilder().setSize(2).setDistance(Distance.Dot)
                    .build()));
            server.recoverFullSnapshot(data.resolve("snapshots").resolve(full.getName()));

            assertThat(await(client.listCollectionsAsync())).containsExactly("a");
            assertThat(await(client.countAsync("current"))).isEqualTo(1);
        }
        try (LocalQdrant again = LocalQdrant.builder().port(0).dataDir(data).build().start();
             QdrantClient client = client(again)) {
            assertThat(await(client.listCollectionsAsync())).containsExactly("a");
            assertThat(await(client.countAsync("current"))).isEqualTo(1);
        }
    }

    @Test
    void vectorNamesSurviveARestart() {
        try (LocalQdrant server = LocalQdrant.builder().port(0).dataDir(dir).build().start();
             QdrantClient client = client(server)) {
            await(client.createCollectionAsync("named",
                    VectorParams.newBuilder().setSize(2).setDistance(Distance.Dot).build()));
            await(client.createVectorNameAsync(CreateVectorNameRequest.newBuilder().setCollectionName("named")
                    .setVectorName("extra").setDenseConfig(DenseVectorCreationConfig.newBuilder().setSize(3)
                            .setDistance(Distance.Euclid)).build()));
        }
        try (LocalQdrant server = LocalQdrant.builder().port(0).dataDir(dir).build().start();
             QdrantClient client = client(server)) {
            assertThat(await(client.getCollectionInfoAsync("named")).getConfig().getParams().getVectorsConfig()
                    .getParamsMap().getMapMap()).containsOnlyKeys("", "extra");
        }
    }

    @Test
    void anInMemoryServerRemovesItsOwnSnapshotsDirectory() {
        Path snapshots;
        try (LocalQdrant server = LocalQdrant.builder().port(0).build().start();
             QdrantClient client = client(server)) {
            await(client.createCollectionAsync("tmp",
                    VectorParams.newBuilder().setSize(2).setDistance(Distance.Dot).build()));
            await(client.createFullSnapshotAsync());
            snapshots = server.snapshotsDir();
            assertThat(Files.list(snapshots)).isNotEmpty();
        } catch (java.io.IOException e) {
            throw new UncheckedIOException(e);
        }
        assertThat(snapshots).doesNotExist();
    }
}
