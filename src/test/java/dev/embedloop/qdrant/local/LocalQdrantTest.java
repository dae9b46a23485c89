package dev.embedloop.qdrant.local;

import static dev.embedloop.qdrant.local.QdrantContractTest.await;
import static dev.embedloop.qdrant.local.QdrantContractTest.grpcError;
import static io.qdrant.client.ConditionFactory.match;
import static io.qdrant.client.PointIdFactory.id;
import static io.qdrant.client.QueryFactory.nearest;
import static io.qdrant.client.ValueFactory.value;
import static io.qdrant.client.VectorsFactory.vectors;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.qdrant.client.QdrantClient;
import io.qdrant.client.QdrantGrpcClient;
import io.qdrant.client.grpc.Collections.CreateCollection;
import io.qdrant.client.grpc.Collections.Distance;
import io.qdrant.client.grpc.Collections.MultiVectorConfig;
import io.qdrant.client.grpc.Collections.VectorParams;
import io.qdrant.client.grpc.Collections.VectorsConfig;
import io.qdrant.client.grpc.Common.Filter;
import io.qdrant.client.grpc.Common.PointId;
import io.qdrant.client.grpc.Points.PointStruct;
import io.qdrant.client.grpc.Points.QueryPoints;
import io.qdrant.client.grpc.Points.Formula;
import io.qdrant.client.grpc.Points.Query;
import io.qdrant.client.grpc.Points.ScoredPoint;
import io.qdrant.client.grpc.Points.SearchPoints;
import io.qdrant.client.grpc.Points.UpsertPoints;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What only a LocalQdrant can be asked: its own limits, concurrency and scale, beyond the shared contract. */
class LocalQdrantTest {

    private static final Logger LOG = LoggerFactory.getLogger(LocalQdrantTest.class);

    private static LocalQdrant server;
    private static QdrantClient client;

    @BeforeAll
    static void start() {
        server = LocalQdrant.builder().port(0).build().start();
        client = new QdrantClient(QdrantGrpcClient.newBuilder(server.host(), server.port(), false).build());
    }

    @AfterAll
    static void stop() {
        client.close();
        server.close();
        server.close(); // idempotent
    }

    @Test
    void whatIsNotImplementedSaysSo() {
        await(client.createCollectionAsync("plain", params(2, Distance.Dot)));

        StatusRuntimeException formula = grpcError(client.queryAsync(QueryPoints.newBuilder()
                .setCollectionName("plain").setQuery(Query.newBuilder().setFormula(Formula.getDefaultInstance()))
                .build()));
        assertThat(formula.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
        assertThat(formula.getStatus().getDescription()).isEqualTo("LocalQdrant does not support formula queries");

        StatusRuntimeException multi = grpcError(client.createCollectionAsync(CreateCollection.newBuilder()
                .setCollectionName("multi").setVectorsConfig(VectorsConfig.newBuilder().setParams(
                        VectorParams.newBuilder().setSize(2).setDistance(Distance.Dot)
                                .setMultivectorConfig(MultiVectorConfig.getDefaultInstance()))).build()));
        assertThat(multi.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
        assertThat(multi.getStatus().getDescription()).isEqualTo("LocalQdrant does not support multivectors");

        assertThat(await(client.collectionExistsAsync("multi"))).isFalse();
    }

    @Test
    void updatingASparseModifierChangesScoring() {
        await(client.createCollectionAsync(CreateCollection.newBuilder().setCollectionName("sparse_update")
                .setSparseVectorsConfig(io.qdrant.client.grpc.Collections.SparseVectorConfig.newBuilder()
                        .putMap("s", io.qdrant.client.grpc.Collections.SparseVectorParams.getDefaultInstance()))
                .build()));
        List<PointStruct> points = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            points.add(PointStruct.newBuilder().setId(id(i)).setVectors(io.qdrant.client.VectorsFactory.namedVectors(
                    java.util.Map.of("s", io.qdrant.client.VectorFactory.vector(List.of(1f), List.of(i == 3 ? 7 : 1)))))
                    .build());
        }
        await(client.upsertAsync("sparse_update", points));
        QueryPoints query = QueryPoints.newBuilder().setCollectionName("sparse_update").setUsing("s")
                .setQuery(Query.newBuilder().setNearest(io.qdrant.client.grpc.Points.VectorInput.newBuilder()
                        .setSparse(io.qdrant.client.grpc.Points.SparseVector.newBuilder().addIndices(1).addValues(1f))))
                .build();
        assertThat(await(client.queryAsync(query)).get(0).getScore()).isEqualTo(1f);

        await(client.updateCollectionAsync(io.qdrant.client.grpc.Collections.UpdateCollection.newBuilder()
                .setCollectionName("sparse_update").setSparseVectorsConfig(
                        io.qdrant.client.grpc.Collections.SparseVectorConfig.newBuilder().putMap("s",
                                io.qdrant.client.grpc.Collections.SparseVectorParams.newBuilder()
                                        .setModifier(io.qdrant.client.grpc.Collections.Modifier.Idf).build()))
                .build()));

        // n = 3, df(1) = 2: ln((3 - 2 + 0.5) / (2 + 0.5) + 1) = ln 1.6
        assertThat(await(client.queryAsync(query)).get(0).getScore()).isCloseTo((float) Math.log(1.6), within(1e-5f));
        assertThat(await(client.getCollectionInfoAsync("sparse_update")).getConfig().getParams()
                .getSparseVectorsConfig().getMapMap().get("s").getModifier())
                .isEqualTo(io.qdrant.client.grpc.Collections.Modifier.Idf);
    }

    @Test
    void everyUuidSpellingQdrantParsesIsAccepted() {
        await(client.createCollectionAsync("spellings", params(2, Distance.Dot)));
        UUID uuid = UUID.randomUUID();
        String plain = uuid.toString();
        for (String spelling : List.of(plain, plain.toUpperCase(), plain.replace("-", ""), "{" + plain + "}",
                "urn:uuid:" + plain)) {
            await(client.upsertAsync("spellings", List.of(PointStruct.newBuilder()
                    .setId(PointId.newBuilder().setUuid(spelling)).setVectors(vectors(1, 2)).build())));
        }
        assertThat(await(client.countAsync("spellings"))).isEqualTo(1);
        for (String bad : List.of("", plain.substring(1), plain.replace('-', '_'), "g" + plain.substring(1))) {
            StatusRuntimeException e = grpcError(client.upsertAsync("spellings", List.of(PointStruct.newBuilder()
                    .setId(PointId.newBuilder().setUuid(bad)).setVectors(vectors(1, 2)).build())));
            assertThat(e.getStatus().getDescription()).isEqualTo("Unable to parse UUID: " + bad);
        }
    }

    @Test
    void nearestToAStoredPointLeavesThePointItselfOut() {
        await(client.createCollectionAsync("by_id", params(2, Distance.Euclid)));
        await(client.upsertAsync("by_id", List.of(point(1, 0, 0), point(2, 0, 1), point(3, 0, 5))));

        List<ScoredPoint> hits = await(client.queryAsync(QueryPoints.newBuilder().setCollectionName("by_id")
                .setQuery(nearest(1L)).setLimit(5).build()));

        assertThat(hits).extracting(p -> p.getId().getNum()).containsExactly(2L, 3L);
        assertThat(hits.get(0).getScore()).isCloseTo(1f, within(1e-6f));
        StatusRuntimeException missing = grpcError(client.queryAsync(QueryPoints.newBuilder()
                .setCollectionName("by_id").setQuery(nearest(9L)).build()));
        assertThat(missing.getStatus().getDescription()).isEqualTo("Not found: No point with id 9 found");
    }

    @Test
    void concurrentWritersAndReadersSeeConsistentState() throws Exception {
        await(client.createCollectionAsync("busy", params(8, Distance.Cosine)));
        int writers = 6;
        int batches = 20;
        int perBatch = 25;
        ExecutorService pool = Executors.newFixedThreadPool(writers + 2);
        try {
            List<Future<?>> work = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                work.add(pool.submit(() -> {
                    Random random = new Random(writer);
                    for (int b = 0; b < batches; b++) {
                        List<PointStruct> points = new ArrayList<>();
                        for (int i = 0; i < perBatch; i++) {
                            long id = ((long) writer * batches + b) * perBatch + i;
                            points.add(PointStruct.newBuilder().setId(id(id)).setVectors(vectors(randomVector(random, 8)))
                                    .putPayload("writer", value(writer)).build());
                        }
                        await(client.upsertAsync("busy", points));
                    }
                    return null;
                }));
            }
            for (int r = 0; r < 2; r++) {
                work.add(pool.submit(() -> {
                    Random random = new Random();
                    for (int i = 0; i < 100; i++) {
                        List<ScoredPoint> hits = await(client.searchAsync(SearchPoints.newBuilder()
                                .setCollectionName("busy").addAllVector(floats(randomVector(random, 8)))
                                .setFilter(Filter.newBuilder().addMust(match("writer", 1))).setLimit(5).build()));
                        assertThat(hits).hasSizeLessThanOrEqualTo(5);
                    }
                    return null;
                }));
            }
            for (Future<?> f : work) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(await(client.countAsync("busy"))).isEqualTo((long) writers * batches * perBatch);
        assertThat(await(client.countAsync("busy", Filter.newBuilder().addMust(match("writer", 3)).build(), true)))
                .isEqualTo((long) batches * perBatch);
    }

    /**
     * The engine at the size the brief names, 50k x 384, loaded straight into a collection: through gRPC the
     * load alone would take most of the suite's time, and only the scan is under test here.
     */
    @Test
    void bruteForceSearchOverFiftyThousandVectorsIsExactAndQuick() {
        int dims = 384;
        int count = 50_000;
        int probeId = 31_337;
        LocalCollection collection = LocalCollection.create(CreateCollection.newBuilder().setCollectionName("large")
                .setVectorsConfig(VectorsConfig.newBuilder().setParams(params(dims, Distance.Cosine))).build());
        Random random = new Random(42);
        float[] probe = null;
        for (int start = 0; start < count; start += 5_000) {
            UpsertPoints.Builder batch = UpsertPoints.newBuilder().setCollectionName("large").setWait(true);
            for (int i = start; i < start + 5_000; i++) {
                float[] v = new float[dims];
                for (int d = 0; d < dims; d++) {
                    v[d] = random.nextFloat() - 0.5f; // uniform is plenty here, and much cheaper than Gaussian
                }
                if (i == probeId) {
                    probe = v;
                }
                batch.addPoints(PointStruct.newBuilder().setId(id(i)).setVectors(vectors(v))
                        .putPayload("bucket", value(i % 10)));
            }
            collection.upsert(batch.build());
        }
        SearchPoints search = SearchPoints.newBuilder().setCollectionName("large").addAllVector(floats(probe))
                .setLimit(10).build();
        collection.search(search); // warm-up

        long started = System.nanoTime();
        List<ScoredPoint> hits = collection.search(search);
        long millis = (System.nanoTime() - started) / 1_000_000;
        List<ScoredPoint> filtered = collection.search(search.toBuilder()
                .setFilter(Filter.newBuilder().addMust(match("bucket", 3))).build());
        LOG.info("exact search over {} x {} vectors took {} ms", count, dims, millis);

        assertThat(collection.pointCount()).isEqualTo(count);
        assertThat(hits).hasSize(10);
        assertThat(hits.get(0).getId().getNum()).isEqualTo(probeId);
        assertThat(hits.get(0).getScore()).isCloseTo(1f, within(1e-5f));
        assertThat(hits.get(1).getScore()).isLessThan(0.5f); // random directions in 384 dimensions are far apart
        assertThat(filtered).hasSize(10).allSatisfy(p -> assertThat(p.getId().getNum() % 10).isEqualTo(3));
        assertThat(millis).as("an exact scan of %d x %d should take well under a second", count, dims)
                .isLessThan(1_000);
    }

    @Test
    void builderRejectsNonsense() {
        assertThatThrownBy(() -> LocalQdrant.builder().port(70_000)).isInstanceOf(IllegalArgumentException.class);
        LocalQdrant notStarted = LocalQdrant.builder().port(0).build();
        assertThatThrownBy(notStarted::port).isInstanceOf(IllegalStateException.class);
        notStarted.close();
    }

    // ------------------------------------------------------------------------------------- helpers

    private static VectorParams params(int size, Distance distance) {
        return VectorParams.newBuilder().setSize(size).setDistance(distance).build();
    }

    private static PointStruct point(long id, float... vector) {
        return PointStruct.newBuilder().setId(id(id)).setVectors(vectors(vector)).build();
    }

    private static float[] randomVector(Random random, int dims) {
        float[] v = new float[dims];
        for (int i = 0; i < dims; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }

    private static List<Float> floats(float[] v) {
        List<Float> out = new ArrayList<>(v.length);
        for (float x : v) {
            out.add(x);
        }
        return out;
    }
}
