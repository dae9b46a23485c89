package dev.embedloop.qdrant;

import io.qdrant.client.QdrantClient;
import io.qdrant.client.grpc.Collections.AliasOperations;
import io.qdrant.client.grpc.Collections.CreateAlias;
import io.qdrant.client.grpc.Collections.DeleteAlias;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** {@link CollectionControl} against Qdrant (or its local mode) through the gRPC client. */
public final class QdrantCollections implements CollectionControl {

    private final QdrantClient client;
    private final String alias;
    private final int dimension;
    private final Duration timeout;
    private final Duration retryMax;
    private final boolean sparse;

    public QdrantCollections(QdrantClient client, String alias, int dimension, Duration timeout, Duration retryMax) {
        this(client, alias, dimension, timeout, retryMax, false);
    }

    /** @param sparse whether collections are made (and checked) with the BM25 sparse vector */
    public QdrantCollections(QdrantClient client, String alias, int dimension, Duration timeout, Duration retryMax,
            boolean sparse) {
        this.sparse = sparse;
        this.client = client;
        this.alias = alias;
        this.dimension = dimension;
        this.timeout = timeout;
        this.retryMax = retryMax;
    }

    @Override
    public String alias() {
        return alias;
    }

    @Override
    public VectorSink open(String collection) {
        CollectionBootstrap.ensureCollection(client, collection, dimension, sparse, timeout);
        return new QdrantSink(client, collection, timeout, retryMax);
    }

    @Override
    public boolean exists(String collection) {
        return Qdrant.retrying(() -> Qdrant.await(client.collectionExistsAsync(collection, timeout), timeout,
                "exists " + collection), retryMax, "collection check");
    }

    @Override
    public long count(String collection) {
        return Qdrant.retrying(() -> Qdrant.await(client.countAsync(collection, null, true, timeout), timeout,
                "count " + collection), retryMax, "count");
    }

    @Override
    public Optional<String> aliasTarget() {
        return Qdrant.retrying(() -> CollectionBootstrap.aliasTarget(client, alias, timeout), retryMax, "list aliases");
    }

    @Override
    public void pointAlias(String collection) {
        List<AliasOperations> ops = new ArrayList<>();
        Optional<String> current = aliasTarget();
        if (current.isPresent() && current.get().equals(collection)) {
            return;
        }
        if (current.isPresent()) {
            ops.add(AliasOperations.newBuilder()
                    .setDeleteAlias(DeleteAlias.newBuilder().setAliasName(alias)).build());
        }
        ops.add(AliasOperations.newBuilder()
                .setCreateAlias(CreateAlias.newBuilder().setAliasName(alias).setCollectionName(collection)).build());
        Qdrant.retrying(() -> Qdrant.await(client.updateAliasesAsync(ops, timeout), timeout,
                "move alias " + alias + " to " + collection), retryMax, "alias update");
    }

    @Override
    public void drop(String collection) {
        if (exists(collection)) {
            Qdrant.retrying(() -> Qdrant.await(client.deleteCollectionAsync(collection, timeout), timeout,
                    "delete " + collection), retryMax, "collection delete");
        }
    }
}
