package dev.embedloop.qdrant.local;

import static dev.embedloop.qdrant.local.QdrantContractTest.await;
import static dev.embedloop.qdrant.local.QdrantContractTest.grpcError;
import static io.qdrant.client.ConditionFactory.matchKeyword;
import static io.qdrant.client.PointIdFactory.id;
import static io.qdrant.client.QueryFactory.context;
import static io.qdrant.client.QueryFactory.discover;
import static io.qdrant.client.QueryFactory.fusion;
import static io.qdrant.client.QueryFactory.nearest;
import static io.qdrant.client.QueryFactory.orderBy;
import static io.qdrant.client.QueryFactory.recommend;
import static io.qdrant.client.QueryFactory.sample;
import static io.qdrant.client.ValueFactory.value;
import static io.qdrant.client.VectorInputFactory.vectorInput;
import static io.qdrant.client.VectorsFactory.vectors;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.qdrant.client.grpc.Collections.Distance;
import io.qdrant.client.grpc.Collections.PayloadSchemaType;
import io.qdrant.client.grpc.Collections.VectorParams;
import io.qdrant.client.grpc.Common.Filter;
import io.qdrant.client.grpc.Points.ContextInput;
import io.qdrant.client.grpc.Points.ContextInputPair;
import io.qdrant.client.grpc.Points.Direction;
import io.qdrant.client.grpc.Points.DiscoverInput;
import io.qdrant.client.grpc.Points.DiscoverPoints;
import io.qdrant.client.grpc.Points.FacetCounts;
import io.qdrant.client.grpc.Points.FacetHit;
import io.qdrant.client.grpc.Points.LookupLocation;
import io.qdrant.client.grpc.Points.Mmr;
import io.qdrant.client.grpc.Points.Fusion;
import io.qdrant.client.grpc.Points.OrderBy;
import io.qdrant.client.grpc.Points.PointGroup;
import io.qdrant.client.grpc.Points.PointStruct;
import io.qdrant.client.grpc.Points.PrefetchQuery;
import io.qdrant.client.grpc.Points.QueryPointGroups;
import io.qdrant.client.grpc.Points.QueryPoints;
import io.qdrant.client.grpc.Points.RecommendInput;
import io.qdrant.client.grpc.Points.RecommendPoints;
import io.qdrant.client.grpc.Points.RecommendStrategy;
import io.qdrant.client.grpc.Points.RetrievedPoint;
import io.qdrant.client.grpc.Points.Sample;
import io.qdrant.client.grpc.Points.ScoredPoint;
import io.qdrant.client.grpc.Points.ScrollPoints;
import io.qdrant.client.grpc.Points.ScrollResponse;
import io.qdrant.client.grpc.Points.SearchMatrixOffsets;
import io.qdrant.client.grpc.Points.SearchMatrixPair;
import io.qdrant.client.grpc.Points.SearchMatrixPairs;
import io.qdrant.client.grpc.Points.SearchMatrixPoints;
import io.qdrant.client.grpc.Points.SearchPointGroups;
import io.qdrant.client.grpc.Points.StartFrom;
import io.qdrant.client.grpc.Points.TargetVector;
import io.qdrant.client.grpc.Points.VectorExample;
import io.qdrant.client.grpc.Points.WithLookup;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;

/**
 * The contract, continued: recommend, discover, context, fusion, order_by, sample, groups, distance matrix and
 * facets, on a small Dot collection whose expected scores are worked out by hand from Qdrant's formulas.
 * Runs against LocalQdrant and, with {@code QDRANT_URL}, a real Qdrant (see {@link QdrantContractTest}).
 */
class QdrantContractQueryTest {

    private static final float EPS = 1e-4f;

    @AfterAll
    static void closeTargets() throws Exception {
        QdrantContractTest.closeTargets();
    }

    /**
     * Five points under Dot: 1 (1, 0) red, 2 (0.9, 0.1) red, 3 (0, 1) blue, 4 (0.1, 0.9) blue, 5 (-1, 0) green;
     * payload {@code n} is the id.
     */
    private static String seeded(QdrantContractTest.Target t, String base) {
        String name = t.name(base);
        await(t.client.createCollectionAsync(name,
                VectorParams.newBuilder().setSize(2).setDistance(Distance.Dot).build()));
        await(t.client.upsertAsync(name, List.of(
                point(1, 1f, 0f, "red"), point(2, 0.9f, 0.1f, "red"), point(3, 0f, 1f, "blue"),
                point(4, 0.1f, 0.9f, "blue"), point(5, -1f, 0f, "green"))));
        return name;
    }

    private static PointStruct point(long id, float x, float y, String color) {
        return PointStruct.newBuilder().setId(id(id)).setVectors(vectors(x, y))
                .putPayload("color", value(color)).putPayload("n", value(id)).build();
    }

    private static List<Long> ids(List<ScoredPoint> points) {
        return points.stream().map(p -> p.getId().getNum()).toList();
    }

    private static List<ScoredPoint> query(QdrantContractTest.Target t, QueryPoints.Builder request) {
        return await(t.client.queryAsync(request.build()));
    }

    @QdrantContractTest.Contract
    void recommendAveragesExamplesAndLeavesThemOut(QdrantContractTest.Target t) {
        String name = seeded(t, "reco_avg");

        List<ScoredPoint> positive = await(t.client.recommendAsync(RecommendPoints.newBuilder()
                .setCollectionName(name).addPositive(id(1)).setLimit(10).build()));
        assertThat(ids(positive)).containsExactly(2L, 4L, 3L, 5L);
        assertThat(positive.get(0).getScore()).isCloseTo(0.9f, within(EPS));

        // 2 * (1, 0) - (0, 1) = (2, -1)
        List<ScoredPoint> withNegative = query(t, QueryPoints.newBuilder().setCollectionName(name)
                .setQuery(recommend(RecommendInput.newBuilder().addPositive(vectorInput(1))
                        .addNegative(vectorInput(3)).build())));
        assertThat(ids(withNegative)).containsExactly(2L, 4L, 5L);
        assertThat(withNegative.get(0).getScore()).isCloseTo(1.7f, within(EPS));
        assertThat(withNegative.get(1).getScore()).isCloseTo(-0.7f, within(EPS));
    }

    @QdrantContractTest.Contract
    void recommendBestScoreAndSumScores(QdrantContractTest.Target t) {
        String name = seeded(t, "reco_strategies");

        List<ScoredPoint> best = query(t, QueryPoints.newBuilder().setCollectionName(name)
                .setQuery(recommend(RecommendInput.newBuilder().addPositive(vectorInput(1))
                        .addNegative(vectorInput(5)).setStrategy(RecommendStrategy.BestScore).build())));
        // closer to a positive: sigmoid(best positive); otherwise -sigmoid(best negative)
        assertThat(ids(best)).containsExactly(2L, 4L, 3L);
        assertThat(best.get(0).getScore()).isCloseTo(0.5f * (0.9f / 1.9f + 1f), within(EPS));
        assertThat(best.get(1).getScore()).isCloseTo(0.5f * (0.1f / 1.1f + 1f), within(EPS));
        assertThat(best.get(2).getScore()).isCloseTo(-0.5f, within(EPS));

        List<ScoredPoint> sum = query(t, QueryPoints.newBuilder().setCollectionName(name)
                .setQuery(recommend(RecommendInput.newBuilder().addPositive(vectorInput(1)).addPositive(vectorInput(2))
                        .setStrategy(RecommendStrategy.SumScores).build())));
        assertThat(ids(sum)).containsExactly(4L, 3L, 5L);
        assertThat(sum.get(0).getScore()).isCloseTo(0.28f, within(EPS));
        assertThat(sum.get(2).getScore()).isCloseTo(-1.9f, within(EPS));
    }

    @QdrantContractTest.Contract
    void discoverRanksByContextThenTarget(QdrantContractTest.Target t) {
        String name = seeded(t, "discover");
        ContextInputPair rightOverLeft = ContextInputPair.newBuilder().setPositive(vectorInput(1f, 0f))
                .setNegative(vectorInput(-1f, 0f)).build();

        List<ScoredPoint> found = query(t, QueryPoints.newBuilder().setCollectionName(name)
                .setQuery(discover(DiscoverInput.newBuilder().setTarget(vectorInput(0f, 1f))
                        .setContext(ContextInput.newBuilder().addPairs(rightOverLeft)).build())));

        // rank (+1 right of the pair, -1 left, 0 on it) + sigmoid(similarity to the target)
        assertThat(ids(found)).containsExactly(4L, 2L, 1L, 3L, 5L);
        assertThat(found.get(0).getScore()).isCloseTo(1f + 0.5f * (0.9f / 1.9f + 1f), within(EPS));
        assertThat(found.get(3).getScore()).isCloseTo(0.75f, within(EPS));
        assertThat(found.get(4).getScore()).isCloseTo(-0.5f, within(EPS));

        // the legacy Discover API, by id: point 3 is the target and is left out
        List<ScoredPoint> legacy = await(t.client.discoverAsync(DiscoverPoints.newBuilder().setCollectionName(name)
                .setTarget(TargetVector.newBuilder().setSingle(VectorExample.newBuilder().setId(id(3))))
                .setLimit(2).build()));
        assertThat(ids(legacy)).containsExactly(4L, 2L);
    }

    @QdrantContractTest.Contract
    void contextScoresZeroInsideTheZone(QdrantContractTest.Target t) {
        String name = seeded(t, "context");
        List<ScoredPoint> found = query(t, QueryPoints.newBuilder().setCollectionName(name)
                .setQuery(context(ContextInput.newBuilder().addPairs(ContextInputPair.newBuilder()
                        .setPositive(vectorInput(0f, 1f)).setNegative(vectorInput(1f, 0f))).build())));

        assertThat(ids(found.subList(0, 3))).containsExactlyInAnyOrder(3L, 4L, 5L);
        assertThat(found.subList(0, 3)).allSatisfy(p -> assertThat(p.getScore()).isCloseTo(0f, within(EPS)));
        assertThat(ids(found.subList(3, 5))).containsExactly(2L, 1L);
        assertThat(found.get(3).getScore()).isCloseTo(-0.8f / 1.8f, within(EPS));
        assertThat(found.get(4).getScore()).isCloseTo(-0.5f, within(EPS));
    }

    @QdrantContractTest.Contract
    void mmrTradesRelevanceForDiversity(QdrantContractTest.Target t) {
        String name = seeded(t, "mmr");
        List<ScoredPoint> relevant = query(t, QueryPoints.newBuilder().setCollectionName(name).setLimit(3)
                .setQuery(nearest(vectorInput(1f, 0f), Mmr.newBuilder().setDiversity(0f).build())));
        assertThat(ids(relevant)).containsExactly(1L, 2L, 4L);

        // lambda 0.2: after 1, point 5 (opposite: -0.2 + 0.8) beats 3 (0) and 2 (0.18 - 0.72)
        List<ScoredPoint> diverse = query(t, QueryPoints.newBuilder().setCollectionName(name).setLimit(3)
                .setQuery(nearest(vectorInput(1f, 0f), Mmr.newBuilder().setDiversity(0.8f).setCandidatesLimit(5)
                        .build())));
        assertThat(ids(diverse)).containsExactly(1L, 5L, 3L);
        // picked points keep their nearest scores
        assertThat(diverse.get(1).getScore()).isCloseTo(-1f, within(EPS));
    }

    @QdrantContractTest.Contract
    void prefetchesAreRescoredOrFused(QdrantContractTest.Target t) {
        String name = seeded(t, "prefetch");
        PrefetchQuery right = PrefetchQuery.newBuilder().setQuery(nearest(1f, 0f)).setLimit(3).build();
        PrefetchQuery up = PrefetchQuery.newBuilder().setQuery(nearest(0.1f, 0.9f)).setLimit(3).build();

        // rescoring only sees what the prefetch found
        List<ScoredPoint> rescored = query(t, QueryPoints.newBuilder().setCollectionName(name)
                .addPrefetch(PrefetchQuery.newBuilder().setQuery(nearest(0f, 1f)).setLimit(2))
                .setQuery(nearest(1f, 0f)));
        assertThat(ids(rescored)).containsExactly(4L, 3L);

        // RRF (k = 2): [1, 2, 4] and [3, 4, 2] give 2 and 4 1/3 + 1/4, 1 and 3 1/2
        List<ScoredPoint> rrf = query(t, QueryPoints.newBuilder().setCollectionName(name)
                .addPrefetch(right).addPrefetch(up).setQuery(fusion(Fusion.RRF)));
        assertThat(ids(rrf.subList(0, 2))).containsExactlyInAnyOrder(2L, 4L);
        assertThat(rrf.get(0).getScore()).isCloseTo(1f / 3 + 1f / 4, within(EPS));
        assertThat(ids(rrf.subList(2, 4))).containsExactlyInAnyOrder(1L, 3L);
        assertThat(rrf.get(3).getScore()).isCloseTo(0.5f, within(EPS));

        List<ScoredPoint> dbsf = query(t, QueryPoints.newBuilder().setCollectionName(name)
                .addPrefetch(right).addPrefetch(up).setQuery(fusion(Fusion.DBSF)));
        assertThat(ids(dbsf)).hasSize(4);
        assertThat(ids(dbsf.subList(0, 2))).containsExactlyInAnyOrder(2L, 4L);
        assertThat(dbsf.get(0).getScore()).isCloseTo(0.887f, within(1e-3f));

        // the outer filter applies inside the prefetches too
        List<ScoredPoint> filtered = query(t, QueryPoints.newBuilder().setCollectionName(name)
                .addPrefetch(right).setQuery(nearest(0f, 1f))
                .setFilter(Filter.newBuilder().addMust(matchKeyword("color", "blue"))));
        assertThat(ids(filtered)).containsExactly(3L, 4L);
    }

    @QdrantContractTest.Contract
    void orderByNeedsARangeIndexAndOrdersQueryAndScroll(QdrantContractTest.Target t) {
        String name = seeded(t, "order_by");
        StatusRuntimeException noIndex = grpcError(t.client.queryAsync(QueryPoints.newBuilder()
                .setCollectionName(name).setQuery(orderBy("n")).build()));
        assertThat(noIndex.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(noIndex.getStatus().getDescription()).startsWith("Wrong input: No range index for `order_by` key: `n`");

        await(t.client.createPayloadIndexAsync(name, "n", PayloadSchemaType.Integer, null, true, null, null));

        List<ScoredPoint> desc = query(t, QueryPoints.newBuilder().setCollectionName(name).setLimit(2)
                .setQuery(orderBy(OrderBy.newBuilder().setKey("n").setDirection(Direction.Desc).build())));
        assertThat(ids(desc)).containsExactly(5L, 4L);
        assertThat(desc.get(0).getOrderValue().getInt()).isEqualTo(5);

        ScrollResponse page = await(t.client.scrollAsync(ScrollPoints.newBuilder().setCollectionName(name)
                .setLimit(2).setOrderBy(OrderBy.newBuilder().setKey("n")
                        .setStartFrom(StartFrom.newBuilder().setInteger(2))).build()));
        assertThat(page.getResultList()).extracting(p -> p.getId().getNum()).containsExactly(2L, 3L);
        assertThat(page.hasNextPageOffset()).isFalse();
        assertThat(page.getResultList()).extracting(RetrievedPoint::getOrderValue)
                .extracting(v -> v.getInt()).containsExactly(2L, 3L);
    }

    @QdrantContractTest.Contract
    void randomSampleRespectsFilterAndLimit(QdrantContractTest.Target t) {
        String name = seeded(t, "sample");
        List<ScoredPoint> three = query(t, QueryPoints.newBuilder().setCollectionName(name)
                .setQuery(sample(Sample.Random)).setLimit(3));
        assertThat(ids(three)).hasSize(3).doesNotHaveDuplicates().allMatch(id -> id >= 1 && id <= 5);

        List<ScoredPoint> red = query(t, QueryPoints.newBuilder().setCollectionName(name)
                .setQuery(sample(Sample.Random)).setLimit(5)
                .setFilter(Filter.newBuilder().addMust(matchKeyword("color", "red"))));
        assertThat(ids(red)).containsExactlyInAnyOrder(1L, 2L);
    }

    @QdrantContractTest.Contract
    void groupsKeepTheBestHitsPerPayloadValue(QdrantContractTest.Target t) {
        String name = seeded(t, "groups");
        List<PointGroup> search = await(t.client.searchGroupsAsync(SearchPointGroups.newBuilder()
                .setCollectionName(name).addAllVector(List.of(1f, 0f)).setGroupBy("color")
                .setGroupSize(2).setLimit(2).build()));
        assertThat(search).extracting(g -> g.getId().getStringValue()).containsExactly("red", "blue");
        assertThat(ids(search.get(0).getHitsList())).containsExactly(1L, 2L);
        assertThat(ids(search.get(1).getHitsList())).containsExactly(4L, 3L);

        List<PointGroup> query = await(t.client.queryGroupsAsync(QueryPointGroups.newBuilder()
                .setCollectionName(name).setQuery(nearest(0f, 1f)).setGroupBy("n").setGroupSize(1).setLimit(2)
                .build()));
        assertThat(query).extracting(g -> g.getId().getUnsignedValue()).containsExactly(3L, 4L);
    }

    @QdrantContractTest.Contract
    void distanceMatrixPairsEachSampledPointWithItsNearest(QdrantContractTest.Target t) {
        String name = seeded(t, "matrix");
        SearchMatrixPoints request = SearchMatrixPoints.newBuilder().setCollectionName(name).setSample(5)
                .setLimit(1).build();

        SearchMatrixPairs pairs = await(t.client.searchMatrixPairsAsync(request));
        assertThat(pairs.getPairsList()).hasSize(5);
        SearchMatrixPair fromOne = pairs.getPairsList().stream().filter(p -> p.getA().getNum() == 1)
                .findFirst().orElseThrow();
        assertThat(fromOne.getB().getNum()).isEqualTo(2);
        assertThat(fromOne.getScore()).isCloseTo(0.9f, within(EPS));

        SearchMatrixOffsets offsets = await(t.client.searchMatrixOffsetsAsync(request));
        assertThat(offsets.getIdsList()).extracting(id -> id.getNum()).containsExactlyInAnyOrder(1L, 2L, 3L, 4L, 5L);
        assertThat(offsets.getOffsetsRowList()).hasSize(5);
        assertThat(offsets.getOffsetsColList()).hasSize(5);
        assertThat(offsets.getScoresList()).hasSize(5);
    }

    @QdrantContractTest.Contract
    void facetsCountPointsPerValue(QdrantContractTest.Target t) {
        String name = seeded(t, "facets");
        StatusRuntimeException noIndex = grpcError(t.client.facetAsync(FacetCounts.newBuilder()
                .setCollectionName(name).setKey("color").build()));
        assertThat(noIndex.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);

        await(t.client.createPayloadIndexAsync(name, "color", PayloadSchemaType.Keyword, null, true, null, null));
        List<FacetHit> hits = await(t.client.facetAsync(FacetCounts.newBuilder().setCollectionName(name)
                .setKey("color").build()));
        assertThat(hits.stream().map(h -> h.getValue().getStringValue() + "=" + h.getCount())
                .collect(Collectors.toList())).containsExactly("blue=2", "red=2", "green=1");

        List<FacetHit> filtered = await(t.client.facetAsync(FacetCounts.newBuilder().setCollectionName(name)
                .setKey("color").setLimit(1).setFilter(Filter.newBuilder().addMustNot(matchKeyword("color", "blue")))
                .build()));
        assertThat(filtered).extracting(h -> h.getValue().getStringValue()).containsExactly("red");
        assertThat(Set.copyOf(ids(query(t, QueryPoints.newBuilder().setCollectionName(name))))).hasSize(5);
    }
    @QdrantContractTest.Contract
    void lookupFromAndWithLookupReadAnotherCollection(QdrantContractTest.Target t) {
        String name = seeded(t, "lookup_main");
        String examples = t.name("lookup_examples");
        await(t.client.createCollectionAsync(examples,
                VectorParams.newBuilder().setSize(2).setDistance(Distance.Dot).build()));
        await(t.client.upsertAsync(examples, List.of(
                PointStruct.newBuilder().setId(id(100)).setVectors(vectors(1f, 0f)).build(),
                PointStruct.newBuilder().setId(id(200)).setVectors(vectors(0f, 1f)).build(),
                PointStruct.newBuilder().setId(id(1)).setVectors(vectors(0.5f, 0.5f))
                        .putPayload("title", value("one")).build())));
        LookupLocation from = LookupLocation.newBuilder().setCollectionName(examples).build();

        // the example lives in the other collection, so point 1 of this one is a result, not the query
        List<ScoredPoint> recommended = await(t.client.recommendAsync(RecommendPoints.newBuilder()
                .setCollectionName(name).addPositive(id(100)).setLookupFrom(from).setLimit(2).build()));
        assertThat(ids(recommended)).containsExactly(1L, 2L);
        List<ScoredPoint> nearestUp = query(t, QueryPoints.newBuilder().setCollectionName(name)
                .setQuery(nearest(200L)).setLookupFrom(from).setLimit(2));
        assertThat(ids(nearestUp)).containsExactly(3L, 4L);

        List<PointGroup> groups = await(t.client.searchGroupsAsync(SearchPointGroups.newBuilder()
                .setCollectionName(name).addAllVector(List.of(1f, 0f)).setGroupBy("n").setGroupSize(1).setLimit(2)
                .setWithLookup(WithLookup.newBuilder().setCollection(examples)).build()));
        assertThat(groups).extracting(g -> g.getId().getUnsignedValue()).containsExactly(1L, 2L);
        assertThat(groups.get(0).getLookup().getPayloadMap().get("title").getStringValue()).isEqualTo("one");
        assertThat(groups.get(1).hasLookup()).isFalse();
    }
}
