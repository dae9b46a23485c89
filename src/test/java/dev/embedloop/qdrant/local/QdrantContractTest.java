package dev.embedloop.qdrant.local;

import static io.qdrant.client.ConditionFactory.hasId;
import static io.qdrant.client.ConditionFactory.isEmpty;
import static io.qdrant.client.ConditionFactory.match;
import static io.qdrant.client.ConditionFactory.matchExceptKeywords;
import static io.qdrant.client.ConditionFactory.matchKeyword;
import static io.qdrant.client.ConditionFactory.matchKeywords;
import static io.qdrant.client.ConditionFactory.nested;
import static io.qdrant.client.ConditionFactory.range;
import static io.qdrant.client.PointIdFactory.id;
import static io.qdrant.client.QueryFactory.nearest;
import static io.qdrant.client.ValueFactory.list;
import static io.qdrant.client.ValueFactory.nullValue;
import static io.qdrant.client.ValueFactory.value;
import static io.qdrant.client.VectorFactory.vector;
import static io.qdrant.client.VectorsFactory.namedVectors;
import static io.qdrant.client.VectorsFactory.vectors;
import static io.qdrant.client.WithPayloadSelectorFactory.enable;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.within;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.qdrant.client.QdrantClient;
import io.qdrant.client.QdrantException;
import io.qdrant.client.QdrantGrpcClient;
import io.qdrant.client.VectorOutputHelper;
import io.qdrant.client.WithVectorsSelectorFactory;
import io.qdrant.client.grpc.Collections.AliasDescription;
import io.qdrant.client.grpc.Collections.AliasOperations;
import io.qdrant.client.grpc.Collections.CollectionInfo;
import io.qdrant.client.grpc.Collections.CollectionStatus;
import io.qdrant.client.grpc.Collections.CreateAlias;
import io.qdrant.client.grpc.Collections.DeleteAlias;
import io.qdrant.client.grpc.Collections.Distance;
import io.qdrant.client.grpc.Collections.PayloadSchemaType;
import io.qdrant.client.grpc.Collections.RenameAlias;
import io.qdrant.client.grpc.Collections.VectorParams;
import io.qdrant.client.grpc.Common.Filter;
import io.qdrant.client.grpc.Common.PointId;
import io.qdrant.client.grpc.Common.Range;
import io.qdrant.client.grpc.JsonWithInt.Value;
import io.qdrant.client.grpc.Points.PointStruct;
import io.qdrant.client.grpc.Points.QueryPoints;
import io.qdrant.client.grpc.Points.RetrievedPoint;
import io.qdrant.client.grpc.Points.ScoredPoint;
import io.qdrant.client.grpc.Points.ScrollPoints;
import io.qdrant.client.grpc.Points.ScrollResponse;
import io.qdrant.client.grpc.Points.SearchPoints;
import io.qdrant.client.grpc.Points.UpdateResult;
import io.qdrant.client.grpc.Points.UpdateStatus;
import io.qdrant.client.grpc.Points.UpsertPoints;
import io.qdrant.client.grpc.Points.VectorOutput;
import io.qdrant.client.grpc.QdrantOuterClass.HealthCheckReply;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The behaviour Embedloop relies on from Qdrant, checked only through the official {@link QdrantClient}.
 *
 * <p>Every test runs against a {@link LocalQdrant}, and also against a real Qdrant when {@code QDRANT_URL} is set
 * (its gRPC endpoint, e.g. {@code http://localhost:6334}, {@code https://...} for TLS; {@code QDRANT_API_KEY}
 * optional). Against a real server every collection and alias gets a unique prefix and is removed afterwards.
 * The local and the real run assert the same things, exact error codes and texts included, which is what keeps
 * LocalQdrant honest.
 */
class QdrantContractTest {

    private static final float EPS = 1e-5f;
    private static final long TIMEOUT_SECONDS = 30;

    /** One Qdrant the contract runs against. */
    static final class Target {
        final String label;
        final QdrantClient client;
        private final String prefix;
        private final AutoCloseable server;
        private final Set<String> collections = ConcurrentHashMap.newKeySet();

        Target(String label, QdrantClient client, AutoCloseable server) {
            this.label = label;
            this.client = client;
            this.server = server;
            this.prefix = "contract_" + Long.toHexString(ThreadLocalRandom.current().nextLong()) + "_";
        }

        /** A name unique to this run, remembered so that {@link #close()} can remove the collection. */
        String name(String base) {
            String name = prefix + base;
            collections.add(name);
            return name;
        }

        /** Removes what the run created and disconnects (not {@code AutoCloseable}: JUnit would close it per test). */
        void shutdown() throws Exception {
            try {
                for (AliasDescription a : await(client.listAliasesAsync())) {
                    if (a.getAliasName().startsWith(prefix)) {
                        await(client.deleteAliasAsync(a.getAliasName()));
                    }
                }
                for (String c : collections) {
                    if (await(client.collectionExistsAsync(c))) {
                        await(client.deleteCollectionAsync(c));
                    }
                }
            } finally {
                client.close();
                if (server != null) {
                    server.close();
                }
            }
        }

        @Override
        public String toString() {
            return label;
        }
    }

    private static List<Target> targets;

    /** The targets, created on first use and closed after all tests. */
    static synchronized Stream<Target> targets() {
        if (targets == null) {
            targets = new ArrayList<>();
            LocalQdrant local = LocalQdrant.builder().port(0).build().start();
            targets.add(new Target("LocalQdrant", new QdrantClient(
                    QdrantGrpcClient.newBuilder(local.host(), local.port(), false).build()), local));
            String url = System.getenv("QDRANT_URL");
            if (url != null && !url.isBlank()) {
                URI uri = URI.create(url.contains("://") ? url.trim() : "http://" + url.trim());
                boolean tls = "https".equalsIgnoreCase(uri.getScheme());
                QdrantGrpcClient.Builder builder = QdrantGrpcClient.newBuilder(uri.getHost(),
                        uri.getPort() > 0 ? uri.getPort() : 6334, tls);
                String apiKey = System.getenv("QDRANT_API_KEY");
                if (apiKey != null && !apiKey.isBlank()) {
                    builder.withApiKey(apiKey.trim());
                }
                targets.add(new Target("Qdrant at " + url, new QdrantClient(builder.build()), null));
            }
        }
        return targets.stream();
    }

    @AfterAll
    static synchronized void closeTargets() throws Exception {
        if (targets != null) {
            for (Target t : targets) {
                t.shutdown();
            }
            targets = null;
        }
    }

    /** A test of the contract, run once per target. */
    @Retention(RetentionPolicy.RUNTIME)
    @java.lang.annotation.Target(ElementType.METHOD)
    @ParameterizedTest(name = "[{0}]")
    @MethodSource("dev.embedloop.qdrant.local.QdrantContractTest#targets")
    @interface Contract {
    }

    // ---------------------------------------------------------------------------------------- health

    @Contract
    void healthCheckIdentifiesQdrant(Target t) {
        HealthCheckReply reply = await(t.client.healthCheckAsync());
        assertThat(reply.getTitle()).isEqualTo("qdrant - vector search engine");
        assertThat(reply.getVersion()).matches("\\d+\\.\\d+\\.\\d+.*");
    }

    // ----------------------------------------------------------------------------------- collections

    @Contract
    void collectionLifecycle(Target t) {
        String name = t.name("lifecycle");
        assertThat(await(t.client.collectionExistsAsync(name))).isFalse();

        await(t.client.createCollectionAsync(name, params(4, Distance.Cosine)));

        assertThat(await(t.client.collectionExistsAsync(name))).isTrue();
        assertThat(await(t.client.listCollectionsAsync())).contains(name);
        CollectionInfo info = await(t.client.getCollectionInfoAsync(name));
        assertThat(info.getStatus()).isEqualTo(CollectionStatus.Green);
        assertThat(info.getPointsCount()).isZero();
        VectorParams echoed = info.getConfig().getParams().getVectorsConfig().getParams();
        assertThat(echoed.getSize()).isEqualTo(4);
        assertThat(echoed.getDistance()).isEqualTo(Distance.Cosine);

        assertThat(await(t.client.deleteCollectionAsync(name)).getResult()).isTrue();
        assertThat(await(t.client.collectionExistsAsync(name))).isFalse();
        assertThat(await(t.client.listCollectionsAsync())).doesNotContain(name);
        // Qdrant answers a delete of what is not there with OK and result=false, which the client turns into
        // its own QdrantException (no gRPC error involved)
        Throwable again = catchThrowable(() -> t.client.deleteCollectionAsync(name).get(TIMEOUT_SECONDS,
                TimeUnit.SECONDS));
        assertThat(again).isInstanceOf(ExecutionException.class).cause().isInstanceOf(QdrantException.class)
                .hasMessageContaining("could not be deleted");
    }

    @Contract
    void creatingAnExistingCollectionFails(Target t) {
        String name = t.name("twice");
        await(t.client.createCollectionAsync(name, params(4, Distance.Dot)));

        StatusRuntimeException e = grpcError(t.client.createCollectionAsync(name, params(8, Distance.Cosine)));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
        assertThat(e.getStatus().getDescription()).isEqualTo("Wrong input: Collection `" + name + "` already exists!");
        // the first definition stands
        assertThat(await(t.client.getCollectionInfoAsync(name)).getConfig().getParams().getVectorsConfig()
                .getParams().getSize()).isEqualTo(4);
    }

    @Contract
    void missingCollectionIsNotFound(Target t) {
        String name = t.name("missing");
        String expected = "Not found: Collection `" + name + "` doesn't exist!";

        for (ListenableFuture<?> call : List.of(
                t.client.getCollectionInfoAsync(name),
                t.client.upsertAsync(name, List.of(point(1, new float[] {1, 0}, Map.of()))),
                t.client.countAsync(name),
                t.client.searchAsync(SearchPoints.newBuilder().setCollectionName(name).addAllVector(List.of(1f, 0f))
                        .setLimit(3).build()),
                t.client.scrollAsync(ScrollPoints.newBuilder().setCollectionName(name).build()),
                t.client.deleteAsync(name, List.of(id(1))))) {
            StatusRuntimeException e = grpcError(call);
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
            assertThat(e.getStatus().getDescription()).isEqualTo(expected);
        }
    }

    @Contract
    void payloadIndexesShowInCollectionInfo(Target t) {
        String name = t.name("indexes");
        await(t.client.createCollectionAsync(name, params(2, Distance.Cosine)));
        await(t.client.upsertAsync(name, List.of(
                point(1, new float[] {1, 0}, Map.of("doc_id", value("a"), "chunk", value(0))),
                point(2, new float[] {0, 1}, Map.of("doc_id", value("b"))))));

        UpdateResult keyword = await(t.client.createPayloadIndexAsync(name, "doc_id", PayloadSchemaType.Keyword,
                null, true, null, null));
        await(t.client.createPayloadIndexAsync(name, "chunk", PayloadSchemaType.Integer, null, true, null, null));

        assertThat(keyword.getStatus()).isEqualTo(UpdateStatus.Completed);
        CollectionInfo info = await(t.client.getCollectionInfoAsync(name));
        assertThat(info.getPayloadSchemaMap()).containsOnlyKeys("doc_id", "chunk");
        assertThat(info.getPayloadSchemaMap().get("doc_id").getDataType()).isEqualTo(PayloadSchemaType.Keyword);
        assertThat(info.getPayloadSchemaMap().get("chunk").getDataType()).isEqualTo(PayloadSchemaType.Integer);

        await(t.client.deletePayloadIndexAsync(name, "chunk", true, null, null));
        assertThat(await(t.client.getCollectionInfoAsync(name)).getPayloadSchemaMap()).containsOnlyKeys("doc_id");
    }

    // --------------------------------------------------------------------------------------- aliases

    @Contract
    void aliasesResolveAndMoveAtomically(Target t) {
        String blue = t.name("blue");
        String green = t.name("green");
        String alias = t.name("live");
        String renamed = t.name("live2");
        await(t.client.createCollectionAsync(blue, params(2, Distance.Dot)));
        await(t.client.createCollectionAsync(green, params(2, Distance.Dot)));

        await(t.client.createAliasAsync(alias, blue));

        assertThat(aliasesOf(t)).containsEntry(alias, blue);
        assertThat(await(t.client.listCollectionAliasesAsync(blue))).containsExactly(alias);
        assertThat(await(t.client.collectionExistsAsync(alias))).isTrue();
        // points operations and collection info accept the alias wherever a collection name goes
        await(t.client.upsertAsync(alias, List.of(point(7, new float[] {1, 2}, Map.of("via", value("alias"))))));
        assertThat(await(t.client.getCollectionInfoAsync(alias)).getPointsCount()).isEqualTo(1);
        assertThat(await(t.client.countAsync(blue))).isEqualTo(1);
        List<ScoredPoint> found = await(t.client.searchAsync(SearchPoints.newBuilder().setCollectionName(alias)
                .addAllVector(List.of(1f, 1f)).setLimit(5).setWithPayload(enable(true)).build()));
        assertThat(found).extracting(p -> p.getId().getNum()).containsExactly(7L);
        assertThat(found.get(0).getPayloadMap()).containsEntry("via", value("alias"));

        await(t.client.renameAliasAsync(alias, renamed));
        assertThat(aliasesOf(t)).containsEntry(renamed, blue).doesNotContainKey(alias);
        StatusRuntimeException gone = grpcError(t.client.countAsync(alias));
        assertThat(gone.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(gone.getStatus().getDescription()).isEqualTo("Not found: Collection `" + alias + "` doesn't exist!");

        // the blue/green switch: both actions in one call
        await(t.client.updateAliasesAsync(List.of(
                AliasOperations.newBuilder().setDeleteAlias(DeleteAlias.newBuilder().setAliasName(renamed)).build(),
                AliasOperations.newBuilder().setCreateAlias(CreateAlias.newBuilder()
                        .setAliasName(renamed).setCollectionName(green)).build())));
        assertThat(aliasesOf(t)).containsEntry(renamed, green);
        assertThat(await(t.client.countAsync(renamed))).isZero();

        await(t.client.deleteAliasAsync(renamed));
        assertThat(aliasesOf(t)).doesNotContainKey(renamed);
    }

    @Contract
    void aliasErrorsMatchQdrant(Target t) {
        String real = t.name("aliased");
        String missing = t.name("nothing");
        String alias = t.name("a1");
        await(t.client.createCollectionAsync(real, params(2, Distance.Cosine)));

        StatusRuntimeException toMissing = grpcError(t.client.createAliasAsync(alias, missing));
        assertThat(toMissing.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(toMissing.getStatus().getDescription())
                .isEqualTo("Not found: Collection `" + missing + "` doesn't exist!");

        StatusRuntimeException shadowing = grpcError(t.client.createAliasAsync(real, real));
        assertThat(shadowing.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
        assertThat(shadowing.getStatus().getDescription())
                .isEqualTo("Wrong input: Collection `" + real + "` already exists!");

        StatusRuntimeException renameMissing = grpcError(t.client.renameAliasAsync(alias, t.name("a2")));
        assertThat(renameMissing.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(renameMissing.getStatus().getDescription()).isEqualTo("Not found: Alias " + alias + " does not exists!");

        await(t.client.createAliasAsync(alias, real));
        StatusRuntimeException collectionNamedLikeAlias = grpcError(
                t.client.createCollectionAsync(alias, params(2, Distance.Cosine)));
        assertThat(collectionNamedLikeAlias.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(collectionNamedLikeAlias.getStatus().getDescription()).isEqualTo("Wrong input: Can't create"
                + " collection with name " + alias + ". Alias with the same name already exists");

        // deleting a collection takes its aliases with it
        await(t.client.deleteCollectionAsync(real));
        assertThat(aliasesOf(t)).doesNotContainKey(alias);
    }

    @Contract
    void aliasActionsApplyInOrderAndAFailureKeepsEarlierOnes(Target t) {
        String real = t.name("ordered");
        String first = t.name("first");
        String second = t.name("second");
        await(t.client.createCollectionAsync(real, params(2, Distance.Cosine)));

        StatusRuntimeException e = grpcError(t.client.updateAliasesAsync(List.of(
                AliasOperations.newBuilder().setCreateAlias(CreateAlias.newBuilder()
                        .setAliasName(first).setCollectionName(real)).build(),
                AliasOperations.newBuilder().setRenameAlias(RenameAlias.newBuilder()
                        .setOldAliasName(second).setNewAliasName(t.name("third"))).build())));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        // Qdrant's update_aliases applies actions one by one and does not roll back
        assertThat(aliasesOf(t)).containsEntry(first, real);
    }

    // ---------------------------------------------------------------------------------------- points

    @Contract
    void upsertAndGetRoundTripPayloadsAndIds(Target t) {
        String name = t.name("roundtrip");
        await(t.client.createCollectionAsync(name, params(3, Distance.Dot)));
        UUID chunkId = UUID.nameUUIDFromBytes("doc-1#0".getBytes(StandardCharsets.UTF_8));
        Map<String, Value> payload = new LinkedHashMap<>();
        payload.put("doc_id", value("doc-1"));
        payload.put("chunk", value(0));
        payload.put("weight", value(0.25));
        payload.put("draft", value(false));
        payload.put("tags", list(List.of(value("a"), value("b"))));
        payload.put("metadata", value(Map.of("lang", value("en"), "pages", value(12),
                "authors", list(List.of(value("x"), value("y"))))));
        payload.put("nothing", nullValue());

        await(t.client.upsertAsync(name, List.of(
                PointStruct.newBuilder().setId(id(chunkId)).setVectors(vectors(1, 2, 3)).putAllPayload(payload).build(),
                point(42, new float[] {4, 5, 6}, Map.of("doc_id", value("doc-2"))))));

        List<RetrievedPoint> got = await(t.client.retrieveAsync(name, List.of(id(chunkId), id(42), id(43)),
                true, true, null));
        assertThat(got).hasSize(2);
        RetrievedPoint first = got.stream().filter(p -> p.getId().hasUuid()).findFirst().orElseThrow();
        assertThat(first.getId().getUuid()).isEqualTo(chunkId.toString());
        assertThat(first.getPayloadMap()).isEqualTo(payload);
        assertThat(dense(first.getVectors().getVector())).containsExactly(1f, 2f, 3f);
        RetrievedPoint second = got.stream().filter(p -> p.getId().hasNum()).findFirst().orElseThrow();
        assertThat(second.getId().getNum()).isEqualTo(42);

        // the same deterministic id again replaces the point instead of adding one
        await(t.client.upsertAsync(name, List.of(PointStruct.newBuilder().setId(id(chunkId))
                .setVectors(vectors(0, 0, 1)).putPayload("doc_id", value("doc-1")).build())));
        assertThat(await(t.client.countAsync(name))).isEqualTo(2);
        RetrievedPoint replaced = await(t.client.retrieveAsync(name, List.of(id(chunkId)), true, false, null)).get(0);
        assertThat(replaced.getPayloadMap()).containsOnlyKeys("doc_id");
        assertThat(replaced.hasVectors()).isFalse();
    }

    @Contract
    void uuidSpellingsNameTheSamePoint(Target t) {
        String name = t.name("uuids");
        await(t.client.createCollectionAsync(name, params(2, Distance.Dot)));
        UUID uuid = UUID.fromString("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
        String upper = uuid.toString().toUpperCase(Locale.ROOT);
        String simple = uuid.toString().replace("-", "");

        await(t.client.upsertAsync(name, List.of(PointStruct.newBuilder()
                .setId(PointId.newBuilder().setUuid(upper)).setVectors(vectors(1, 1)).build())));
        await(t.client.upsertAsync(name, List.of(PointStruct.newBuilder()
                .setId(PointId.newBuilder().setUuid(simple)).setVectors(vectors(2, 2))
                .putPayload("spelling", value("simple")).build())));

        assertThat(await(t.client.countAsync(name))).isEqualTo(1);
        RetrievedPoint p = await(t.client.retrieveAsync(name, List.of(id(uuid)), true, false, null)).get(0);
        assertThat(p.getId().getUuid()).isEqualTo(uuid.toString());
        assertThat(p.getPayloadMap()).containsEntry("spelling", value("simple"));
    }

    @Contract
    void malformedIdIsRejected(Target t) {
        String name = t.name("badid");
        await(t.client.createCollectionAsync(name, params(2, Distance.Dot)));

        StatusRuntimeException e = grpcError(t.client.upsertAsync(name, List.of(PointStruct.newBuilder()
                .setId(PointId.newBuilder().setUuid("doc-1#0")).setVectors(vectors(1, 1)).build())));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).isEqualTo("Unable to parse UUID: doc-1#0");
        assertThat(await(t.client.countAsync(name))).isZero();
    }

    @Contract
    void wrongDimensionIsRejected(Target t) {
        String name = t.name("dims");
        await(t.client.createCollectionAsync(name, params(4, Distance.Cosine)));

        StatusRuntimeException upsert = grpcError(t.client.upsertAsync(name, List.of(
                point(1, new float[] {1, 2, 3, 4}, Map.of()), point(2, new float[] {1, 2, 3}, Map.of()))));
        StatusRuntimeException search = grpcError(t.client.searchAsync(SearchPoints.newBuilder()
                .setCollectionName(name).addAllVector(List.of(1f, 2f, 3f)).setLimit(1).build()));

        for (StatusRuntimeException e : List.of(upsert, search)) {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription())
                    .isEqualTo("Wrong input: Vector dimension error: expected dim: 4, got 3");
        }
        assertThat(await(t.client.countAsync(name))).isZero(); // the valid point of the batch was not written
    }

    @Contract
    void writesReportStatusAndIncreasingOperationIds(Target t) {
        String name = t.name("opids");
        await(t.client.createCollectionAsync(name, params(2, Distance.Dot)));

        UpdateResult first = await(t.client.upsertAsync(name, List.of(point(1, new float[] {1, 0}, Map.of()))));
        UpdateResult second = await(t.client.upsertAsync(name, List.of(point(2, new float[] {0, 1}, Map.of()))));
        UpdateResult unawaited = await(t.client.upsertAsync(UpsertPoints.newBuilder().setCollectionName(name)
                .setWait(false).addPoints(point(3, new float[] {1, 1}, Map.of())).build()));

        assertThat(first.getStatus()).isEqualTo(UpdateStatus.Completed);
        assertThat(second.getStatus()).isEqualTo(UpdateStatus.Completed);
        assertThat(second.getOperationId()).isGreaterThan(first.getOperationId());
        assertThat(unawaited.getStatus()).isEqualTo(UpdateStatus.Acknowledged);
    }

    @Contract
    void cosineStoresNormalisedVectorsAndScoresByCosine(Target t) {
        String name = t.name("cosine");
        await(t.client.createCollectionAsync(name, params(4, Distance.Cosine)));
        await(t.client.upsertAsync(name, List.of(
                point(1, new float[] {3, 4, 0, 0}, Map.of()),
                point(2, new float[] {0, 0, 5, 0}, Map.of()),
                point(3, new float[] {1, 1, 1, 1}, Map.of()))));

        float[] stored = dense(await(t.client.retrieveAsync(name, List.of(id(1)), false, true, null))
                .get(0).getVectors().getVector());
        assertThat(stored[0]).isCloseTo(0.6f, within(EPS));
        assertThat(stored[1]).isCloseTo(0.8f, within(EPS));

        List<ScoredPoint> hits = await(t.client.searchAsync(SearchPoints.newBuilder().setCollectionName(name)
                .addAllVector(List.of(2f, 0f, 0f, 0f)).setLimit(3).build()));
        assertThat(hits).extracting(p -> p.getId().getNum()).containsExactly(1L, 3L, 2L);
        assertThat(hits.get(0).getScore()).isCloseTo(0.6f, within(EPS));
        assertThat(hits.get(1).getScore()).isCloseTo(0.5f, within(EPS));
        assertThat(hits.get(2).getScore()).isCloseTo(0f, within(EPS));
    }

    @Contract
    void dotEuclidAndManhattanOrderLikeQdrant(Target t) {
        float[][] points = {{1, 0}, {3, 0}, {0, 2}, {-1, -1}};
        float[] query = {1, 1};
        Map<Distance, List<Long>> expectedOrder = Map.of(
                Distance.Dot, List.of(2L, 3L, 1L, 4L),        // scores 3, 2, 1, -2: largest first
                Distance.Euclid, List.of(1L, 3L, 2L, 4L),     // distances 1, 1.414, 2.236, 2.828: smallest first
                Distance.Manhattan, List.of(1L, 3L, 2L, 4L)); // distances 1, 2, 3, 4
        Map<Distance, float[]> expectedScores = Map.of(
                Distance.Dot, new float[] {3, 2, 1, -2},
                Distance.Euclid, new float[] {1, (float) Math.sqrt(2), (float) Math.sqrt(5), (float) Math.sqrt(8)},
                Distance.Manhattan, new float[] {1, 2, 3, 4});
        for (Distance distance : List.of(Distance.Dot, Distance.Euclid, Distance.Manhattan)) {
            String name = t.name("order_" + distance.name().toLowerCase(Locale.ROOT));
            await(t.client.createCollectionAsync(name, params(2, distance)));
            List<PointStruct> batch = new ArrayList<>();
            for (int i = 0; i < points.length; i++) {
                batch.add(point(i + 1, points[i], Map.of()));
            }
            await(t.client.upsertAsync(name, batch));

            List<ScoredPoint> hits = await(t.client.queryAsync(QueryPoints.newBuilder().setCollectionName(name)
                    .setQuery(nearest(query)).setLimit(10).build()));

            assertThat(hits).as(distance.name()).extracting(p -> p.getId().getNum())
                    .containsExactlyElementsOf(expectedOrder.get(distance));
            for (int i = 0; i < hits.size(); i++) {
                assertThat(hits.get(i).getScore()).as(distance + " score " + i)
                        .isCloseTo(expectedScores.get(distance)[i], within(EPS));
            }
        }
    }

    @Contract
    void scoreThresholdLimitAndOffsetFollowDistanceDirection(Target t) {
        String euclid = t.name("threshold_euclid");
        await(t.client.createCollectionAsync(euclid, params(1, Distance.Euclid)));
        List<PointStruct> batch = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            batch.add(point(i, new float[] {i}, Map.of()));
        }
        await(t.client.upsertAsync(euclid, batch));

        // Euclid: the threshold is a maximum distance
        List<ScoredPoint> near = await(t.client.queryAsync(QueryPoints.newBuilder().setCollectionName(euclid)
                .setQuery(nearest(0f)).setScoreThreshold(3.5f).setLimit(10).build()));
        assertThat(near).extracting(p -> p.getId().getNum()).containsExactly(1L, 2L, 3L);

        List<ScoredPoint> page = await(t.client.queryAsync(QueryPoints.newBuilder().setCollectionName(euclid)
                .setQuery(nearest(0f)).setLimit(2).setOffset(2).build()));
        assertThat(page).extracting(p -> p.getId().getNum()).containsExactly(3L, 4L);

        // Dot: the threshold is a minimum score
        String dot = t.name("threshold_dot");
        await(t.client.createCollectionAsync(dot, params(1, Distance.Dot)));
        await(t.client.upsertAsync(dot, batch));
        List<ScoredPoint> high = await(t.client.searchAsync(SearchPoints.newBuilder().setCollectionName(dot)
                .addVector(1f).setScoreThreshold(4.5f).setLimit(10).build()));
        assertThat(high).extracting(p -> p.getId().getNum()).containsExactly(6L, 5L);
    }

    @Contract
    void queryReturnsPayloadAndVectorsOnRequest(Target t) {
        String name = t.name("query_opts");
        await(t.client.createCollectionAsync(name, params(2, Distance.Dot)));
        await(t.client.upsertAsync(name, List.of(
                point(1, new float[] {1, 0}, Map.of("doc_id", value("a"), "chunk", value(1))),
                point(2, new float[] {0, 1}, Map.of("doc_id", value("b"), "chunk", value(2))))));

        List<ScoredPoint> bare = await(t.client.queryAsync(QueryPoints.newBuilder().setCollectionName(name)
                .setQuery(nearest(1f, 0f)).setLimit(1).build()));
        assertThat(bare.get(0).getPayloadMap()).isEmpty();
        assertThat(bare.get(0).hasVectors()).isFalse();

        List<ScoredPoint> full = await(t.client.queryAsync(QueryPoints.newBuilder().setCollectionName(name)
                .setQuery(nearest(1f, 0f)).setLimit(1)
                .setFilter(Filter.newBuilder().addMust(matchKeyword("doc_id", "b")))
                .setWithPayload(enable(true)).setWithVectors(WithVectorsSelectorFactory.enable(true)).build()));
        assertThat(full).hasSize(1);
        assertThat(full.get(0).getId().getNum()).isEqualTo(2);
        assertThat(full.get(0).getPayloadMap()).containsEntry("chunk", value(2));
        assertThat(dense(full.get(0).getVectors().getVector())).containsExactly(0f, 1f);
    }

    @Contract
    void namedVectorsAreSearchedWithUsing(Target t) {
        String name = t.name("named");
        await(t.client.createCollectionAsync(name, Map.of(
                "text", params(3, Distance.Cosine),
                "image", params(2, Distance.Euclid))));
        await(t.client.upsertAsync(name, List.of(
                PointStruct.newBuilder().setId(id(1)).setVectors(namedVectors(Map.of(
                        "text", vector(1, 0, 0), "image", vector(10, 10)))).build(),
                PointStruct.newBuilder().setId(id(2)).setVectors(namedVectors(Map.of(
                        "text", vector(0, 1, 0), "image", vector(0, 0)))).build(),
                PointStruct.newBuilder().setId(id(3)).setVectors(namedVectors(Map.of(
                        "text", vector(0, 0, 1)))).build())));

        List<ScoredPoint> byImage = await(t.client.queryAsync(QueryPoints.newBuilder().setCollectionName(name)
                .setQuery(nearest(1f, 1f)).setUsing("image").setLimit(10).build()));
        assertThat(byImage).extracting(p -> p.getId().getNum()).containsExactly(2L, 1L); // 3 has no image vector

        List<ScoredPoint> byText = await(t.client.searchAsync(SearchPoints.newBuilder().setCollectionName(name)
                .setVectorName("text").addAllVector(List.of(0f, 1f, 0f)).setLimit(1).build()));
        assertThat(byText.get(0).getId().getNum()).isEqualTo(2);

        RetrievedPoint p = await(t.client.retrieveAsync(name, List.of(id(1)), false, true, null)).get(0);
        assertThat(p.getVectors().getVectors().getVectorsMap()).containsOnlyKeys("text", "image");

        CollectionInfo info = await(t.client.getCollectionInfoAsync(name));
        assertThat(info.getConfig().getParams().getVectorsConfig().getParamsMap().getMapMap())
                .containsOnlyKeys("text", "image");

        StatusRuntimeException noDefault = grpcError(t.client.queryAsync(QueryPoints.newBuilder()
                .setCollectionName(name).setQuery(nearest(1f, 1f)).setLimit(1).build()));
        assertThat(noDefault.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(noDefault.getStatus().getDescription()).isEqualTo("Wrong input: Not existing vector name error: ");
        StatusRuntimeException unknown = grpcError(t.client.upsertAsync(name, List.of(PointStruct.newBuilder()
                .setId(id(9)).setVectors(namedVectors(Map.of("audio", vector(1, 2)))).build())));
        assertThat(unknown.getStatus().getDescription()).isEqualTo("Wrong input: Not existing vector name error: audio");
    }

    @Contract
    void deleteByIdsAndByFilter(Target t) {
        String name = t.name("deletes");
        await(t.client.createCollectionAsync(name, params(2, Distance.Dot)));
        List<PointStruct> batch = new ArrayList<>();
        for (int chunk = 0; chunk < 5; chunk++) {
            batch.add(chunk("doc-a", chunk));
        }
        for (int chunk = 0; chunk < 3; chunk++) {
            batch.add(chunk("doc-b", chunk));
        }
        await(t.client.upsertAsync(name, batch));

        // what Embedloop does when a document shrank: drop its chunks from the new length on
        await(t.client.deleteAsync(name, Filter.newBuilder()
                .addMust(matchKeyword("doc_id", "doc-a"))
                .addMust(range("chunk", Range.newBuilder().setGte(2).build()))
                .build()));

        assertThat(await(t.client.countAsync(name, Filter.newBuilder().addMust(matchKeyword("doc_id", "doc-a"))
                .build(), true))).isEqualTo(2);
        assertThat(await(t.client.countAsync(name, Filter.newBuilder().addMust(matchKeyword("doc_id", "doc-b"))
                .build(), true))).isEqualTo(3);

        await(t.client.deleteAsync(name, List.of(chunkId("doc-b", 0), id(123_456))));
        assertThat(await(t.client.countAsync(name))).isEqualTo(4);
        assertThat(await(t.client.retrieveAsync(name, List.of(chunkId("doc-b", 0)), true, false, null))).isEmpty();
    }

    @Contract
    void scrollPagesInIdOrder(Target t) {
        String name = t.name("scroll");
        await(t.client.createCollectionAsync(name, params(2, Distance.Dot)));
        List<PointStruct> batch = new ArrayList<>();
        for (int i = 25; i >= 1; i--) {
            batch.add(point(i, new float[] {i, 1}, Map.of("even", value(i % 2 == 0))));
        }
        UUID uuid = UUID.fromString("00000000-0000-4000-8000-000000000001");
        batch.add(PointStruct.newBuilder().setId(id(uuid)).setVectors(vectors(1, 1)).build());
        await(t.client.upsertAsync(name, batch));

        ScrollResponse page1 = await(t.client.scrollAsync(ScrollPoints.newBuilder().setCollectionName(name)
                .setLimit(10).build()));
        assertThat(nums(page1.getResultList())).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
        assertThat(page1.getNextPageOffset().getNum()).isEqualTo(11);
        assertThat(page1.getResult(0).getPayloadMap()).containsKey("even"); // scroll returns payload by default

        ScrollResponse page3 = await(t.client.scrollAsync(ScrollPoints.newBuilder().setCollectionName(name)
                .setLimit(10).setOffset(id(21)).build()));
        assertThat(page3.getResultCount()).isEqualTo(6);
        assertThat(page3.getResult(5).getId().getUuid()).isEqualTo(uuid.toString()); // numbers sort before UUIDs
        assertThat(page3.hasNextPageOffset()).isFalse();

        List<Long> evens = new ArrayList<>();
        PointId offset = null;
        do {
            ScrollPoints.Builder request = ScrollPoints.newBuilder().setCollectionName(name).setLimit(4)
                    .setFilter(Filter.newBuilder().addMust(match("even", true)));
            if (offset != null) {
                request.setOffset(offset);
            }
            ScrollResponse page = await(t.client.scrollAsync(request.build()));
            evens.addAll(nums(page.getResultList()));
            offset = page.hasNextPageOffset() ? page.getNextPageOffset() : null;
        } while (offset != null);
        assertThat(evens).containsExactly(2L, 4L, 6L, 8L, 10L, 12L, 14L, 16L, 18L, 20L, 22L, 24L);
    }

    @Contract
    void filtersCombineLikeQdrant(Target t) {
        String name = t.name("filters");
        await(t.client.createCollectionAsync(name, params(2, Distance.Dot)));
        await(t.client.upsertAsync(name, List.of(
                point(1, new float[] {1, 0}, Map.of("kind", value("pdf"), "chunk", value(0), "size", value(1.5),
                        "tags", list(List.of(value("red"), value("blue"))),
                        "metadata", value(Map.of("lang", value("en"))))),
                point(2, new float[] {1, 0}, Map.of("kind", value("pdf"), "chunk", value(3), "size", value(10.0),
                        "tags", list(List.of(value("green"))),
                        "metadata", value(Map.of("lang", value("de"))))),
                point(3, new float[] {1, 0}, Map.of("kind", value("html"), "chunk", value(1), "size", value(3.0),
                        "tags", list(List.of()),
                        "metadata", value(Map.of("lang", value("en"))))),
                point(4, new float[] {1, 0}, Map.of("kind", value("txt"), "chunk", value(7),
                        "sections", list(List.of(value(Map.of("title", value("intro"), "level", value(1))),
                                value(Map.of("title", value("body"), "level", value(2))))))))));

        assertThat(ids(t, name, Filter.newBuilder().addMust(matchKeyword("kind", "pdf")).build()))
                .containsExactly(1L, 2L);
        assertThat(ids(t, name, Filter.newBuilder().addMust(match("chunk", 3)).build())).containsExactly(2L);
        assertThat(ids(t, name, Filter.newBuilder().addMust(range("chunk", Range.newBuilder().setGt(0).setLte(3)
                .build())).build())).containsExactly(2L, 3L);
        assertThat(ids(t, name, Filter.newBuilder().addMust(range("size", Range.newBuilder().setLt(3.0).build()))
                .build())).containsExactly(1L);
        // should: at least one; must_not: none
        assertThat(ids(t, name, Filter.newBuilder().addShould(matchKeyword("kind", "html"))
                .addShould(match("chunk", 7)).build())).containsExactly(3L, 4L);
        assertThat(ids(t, name, Filter.newBuilder().addMust(matchKeyword("kind", "pdf"))
                .addMustNot(range("chunk", Range.newBuilder().setGte(1).build())).build())).containsExactly(1L);
        // a nested filter as a condition
        assertThat(ids(t, name, Filter.newBuilder().addMust(io.qdrant.client.ConditionFactory.filter(
                Filter.newBuilder().addShould(matchKeyword("kind", "txt")).addShould(matchKeyword("kind", "html"))
                        .build())).addMustNot(match("chunk", 7)).build())).containsExactly(3L);
        // dotted paths into objects, and arrays match when any element does
        assertThat(ids(t, name, Filter.newBuilder().addMust(matchKeyword("metadata.lang", "en")).build()))
                .containsExactly(1L, 3L);
        assertThat(ids(t, name, Filter.newBuilder().addMust(matchKeyword("tags", "blue")).build()))
                .containsExactly(1L);
        assertThat(ids(t, name, Filter.newBuilder().addMust(matchKeywords("tags", List.of("green", "blue")))
                .build())).containsExactly(1L, 2L);
        assertThat(ids(t, name, Filter.newBuilder().addMust(matchExceptKeywords("kind", List.of("pdf", "txt")))
                .build())).containsExactly(3L);
        assertThat(ids(t, name, Filter.newBuilder().addMust(isEmpty("tags")).build())).containsExactly(3L, 4L);
        assertThat(ids(t, name, Filter.newBuilder().addMust(hasId(List.of(id(2), id(4), id(99)))).build()))
                .containsExactly(2L, 4L);
        assertThat(ids(t, name, Filter.newBuilder().addMust(matchKeyword("sections[].title", "body")).build()))
                .containsExactly(4L);
        // nested: both conditions must hold for the same array element
        assertThat(ids(t, name, Filter.newBuilder().addMust(nested("sections", Filter.newBuilder()
                .addMust(matchKeyword("title", "intro")).addMust(match("level", 2)).build())).build())).isEmpty();
        assertThat(ids(t, name, Filter.newBuilder().addMust(nested("sections", Filter.newBuilder()
                .addMust(matchKeyword("title", "body")).addMust(match("level", 2)).build())).build()))
                .containsExactly(4L);
        // exact matches are typed: a keyword never matches a number
        assertThat(ids(t, name, Filter.newBuilder().addMust(matchKeyword("chunk", "3")).build())).isEmpty();

        assertThat(await(t.client.countAsync(name, Filter.newBuilder().addMust(matchKeyword("kind", "pdf")).build(),
                true))).isEqualTo(2);
    }

    @Contract
    void payloadUpdates(Target t) {
        String name = t.name("payload_ops");
        await(t.client.createCollectionAsync(name, params(2, Distance.Dot)));
        await(t.client.upsertAsync(name, List.of(
                point(1, new float[] {1, 0}, Map.of("a", value(1), "b", value("x"))),
                point(2, new float[] {0, 1}, Map.of("a", value(2), "b", value("y"))))));

        await(t.client.setPayloadAsync(name, Map.of("c", value(true)), List.of(id(1)), true, null, null));
        await(t.client.deletePayloadAsync(name, List.of("b"), Filter.newBuilder().addMust(match("a", 2)).build(),
                true, null, null));
        await(t.client.overwritePayloadAsync(name, Map.of("only", value("this")), id(2), true, null, null));

        Map<Long, Map<String, Value>> payloads = await(t.client.retrieveAsync(name, List.of(id(1), id(2)), true,
                false, null)).stream().collect(Collectors.toMap(p -> p.getId().getNum(), RetrievedPoint::getPayloadMap));
        assertThat(payloads.get(1L)).isEqualTo(Map.of("a", value(1), "b", value("x"), "c", value(true)));
        assertThat(payloads.get(2L)).isEqualTo(Map.of("only", value("this")));

        StatusRuntimeException missing = grpcError(t.client.setPayloadAsync(name, Map.of("c", value(1)),
                List.of(id(77)), true, null, null));
        assertThat(missing.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(missing.getStatus().getDescription()).isEqualTo("Not found: No point with id 77 found");
    }

    // --------------------------------------------------------------------------------------- helpers

    private static VectorParams params(int size, Distance distance) {
        return VectorParams.newBuilder().setSize(size).setDistance(distance).build();
    }

    private static PointStruct point(long id, float[] vector, Map<String, Value> payload) {
        return PointStruct.newBuilder().setId(id(id)).setVectors(vectors(vector)).putAllPayload(payload).build();
    }

    private static PointId chunkId(String doc, int chunk) {
        return id(UUID.nameUUIDFromBytes((doc + "#" + chunk).getBytes(StandardCharsets.UTF_8)));
    }

    private static PointStruct chunk(String doc, int chunk) {
        return PointStruct.newBuilder().setId(chunkId(doc, chunk)).setVectors(vectors(1, chunk))
                .putPayload("doc_id", value(doc)).putPayload("chunk", value(chunk)).build();
    }

    private static float[] dense(VectorOutput output) {
        List<Float> data = VectorOutputHelper.getDenseVector(output).getDataList();
        float[] out = new float[data.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = data.get(i);
        }
        return out;
    }

    private static List<Long> nums(List<RetrievedPoint> points) {
        return points.stream().filter(p -> p.getId().hasNum()).map(p -> p.getId().getNum()).toList();
    }

    /** The numeric ids matching {@code filter}, via scroll (so in id order). */
    private static List<Long> ids(Target t, String collection, Filter filter) {
        return nums(await(t.client.scrollAsync(ScrollPoints.newBuilder().setCollectionName(collection)
                .setFilter(filter).setLimit(100).build())).getResultList());
    }

    private static Map<String, String> aliasesOf(Target t) {
        return await(t.client.listAliasesAsync()).stream()
                .collect(Collectors.toMap(AliasDescription::getAliasName, AliasDescription::getCollectionName));
    }

    static <T> T await(ListenableFuture<T> future) {
        try {
            return future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (Exception e) {
            throw new AssertionError("Qdrant call failed: " + e.getMessage(), e);
        }
    }

    /** The gRPC error a call failed with; the test fails if it succeeded or failed otherwise. */
    static StatusRuntimeException grpcError(ListenableFuture<?> future) {
        Throwable thrown = catchThrowable(() -> future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        assertThat(thrown).as("the call should have failed").isInstanceOf(ExecutionException.class);
        assertThat(thrown.getCause()).isInstanceOf(StatusRuntimeException.class);
        return (StatusRuntimeException) thrown.getCause();
    }
}
