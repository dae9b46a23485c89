package dev.embedloop.qdrant.local;

import static dev.embedloop.qdrant.local.QdrantContractTest.await;
import static io.qdrant.client.ConditionFactory.matchKeyword;
import static io.qdrant.client.PointIdFactory.id;
import static io.qdrant.client.ValueFactory.list;
import static io.qdrant.client.ValueFactory.value;
import static io.qdrant.client.VectorFactory.vector;
import static io.qdrant.client.VectorsFactory.namedVectors;
import static io.qdrant.client.VectorsFactory.vectors;
import static io.qdrant.client.WithPayloadSelectorFactory.enable;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qdrant.client.QdrantClient;
import io.qdrant.client.QdrantGrpcClient;
import io.qdrant.client.WithVectorsSelectorFactory;
import io.qdrant.client.grpc.Collections.AliasDescription;
import io.qdrant.client.grpc.Collections.CollectionInfo;
import io.qdrant.client.grpc.Collections.CreateCollection;
import io.qdrant.client.grpc.Collections.Distance;
import io.qdrant.client.grpc.Collections.IntegerIndexParams;
import io.qdrant.client.grpc.Collections.OptimizersConfigDiff;
import io.qdrant.client.grpc.Collections.PayloadIndexParams;
import io.qdrant.client.grpc.Collections.PayloadSchemaType;
import io.qdrant.client.grpc.Collections.UpdateCollection;
import io.qdrant.client.grpc.Collections.VectorParams;
import io.qdrant.client.grpc.Collections.VectorParamsMap;
import io.qdrant.client.grpc.Collections.VectorsConfig;
import io.qdrant.client.grpc.Common.Filter;
import io.qdrant.client.grpc.Points.PointStruct;
import io.qdrant.client.grpc.Points.RetrievedPoint;
import io.qdrant.client.grpc.Points.ScoredPoint;
import io.qdrant.client.grpc.Points.ScrollPoints;
import io.qdrant.client.grpc.Points.SearchPoints;
import io.qdrant.client.grpc.Points.UpdateResult;
import io.qdrant.client.grpc.Points.UpsertPoints;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A LocalQdrant with a data directory keeps everything it acknowledged across a close and a restart. */
class LocalQdrantPersistenceTest {

    @TempDir
    Path dir;

    @Test
    void everythingSurvivesARestart() {
        List<RetrievedPoint> docsBefore;
        List<RetrievedPoint> multiBefore;
        List<ScoredPoint> searchBefore;
        CollectionInfo docsInfoBefore;
        CollectionInfo multiInfoBefore;
        List<AliasDescription> aliasesBefore;
        long lastOperation;
        try (Running r = start()) {
            QdrantClient c = r.client;
            await(c.createCollectionAsync("docs", VectorParams.newBuilder().setSize(4)
                    .setDistance(Distance.Cosine).build()));
            await(c.createCollectionAsync(CreateCollection.newBuilder().setCollectionName("multi")
                    .setVectorsConfig(VectorsConfig.newBuilder().setParamsMap(VectorParamsMap.newBuilder()
                            .putMap("a", VectorParams.newBuilder().setSize(2).setDistance(Distance.Dot).build())
                            .putMap("b", VectorParams.newBuilder().setSize(3).setDistance(Distance.Euclid).build())))
                    .putMetadata("owner", value("embedloop"))
                    .build()));
            await(c.createPayloadIndexAsync("docs", "doc_id", PayloadSchemaType.Keyword, null, true, null, null));
            await(c.createPayloadIndexAsync("docs", "chunk", PayloadSchemaType.Integer, PayloadIndexParams.newBuilder()
                    .setIntegerIndexParams(IntegerIndexParams.newBuilder().setLookup(true).setRange(true)).build(),
                    true, null, null));
            List<PointStruct> points = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                points.add(PointStruct.newBuilder()
                        .setId(i % 2 == 0 ? id(i) : id(UUID.nameUUIDFromBytes(("p" + i).getBytes())))
                        .setVectors(vectors(i, 1, -i, 0.5f))
                        .putPayload("doc_id", value("doc-" + (i % 5)))
                        .putPayload("chunk", value(i))
                        .putPayload("meta", value(Map.of("lang", value(i % 3 == 0 ? "en" : "de"),
                                "tags", list(List.of(value("t" + i), value(i * 0.5))))))
                        .build());
            }
            await(c.upsertAsync("docs", points));
            await(c.upsertAsync("multi", List.of(
                    PointStruct.newBuilder().setId(id(1)).setVectors(namedVectors(Map.of(
                            "a", vector(1, 2), "b", vector(1, 2, 3)))).build(),
                    PointStruct.newBuilder().setId(id(2)).setVectors(namedVectors(Map.of("b", vector(0, 0, 1))))
                            .putPayload("x", value(true)).build())));
            await(c.deleteAsync("docs", Filter.newBuilder().addMust(matchKeyword("doc_id", "doc-3")).build()));
            await(c.setPayloadAsync("docs", Map.of("reviewed", value(true)), List.of(id(4)), true, null, null));
            await(c.deletePayloadAsync("docs", List.of("meta.tags"), List.of(id(6)), true, null, null));
            await(c.overwritePayloadAsync("docs", Map.of("doc_id", value("doc-0")), id(10), true, null, null));
            await(c.updateCollectionAsync(UpdateCollection.newBuilder().setCollectionName("docs")
                    .setOptimizersConfig(OptimizersConfigDiff.newBuilder().setIndexingThreshold(0)).build()));
            await(c.createAliasAsync("live", "docs"));
            await(c.createAliasAsync("old", "multi"));
            await(c.renameAliasAsync("old", "older"));
            // acknowledged without waiting: still in the journal once answered
            lastOperation = await(c.upsertAsync(UpsertPoints.newBuilder().setCollectionName("docs").setWait(false)
                    .addPoints(PointStruct.newBuilder().setId(id(1000)).setVectors(vectors(1, 1, 1, 1))
                            .putPayload("doc_id", value("late"))).build())).getOperationId();

            docsBefore = everything(c, "docs");
            multiBefore = everything(c, "multi");
            searchBefore = search(c);
            docsInfoBefore = await(c.getCollectionInfoAsync("docs"));
            multiInfoBefore = await(c.getCollectionInfoAsync("multi"));
            aliasesBefore = await(c.listAliasesAsync());
        }

        try (Running r = start()) {
            QdrantClient c = r.client;
            assertThat(await(c.listCollectionsAsync())).containsExactlyInAnyOrder("docs", "multi");
            assertThat(await(c.listAliasesAsync())).containsExactlyInAnyOrderElementsOf(aliasesBefore);
            assertThat(everything(c, "docs")).isEqualTo(docsBefore).hasSize(33);
            assertThat(everything(c, "multi")).isEqualTo(multiBefore).hasSize(2);
            assertThat(everything(c, "live")).isEqualTo(docsBefore);
            assertThat(search(c)).isEqualTo(searchBefore); // same scores, same versions
            assertThat(await(c.getCollectionInfoAsync("docs"))).isEqualTo(docsInfoBefore);
            assertThat(await(c.getCollectionInfoAsync("multi"))).isEqualTo(multiInfoBefore);
            assertThat(docsInfoBefore.getPayloadSchemaMap()).containsOnlyKeys("doc_id", "chunk");
            assertThat(docsInfoBefore.getConfig().getOptimizerConfig().getIndexingThreshold()).isZero();
            assertThat(multiInfoBefore.getConfig().getMetadataMap()).containsEntry("owner", value("embedloop"));

            UpdateResult next = await(c.upsertAsync("docs", List.of(PointStruct.newBuilder().setId(id(2000))
                    .setVectors(vectors(0, 0, 0, 1)).build())));
            assertThat(next.getOperationId()).isGreaterThan(lastOperation);
        }
    }

    @Test
    void aRecordTornByACrashIsDroppedAndTheRestKept() throws IOException {
        try (Running r = start()) {
            await(r.client.createCollectionAsync("c", VectorParams.newBuilder().setSize(2)
                    .setDistance(Distance.Dot).build()));
            await(r.client.upsertAsync("c", List.of(PointStruct.newBuilder().setId(id(1)).setVectors(vectors(1, 2))
                    .build())));
        }
        // the beginning of a record whose body never made it to disk
        try (FileChannel journal = FileChannel.open(dir.resolve(Journal.FILE), StandardOpenOption.APPEND)) {
            journal.write(ByteBuffer.allocate(12).putInt(4096).putInt(12345).putInt(7).flip());
        }

        try (Running r = start()) {
            assertThat(await(r.client.countAsync("c"))).isEqualTo(1);
            await(r.client.upsertAsync("c", List.of(PointStruct.newBuilder().setId(id(2)).setVectors(vectors(3, 4))
                    .build())));
        }
        try (Running r = start()) {
            assertThat(await(r.client.countAsync("c"))).isEqualTo(2);
        }
        assertThat(damagedCopies()).isEmpty();
    }

    @Test
    void aDamagedJournalIsKeptAsideInsteadOfSilentlyLost() throws IOException {
        try (Running r = start()) {
            await(r.client.createCollectionAsync("c", VectorParams.newBuilder().setSize(2)
                    .setDistance(Distance.Dot).build()));
            await(r.client.upsertAsync("c", List.of(PointStruct.newBuilder().setId(id(1)).setVectors(vectors(1, 2))
                    .build())));
        }
        Path journal = dir.resolve(Journal.FILE);
        byte[] bytes = Files.readAllBytes(journal);
        bytes[20] ^= 0x5a; // inside the first record, with others after it: not a torn tail
        Files.write(journal, bytes);

        try (Running r = start()) {
            assertThat(await(r.client.listCollectionsAsync())).isEmpty();
        }
        assertThat(damagedCopies()).hasSize(1);
        assertThat(Files.readAllBytes(damagedCopies().get(0))).isEqualTo(bytes);
    }

    @Test
    void compactionOnStartDropsOverwrittenAndDeletedData() throws IOException {
        try (Running r = start()) {
            await(r.client.createCollectionAsync("c", VectorParams.newBuilder().setSize(8)
                    .setDistance(Distance.Cosine).build()));
            for (int round = 0; round < 30; round++) {
                List<PointStruct> points = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    points.add(PointStruct.newBuilder().setId(id(i))
                            .setVectors(vectors(round, i, 1, 2, 3, 4, 5, 6)).build());
                }
                await(r.client.upsertAsync("c", points));
            }
            await(r.client.createCollectionAsync("gone", VectorParams.newBuilder().setSize(2)
                    .setDistance(Distance.Dot).build()));
            await(r.client.deleteCollectionAsync("gone"));
            // a collection deleted and created again under the same name starts empty
            await(r.client.createCollectionAsync("again", VectorParams.newBuilder().setSize(2)
                    .setDistance(Distance.Dot).build()));
            await(r.client.upsertAsync("again", List.of(PointStruct.newBuilder().setId(id(1))
                    .setVectors(vectors(1, 1)).build())));
            await(r.client.deleteCollectionAsync("again"));
            await(r.client.createCollectionAsync("again", VectorParams.newBuilder().setSize(3)
                    .setDistance(Distance.Dot).build()));
        }
        long before = Files.size(dir.resolve(Journal.FILE));

        try (Running r = start()) {
            assertThat(await(r.client.countAsync("c"))).isEqualTo(20);
            assertThat(await(r.client.countAsync("again"))).isZero();
            assertThat(await(r.client.getCollectionInfoAsync("again")).getConfig().getParams().getVectorsConfig()
                    .getParams().getSize()).isEqualTo(3);
            assertThat(await(r.client.collectionExistsAsync("gone"))).isFalse();
        }
        assertThat(Files.size(dir.resolve(Journal.FILE))).isLessThan(before / 10);
    }

    @Test
    void aDataDirectoryServesOneLocalQdrantAtATime() {
        try (Running r = start()) {
            assertThatThrownBy(() -> LocalQdrant.builder().port(0).dataDir(dir).build().start())
                    .isInstanceOf(UncheckedIOException.class)
                    .hasStackTraceContaining("in use by another LocalQdrant");
            assertThat(await(r.client.listCollectionsAsync())).isEmpty(); // the first one is unharmed
        }
    }

    // ------------------------------------------------------------------------------------- helpers

    /** A started server and a client for it. */
    private record Running(LocalQdrant server, QdrantClient client) implements AutoCloseable {
        @Override
        public void close() {
            client.close();
            server.close();
        }
    }

    private Running start() {
        LocalQdrant server = LocalQdrant.builder().port(0).dataDir(dir).build().start();
        return new Running(server, new QdrantClient(
                QdrantGrpcClient.newBuilder(server.host(), server.port(), false).build()));
    }

    @Test
    void sparseVectorsAndTheirIdfStatisticsSurviveARestart() {
        List<ScoredPoint> before;
        io.qdrant.client.grpc.Points.QueryPoints query = io.qdrant.client.grpc.Points.QueryPoints.newBuilder()
                .setCollectionName("sparse").setUsing("idf").setQuery(io.qdrant.client.QueryFactory.nearest(
                        io.qdrant.client.grpc.Points.VectorInput.newBuilder().setSparse(
                                io.qdrant.client.grpc.Points.SparseVector.newBuilder().addIndices(1).addIndices(2)
                                        .addValues(1f).addValues(2f)).build())).build();
        try (Running r = start()) {
            await(r.client.createCollectionAsync(CreateCollection.newBuilder().setCollectionName("sparse")
                    .setSparseVectorsConfig(io.qdrant.client.grpc.Collections.SparseVectorConfig.newBuilder()
                            .putMap("idf", io.qdrant.client.grpc.Collections.SparseVectorParams.newBuilder()
                                    .setModifier(io.qdrant.client.grpc.Collections.Modifier.Idf).build()))
                    .build()));
            List<io.qdrant.client.grpc.Points.PointStruct> points = new java.util.ArrayList<>();
            for (int i = 1; i <= 5; i++) {
                points.add(io.qdrant.client.grpc.Points.PointStruct.newBuilder().setId(io.qdrant.client.PointIdFactory.id(i))
                        .setVectors(io.qdrant.client.VectorsFactory.namedVectors(java.util.Map.of("idf",
                                io.qdrant.client.VectorFactory.vector(List.of(1f * i, 1f), List.of(i % 2, 2)))))
                        .build());
            }
            await(r.client.upsertAsync("sparse", points));
            before = await(r.client.queryAsync(query));
        }
        try (Running r = start()) {
            List<ScoredPoint> after = await(r.client.queryAsync(query));
            assertThat(after).isEqualTo(before);
            assertThat(after).hasSize(5);
        }
    }

    private static List<RetrievedPoint> everything(QdrantClient c, String collection) {
        return await(c.scrollAsync(ScrollPoints.newBuilder().setCollectionName(collection).setLimit(1000)
                .setWithPayload(enable(true)).setWithVectors(WithVectorsSelectorFactory.enable(true)).build()))
                .getResultList();
    }

    private static List<ScoredPoint> search(QdrantClient c) {
        return await(c.searchAsync(SearchPoints.newBuilder().setCollectionName("docs")
                .addAllVector(List.of(1f, 2f, 3f, 4f)).setLimit(10).setWithPayload(enable(true)).build()));
    }

    private List<Path> damagedCopies() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith(Journal.FILE + ".damaged-")).toList();
        }
    }
}
