package dev.embedloop.qdrant.local;

import io.grpc.stub.StreamObserver;
import io.qdrant.client.grpc.Collections.ChangeAliases;
import io.qdrant.client.grpc.Collections.CollectionClusterInfoRequest;
import io.qdrant.client.grpc.Collections.CollectionClusterInfoResponse;
import io.qdrant.client.grpc.Collections.CollectionDescription;
import io.qdrant.client.grpc.Collections.CollectionExists;
import io.qdrant.client.grpc.Collections.CollectionExistsRequest;
import io.qdrant.client.grpc.Collections.CollectionExistsResponse;
import io.qdrant.client.grpc.Collections.CollectionOperationResponse;
import io.qdrant.client.grpc.Collections.CreateCollection;
import io.qdrant.client.grpc.Collections.DeleteCollection;
import io.qdrant.client.grpc.Collections.GetCollectionInfoRequest;
import io.qdrant.client.grpc.Collections.GetCollectionInfoResponse;
import io.qdrant.client.grpc.Collections.ListAliasesRequest;
import io.qdrant.client.grpc.Collections.ListAliasesResponse;
import io.qdrant.client.grpc.Collections.ListCollectionAliasesRequest;
import io.qdrant.client.grpc.Collections.ListCollectionsRequest;
import io.qdrant.client.grpc.Collections.ListCollectionsResponse;
import io.qdrant.client.grpc.Collections.LocalShardInfo;
import io.qdrant.client.grpc.Collections.ReplicaState;
import io.qdrant.client.grpc.Collections.UpdateCollection;
import io.qdrant.client.grpc.CollectionsGrpc;

/**
 * {@code qdrant.Collections}: create, get, list, exists, update, delete, aliases and a single-shard cluster info.
 * Shard keys and cluster setup answer {@code UNIMPLEMENTED}.
 */
final class CollectionsService extends CollectionsGrpc.CollectionsImplBase {

    /** Any fixed id will do: a LocalQdrant is a cluster of one. */
    static final long PEER_ID = 1;

    private final LocalStorage storage;

    CollectionsService(LocalStorage storage) {
        this.storage = storage;
    }

    @Override
    public void get(GetCollectionInfoRequest request, StreamObserver<GetCollectionInfoResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> GetCollectionInfoResponse.newBuilder()
                .setResult(storage.withCollection(request.getCollectionName(), LocalCollection::info))
                .setTime(Rpc.since(start))
                .build());
    }

    @Override
    public void list(ListCollectionsRequest request, StreamObserver<ListCollectionsResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> {
            ListCollectionsResponse.Builder response = ListCollectionsResponse.newBuilder();
            for (String name : storage.listCollections()) {
                response.addCollections(CollectionDescription.newBuilder().setName(name));
            }
            return response.setTime(Rpc.since(start)).build();
        });
    }

    @Override
    public void create(CreateCollection request, StreamObserver<CollectionOperationResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> {
            storage.createCollection(request);
            return ok(true, start);
        });
    }

    @Override
    public void update(UpdateCollection request, StreamObserver<CollectionOperationResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> {
            storage.updateCollection(request);
            return ok(true, start);
        });
    }

    @Override
    public void delete(DeleteCollection request, StreamObserver<CollectionOperationResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> ok(storage.deleteCollection(request.getCollectionName()), start));
    }

    @Override
    public void updateAliases(ChangeAliases request, StreamObserver<CollectionOperationResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> {
            storage.updateAliases(request);
            return ok(true, start);
        });
    }

    @Override
    public void listCollectionAliases(ListCollectionAliasesRequest request,
                                      StreamObserver<ListAliasesResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> ListAliasesResponse.newBuilder()
                .addAllAliases(storage.aliases(request.getCollectionName()))
                .setTime(Rpc.since(start))
                .build());
    }

    @Override
    public void listAliases(ListAliasesRequest request, StreamObserver<ListAliasesResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> ListAliasesResponse.newBuilder()
                .addAllAliases(storage.aliases(null))
                .setTime(Rpc.since(start))
                .build());
    }

    @Override
    public void collectionClusterInfo(CollectionClusterInfoRequest request,
                                      StreamObserver<CollectionClusterInfoResponse> observer) {
        Rpc.unary(observer, () -> {
            long points = storage.withCollection(request.getCollectionName(), LocalCollection::pointCount);
            return CollectionClusterInfoResponse.newBuilder()
                    .setPeerId(PEER_ID)
                    .setShardCount(1)
                    .addLocalShards(LocalShardInfo.newBuilder()
                            .setShardId(0).setPointsCount(points).setState(ReplicaState.Active))
                    .build();
        });
    }

    @Override
    public void collectionExists(CollectionExistsRequest request, StreamObserver<CollectionExistsResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> CollectionExistsResponse.newBuilder()
                .setResult(CollectionExists.newBuilder().setExists(storage.exists(request.getCollectionName())))
                .setTime(Rpc.since(start))
                .build());
    }

    private static CollectionOperationResponse ok(boolean result, long start) {
        return CollectionOperationResponse.newBuilder().setResult(result).setTime(Rpc.since(start)).build();
    }
}
