package dev.embedloop.qdrant.local;

import io.grpc.stub.StreamObserver;
import io.qdrant.client.grpc.SnapshotsGrpc;
import io.qdrant.client.grpc.SnapshotsService.CreateFullSnapshotRequest;
import io.qdrant.client.grpc.SnapshotsService.CreateSnapshotRequest;
import io.qdrant.client.grpc.SnapshotsService.CreateSnapshotResponse;
import io.qdrant.client.grpc.SnapshotsService.DeleteFullSnapshotRequest;
import io.qdrant.client.grpc.SnapshotsService.DeleteSnapshotRequest;
import io.qdrant.client.grpc.SnapshotsService.DeleteSnapshotResponse;
import io.qdrant.client.grpc.SnapshotsService.ListFullSnapshotsRequest;
import io.qdrant.client.grpc.SnapshotsService.ListSnapshotsRequest;
import io.qdrant.client.grpc.SnapshotsService.ListSnapshotsResponse;

/**
 * {@code qdrant.Snapshots}: create, list and delete collection snapshots and full snapshots, as files in the
 * snapshots directory (see {@link SnapshotStore}). Recovering one is {@link LocalQdrant#recoverSnapshot} or
 * {@link LocalQdrant#recoverFullSnapshot}, as Qdrant itself only recovers over REST.
 */
final class SnapshotsService extends SnapshotsGrpc.SnapshotsImplBase {

    private final LocalStorage storage;
    private final SnapshotStore snapshots;

    SnapshotsService(LocalStorage storage, SnapshotStore snapshots) {
        this.storage = storage;
        this.snapshots = snapshots;
    }

    @Override
    public void create(CreateSnapshotRequest request, StreamObserver<CreateSnapshotResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> CreateSnapshotResponse.newBuilder()
                .setSnapshotDescription(snapshots.createCollection(request.getCollectionName(),
                        CollectionsService.PEER_ID, storage.collectionSnapshot(request.getCollectionName())))
                .setTime(Rpc.since(start))
                .build());
    }

    @Override
    public void list(ListSnapshotsRequest request, StreamObserver<ListSnapshotsResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> {
            if (!storage.exists(request.getCollectionName())) {
                throw QdrantErrors.collectionNotFound(request.getCollectionName());
            }
            return ListSnapshotsResponse.newBuilder()
                    .addAllSnapshotDescriptions(snapshots.listCollection(request.getCollectionName()))
                    .setTime(Rpc.since(start))
                    .build();
        });
    }

    @Override
    public void delete(DeleteSnapshotRequest request, StreamObserver<DeleteSnapshotResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> {
            snapshots.deleteCollection(request.getCollectionName(), request.getSnapshotName());
            return DeleteSnapshotResponse.newBuilder().setTime(Rpc.since(start)).build();
        });
    }

    @Override
    public void createFull(CreateFullSnapshotRequest request, StreamObserver<CreateSnapshotResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> CreateSnapshotResponse.newBuilder()
                .setSnapshotDescription(snapshots.createFull(storage.fullSnapshot()))
                .setTime(Rpc.since(start))
                .build());
    }

    @Override
    public void listFull(ListFullSnapshotsRequest request, StreamObserver<ListSnapshotsResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> ListSnapshotsResponse.newBuilder()
                .addAllSnapshotDescriptions(snapshots.listFull())
                .setTime(Rpc.since(start))
                .build());
    }

    @Override
    public void deleteFull(DeleteFullSnapshotRequest request, StreamObserver<DeleteSnapshotResponse> observer) {
        long start = System.nanoTime();
        Rpc.unary(observer, () -> {
            snapshots.deleteFull(request.getSnapshotName());
            return DeleteSnapshotResponse.newBuilder().setTime(Rpc.since(start)).build();
        });
    }
}
