package dev.embedloop.qdrant.local;

import io.grpc.stub.StreamObserver;
import io.qdrant.client.grpc.Points.BatchResult;
import io.qdrant.client.grpc.Points.DiscoverBatchPoints;
import io.qdrant.client.grpc.Points.DiscoverBatchResponse;
import io.qdrant.client.grpc.Points.DiscoverPoints;
import io.qdrant.client.grpc.Points.DiscoverResponse;
import io.qdrant.client.grpc.Points.FacetCounts;
import io.qdrant.client.grpc.Points.FacetResponse;
import io.qdrant.client.grpc.Points.GroupsResult;
import io.qdrant.client.grpc.Points.PointGroup;
import io.qdrant.client.grpc.Points.QueryGroupsResponse;
import io.qdrant.client.grpc.Points.QueryPointGroups;
import io.qdrant.client.grpc.Points.RecommendBatchPoints;
import io.qdrant.client.grpc.Points.RecommendBatchResponse;
import io.qdrant.client.grpc.Points.RecommendGroupsResponse;
import io.qdrant.client.grpc.Points.RecommendPointGroups;
import io.qdrant.client.grpc.Points.RecommendPoints;
import io.qdrant.client.grpc.Points.RecommendResponse;
import io.qdrant.client.grpc.Points.SearchGroupsResponse;
import io.qdrant.client.grpc.Points.SearchMatrixOffsetsResponse;
import io.qdrant.client.grpc.Points.SearchMatrixPairsResponse;
import io.qdrant.client.grpc.Points.SearchMatrixOffsets;
import io.qdrant.client.grpc.Points.SearchMatrixPairs;
import io.qdrant.client.grpc.Points.SearchMatrixPoints;
import io.qdrant.client.grpc.Points.SearchPointGroups;
import io.qdrant.client.grpc.Points.ClearPayloadPoints;
import io.qdrant.client.grpc.Points.CountPoints;
import io.qdrant.client.grpc.Points.CountResponse;
import io.qdrant.client.grpc.Points.CountResult;
import io.qdrant.client.grpc.Points.CreateFieldIndexCollection;
import io.qdrant.client.grpc.Points.CreateVectorNameRequest;
import io.qdrant.client.grpc.Points.DeleteVectorNameRequest;
import io.qdrant.client.grpc.Points.DeleteFieldIndexCollection;
import io.qdrant.client.grpc.Points.DeletePayloadPoints;
import io.qdrant.client.grpc.Points.DeletePointVectors;
import io.qdrant.client.grpc.Points.DeletePoints;
import io.qdrant.client.grpc.Points.GetPoints;
import io.qdrant.client.grpc.Points.GetResponse;
import io.qdrant.client.grpc.Points.PointsOperationResponse;
import io.qdrant.client.grpc.Points.PointsUpdateOperation;
import io.qdrant.client.grpc.Points.QueryBatchPoints;
import io.qdrant.client.grpc.Points.QueryBatchResponse;
import io.qdrant.client.grpc.Points.QueryPoints;
import io.qdrant.client.grpc.Points.QueryResponse;
import io.qdrant.client.grpc.Points.ScrollPoints;
import io.qdrant.client.grpc.Points.ScrollResponse;
import io.qdrant.client.grpc.Points.SearchBatchPoints;
import io.qdrant.client.grpc.Points.ScoredPoint;
import io.qdrant.client.grpc.Points.SearchBatchResponse;
import io.qdrant.client.grpc.Points.SearchPoints;
import io.qdrant.client.grpc.Points.SearchResponse;
import io.qdrant.client.grpc.Points.SetPayloadPoints;
import io.qdrant.client.grpc.Points.UpdateBatchPoints;
import io.qdrant.client.grpc.Points.UpdateBatchResponse;
import io.qdrant.client.grpc.Points.UpdatePointVectors;
import io.qdrant.client.grpc.Points.UpdateResult;
import io.qdrant.client.grpc.Points.UpsertPoints;
import io.qdrant.client.grpc.PointsGrpc;
import java.util.List;
import java.util.function.Function;

/**
 * {@code qdrant.Points}: upsert, delete, get, scroll, count, search, query, recommend, discover, groups,
 * facets, distance matrices, payload and vector updates, payload indexes, vector names, and the batch forms of
 * search, query, recommend, discover and updates.
 */
final class PointsService extends PointsGrpc.PointsImplBase {

    private final LocalStorage storage;
    private final Lookups lookups;

    PointsService(LocalStorage storage) {
        this.storage = storage;
        this.lookups = new Lookups(storage);
    }

    /** A query with its cross-collection references resolved, then run; then groups get their lookups. */
    private List<ScoredPoint> query(String collection, QueryPoints request) {
        QueryPoints resolved = lookups.resolve(request);
        return storage.withCollection(collection, c -> c.query(resolved));
    }

    private List<PointGroup> groups(String collection, QueryPointGroups request) {
        QueryPointGroups resolved = lookups.resolve(request);
        List<PointGroup> groups = storage.withCollection(collection, c -> c.queryGroups(resolved));
        return request.hasWithLookup() ? lookups.attach(groups, request.getWithLookup()) : groups;
    }

    @Override
    public void upsert(UpsertPoints request, StreamObserver<PointsOperationResponse> observer) {
        update(observer, request.getCollectionName(), c -> c.upsert(request));
    }

    @Override
    public void delete(DeletePoints request, StreamObserver<PointsOperationResponse> observer) {
        update(observer, request.getCollectionName(), c -> c.delete(request));
    }

    @Override
    public void updateVectors(UpdatePointVectors request, StreamObserver<PointsOperationResponse> observer) {
        update(observer, request.getCollectionName(), c -> c.updateVectors(request));
    }

    @Override
    public void deleteVectors(DeletePointVectors request, StreamObserver<PointsOperationResponse> observer) {
        update(observer, request.getCollectionName(), c -> c.deleteVectors(request));
    }

    @Override
    public void setPayload(SetPayloadPoints request, StreamObserver<PointsOperationResponse> observer) {
        update(observer, request.getCollectionName(), c -> c.setPayload(request, false));
    }

    @Override
    public void overwritePayload(SetPayloadPoints request, StreamObserver<PointsOperationResponse> observer) {
        update(observer, request.getCollectionName(), c -> c.setPayload(request, true));
    }

    @Override
    public void deletePayload(DeletePayloadPoints request, StreamObserver<PointsOperationResponse> observer) {
        update(observer, request.getCollectionName(), c -> c.deletePayload(request));
    }

    @Override
    public void clearPayload(ClearPayloadPoints request, StreamObserver<PointsOperationResponse> observer) {
        update(observer, request.getCollectionName(), c -> c.clearPayload(request));
    }

    @Override
    public void createFieldIndex(CreateFieldIndexCollection request, StreamObserver<PointsOperationResponse> observer) {
        update(observer, request.getCollectionName(), c -> c.createFieldIndex(request));
    }

    @Override
    public void deleteFieldIndex(DeleteFieldIndexCollection request, StreamObserver<PointsOperationResponse> observer) {
        update(observer, request.getCollectionName(), c -> c.deleteFieldIndex(request));
    }

    @Override
    public void createVectorName(CreateVectorNameRequest request, StreamObserver<PointsOperationResponse> observer) {
        update(observer, request.getCollectionName(), c -> c.createVectorName(request));
    }

    @Override
    public void deleteVectorName(DeleteVectorNameRequest request, StreamObserver<PointsOperationResponse> observer) {
        update(observer, request.getCollectionName(), c -> c.deleteVectorName(request));
    }

    @Override
    public void get(GetPoints request, StreamObserver<GetResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> GetResponse.newBuilder()
                .addAllResult(storage.withCollection(request.getCollectionName(), c -> c.get(request)))
                .setTime(Rpc.since(start))
                .build());
    }

    @Override
    public void scroll(ScrollPoints request, StreamObserver<ScrollResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> storage.withCollection(request.getCollectionName(), c -> c.scroll(request))
                .toBuilder().setTime(Rpc.since(start)).build());
    }

    @Override
    public void count(CountPoints request, StreamObserver<CountResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> CountResponse.newBuilder()
                .setResult(CountResult.newBuilder()
                        .setCount(storage.withCollection(request.getCollectionName(), c -> c.count(request))))
                .setTime(Rpc.since(start))
                .build());
    }

    @Override
    public void search(SearchPoints request, StreamObserver<SearchResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> SearchResponse.newBuilder()
                .addAllResult(storage.withCollection(request.getCollectionName(), c -> c.search(request)))
                .setTime(Rpc.since(start))
                .build());
    }

    @Override
    public void searchBatch(SearchBatchPoints request, StreamObserver<SearchBatchResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> storage.withCollection(request.getCollectionName(), c -> {
            SearchBatchResponse.Builder response = SearchBatchResponse.newBuilder();
            for (SearchPoints search : request.getSearchPointsList()) {
                response.addResult(BatchResult.newBuilder().addAllResult(c.search(search)));
            }
            return response.setTime(Rpc.since(start)).build();
        }));
    }

    @Override
    public void query(QueryPoints request, StreamObserver<QueryResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> QueryResponse.newBuilder()
                .addAllResult(query(request.getCollectionName(), request))
                .setTime(Rpc.since(start))
                .build());
    }

    @Override
    public void queryBatch(QueryBatchPoints request, StreamObserver<QueryBatchResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> {
            QueryBatchResponse.Builder response = QueryBatchResponse.newBuilder();
            for (QueryPoints query : request.getQueryPointsList()) {
                response.addResult(BatchResult.newBuilder().addAllResult(query(request.getCollectionName(),
                        query)));
            }
            return response.setTime(Rpc.since(start)).build();
        });
    }

    /**
     * Applies the operations in order; like Qdrant, the batch is not atomic, and the first failing operation
     * ends it with its error while earlier ones stay applied.
     */
    @Override
    public void updateBatch(UpdateBatchPoints request, StreamObserver<UpdateBatchResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> storage.withCollection(request.getCollectionName(), c -> {
            UpdateBatchResponse.Builder response = UpdateBatchResponse.newBuilder();
            for (PointsUpdateOperation operation : request.getOperationsList()) {
                response.addResult(apply(c, operation, request.getWait()));
            }
            return response.setTime(Rpc.since(start)).build();
        }));
    }

    @SuppressWarnings("deprecation") // the deprecated operation variants are still accepted, as by Qdrant
    @Override
    public void recommend(RecommendPoints request, StreamObserver<RecommendResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> RecommendResponse.newBuilder()
                .addAllResult(query(request.getCollectionName(), LegacyQueries.recommend(request)))
                .setTime(Rpc.since(start))
                .build());
    }

    @Override
    public void recommendBatch(RecommendBatchPoints request, StreamObserver<RecommendBatchResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> {
            RecommendBatchResponse.Builder response = RecommendBatchResponse.newBuilder();
            for (RecommendPoints recommend : request.getRecommendPointsList()) {
                response.addResult(BatchResult.newBuilder().addAllResult(query(request.getCollectionName(),
                        LegacyQueries.recommend(recommend))));
            }
            return response.setTime(Rpc.since(start)).build();
        });
    }

    @Override
    public void recommendGroups(RecommendPointGroups request, StreamObserver<RecommendGroupsResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> RecommendGroupsResponse.newBuilder()
                .setResult(GroupsResult.newBuilder().addAllGroups(groups(request.getCollectionName(),
                        LegacyQueries.recommendGroups(request))))
                .setTime(Rpc.since(start))
                .build());
    }

    @Override
    public void discover(DiscoverPoints request, StreamObserver<DiscoverResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> DiscoverResponse.newBuilder()
                .addAllResult(query(request.getCollectionName(), LegacyQueries.discover(request)))
                .setTime(Rpc.since(start))
                .build());
    }

    @Override
    public void discoverBatch(DiscoverBatchPoints request, StreamObserver<DiscoverBatchResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> {
            DiscoverBatchResponse.Builder response = DiscoverBatchResponse.newBuilder();
            for (DiscoverPoints discover : request.getDiscoverPointsList()) {
                response.addResult(BatchResult.newBuilder().addAllResult(query(request.getCollectionName(),
                        LegacyQueries.discover(discover))));
            }
            return response.setTime(Rpc.since(start)).build();
        });
    }

    @Override
    public void searchGroups(SearchPointGroups request, StreamObserver<SearchGroupsResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> SearchGroupsResponse.newBuilder()
                .setResult(GroupsResult.newBuilder().addAllGroups(groups(request.getCollectionName(),
                        LegacyQueries.searchGroups(request))))
                .setTime(Rpc.since(start))
                .build());
    }

    @Override
    public void queryGroups(QueryPointGroups request, StreamObserver<QueryGroupsResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> QueryGroupsResponse.newBuilder()
                .setResult(GroupsResult.newBuilder().addAllGroups(groups(request.getCollectionName(), request)))
                .setTime(Rpc.since(start))
                .build());
    }

    @Override
    public void facet(FacetCounts request, StreamObserver<FacetResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> FacetResponse.newBuilder()
                .addAllHits(storage.withCollection(request.getCollectionName(), c -> c.facet(request)))
                .setTime(Rpc.since(start))
                .build());
    }

    @Override
    public void searchMatrixPairs(SearchMatrixPoints request, StreamObserver<SearchMatrixPairsResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> SearchMatrixPairsResponse.newBuilder()
                .setResult(storage.<SearchMatrixPairs>withCollection(request.getCollectionName(),
                        c -> c.matrixPairs(request)))
                .setTime(Rpc.since(start))
                .build());
    }

    @Override
    public void searchMatrixOffsets(SearchMatrixPoints request,
                                    StreamObserver<SearchMatrixOffsetsResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> SearchMatrixOffsetsResponse.newBuilder()
                .setResult(storage.<SearchMatrixOffsets>withCollection(request.getCollectionName(),
                        c -> c.matrixOffsets(request)))
                .setTime(Rpc.since(start))
                .build());
    }

    private static UpdateResult apply(LocalCollection c, PointsUpdateOperation operation, boolean wait) {
        String name = c.name;
        return switch (operation.getOperationCase()) {
            case UPSERT -> {
                var list = operation.getUpsert();
                UpsertPoints.Builder upsert = UpsertPoints.newBuilder().setCollectionName(name).setWait(wait)
                        .addAllPoints(list.getPointsList());
                if (list.hasUpdateFilter()) {
                    upsert.setUpdateFilter(list.getUpdateFilter());
                }
                if (list.hasUpdateMode()) {
                    upsert.setUpdateMode(list.getUpdateMode());
                }
                yield c.upsert(upsert.build());
            }
            case DELETE_POINTS -> c.delete(DeletePoints.newBuilder().setCollectionName(name).setWait(wait)
                    .setPoints(operation.getDeletePoints().getPoints()).build());
            case DELETE_DEPRECATED -> c.delete(DeletePoints.newBuilder().setCollectionName(name).setWait(wait)
                    .setPoints(operation.getDeleteDeprecated()).build());
            case SET_PAYLOAD -> {
                var set = operation.getSetPayload();
                SetPayloadPoints.Builder b = SetPayloadPoints.newBuilder().setCollectionName(name).setWait(wait)
                        .putAllPayload(set.getPayloadMap()).setPointsSelector(set.getPointsSelector());
                if (set.hasKey()) {
                    b.setKey(set.getKey());
                }
                yield c.setPayload(b.build(), false);
            }
            case OVERWRITE_PAYLOAD -> {
                var set = operation.getOverwritePayload();
                SetPayloadPoints.Builder b = SetPayloadPoints.newBuilder().setCollectionName(name).setWait(wait)
                        .putAllPayload(set.getPayloadMap()).setPointsSelector(set.getPointsSelector());
                if (set.hasKey()) {
                    b.setKey(set.getKey());
                }
                yield c.setPayload(b.build(), true);
            }
            case DELETE_PAYLOAD -> c.deletePayload(DeletePayloadPoints.newBuilder().setCollectionName(name)
                    .setWait(wait).addAllKeys(operation.getDeletePayload().getKeysList())
                    .setPointsSelector(operation.getDeletePayload().getPointsSelector()).build());
            case CLEAR_PAYLOAD -> c.clearPayload(ClearPayloadPoints.newBuilder().setCollectionName(name)
                    .setWait(wait).setPoints(operation.getClearPayload().getPoints()).build());
            case CLEAR_PAYLOAD_DEPRECATED -> c.clearPayload(ClearPayloadPoints.newBuilder().setCollectionName(name)
                    .setWait(wait).setPoints(operation.getClearPayloadDeprecated()).build());
            case UPDATE_VECTORS -> {
                var update = operation.getUpdateVectors();
                UpdatePointVectors.Builder b = UpdatePointVectors.newBuilder().setCollectionName(name).setWait(wait)
                        .addAllPoints(update.getPointsList());
                if (update.hasUpdateFilter()) {
                    b.setUpdateFilter(update.getUpdateFilter());
                }
                yield c.updateVectors(b.build());
            }
            case DELETE_VECTORS -> c.deleteVectors(DeletePointVectors.newBuilder().setCollectionName(name)
                    .setWait(wait).setPointsSelector(operation.getDeleteVectors().getPointsSelector())
                    .setVectors(operation.getDeleteVectors().getVectors()).build());
            default -> throw QdrantErrors.invalidArgument("Malformed PointsUpdateOperation type");
        };
    }

    private void update(StreamObserver<PointsOperationResponse> observer, String collection,
                        Function<LocalCollection, UpdateResult> operation) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> PointsOperationResponse.newBuilder()
                .setResult(storage.withCollection(collection, operation))
                .setTime(Rpc.since(start))
                .build());
    }
}
