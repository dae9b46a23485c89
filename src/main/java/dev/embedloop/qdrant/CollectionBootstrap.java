package dev.embedloop.qdrant;

import io.grpc.Status;
import io.qdrant.client.QdrantClient;
import io.qdrant.client.grpc.Collections.AliasDescription;
import io.qdrant.client.grpc.Collections.CollectionInfo;
import io.qdrant.client.grpc.Collections.Distance;
import io.qdrant.client.grpc.Collections.PayloadSchemaType;
import io.qdrant.client.grpc.Collections.CreateCollection;
import io.qdrant.client.grpc.Collections.Modifier;
import io.qdrant.client.grpc.Collections.SparseVectorConfig;
import io.qdrant.client.grpc.Collections.SparseVectorParams;
import io.qdrant.client.grpc.Collections.VectorParams;
import io.qdrant.client.grpc.Collections.VectorsConfig;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure the collection for a model exists before indexing: {@code <alias>__<model version>}
 * with the model's dimension, cosine distance and payload indexes on {@code doc_id} and
 * {@code chunk}, and the alias pointing at it when the alias does not exist yet. A collection
 * whose vectors do not fit the model stops start-up. Safe under a race: instances that start at the
 * same moment all succeed when the collection another one created fits the model.
 */
public final class CollectionBootstrap {

    private static final Logger LOG = LoggerFactory.getLogger(CollectionBootstrap.class);

    private CollectionBootstrap() {}

    /** The collection name for a model version: Qdrant-safe characters only. */
    public static String collectionName(String alias, String modelVersion) {
        String safe = modelVersion.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_-]", "-");
        return alias + "__" + safe;
    }

    /**
     * Creates what is missing and checks what exists.
     *
     * @return the name of the versioned collection to write to
     * @throws IllegalStateException when an existing collection does not match the model
     */
    public static String ensure(QdrantClient client, String alias, String modelVersion, int dimension, Duration timeout) {
        String collection = collectionName(alias, modelVersion);
        ensureCollection(client, collection, dimension, false, timeout);
        Optional<String> target = aliasTarget(client, alias, timeout);
        if (target.isEmpty()) {
            LOG.info("alias {} -> {}", alias, collection);
            try {
                Qdrant.await(client.createAliasAsync(alias, collection, timeout), timeout, "create alias " + alias);
            } catch (Qdrant.QdrantException e) {
                // another instance created the alias meanwhile: whatever it points at now is the live collection
                if (!alreadyExists(e) || aliasTarget(client, alias, timeout).isEmpty()) {
                    throw e;
                }
                LOG.info("alias {} was created by another instance meanwhile ({})", alias,
                        aliasTarget(client, alias, timeout).orElse("?"));
            }
        } else if (!target.get().equals(collection)) {
            LOG.warn("alias {} points at {}, not at {} of the current model; searches keep using {} until the alias moves",
                    alias, target.get(), collection, target.get());
        }
        return collection;
    }

    /**
     * Creates {@code collection} (cosine, {@code dimension}, payload indexes) when it is missing and
     * checks it when it exists.
     *
     * @throws IllegalStateException when an existing collection does not match the model
     */
    public static void ensureCollection(QdrantClient client, String collection, int dimension, Duration timeout) {
        ensureCollection(client, collection, dimension, false, timeout);
    }

    /**
     * {@link #ensureCollection(QdrantClient, String, int, Duration)}; with {@code sparse}, the collection
     * also has the BM25 sparse vector {@value QdrantSink#SPARSE_VECTOR} with Qdrant's IDF modifier.
     */
    public static void ensureCollection(QdrantClient client, String collection, int dimension, boolean sparse,
            Duration timeout) {
        boolean exists = Qdrant.retrying(() -> Qdrant.await(client.collectionExistsAsync(collection, timeout), timeout,
                "exists " + collection), timeout.multipliedBy(4), "collection check");
        if (exists) {
            check(Qdrant.await(client.getCollectionInfoAsync(collection, timeout), timeout, "info " + collection),
                    collection, dimension, sparse);
            return;
        }
        LOG.info("creating collection {} (dimension {}, cosine{})", collection, dimension, sparse ? ", bm25 sparse" : "");
        CreateCollection.Builder create = CreateCollection.newBuilder()
                .setCollectionName(collection)
                .setVectorsConfig(VectorsConfig.newBuilder().setParams(
                        VectorParams.newBuilder().setSize(dimension).setDistance(Distance.Cosine)));
        if (sparse) {
            create.setSparseVectorsConfig(SparseVectorConfig.newBuilder().putMap(QdrantSink.SPARSE_VECTOR,
                    SparseVectorParams.newBuilder().setModifier(Modifier.Idf).build()));
        }
        try {
            Qdrant.await(client.createCollectionAsync(create.build(), timeout), timeout, "create " + collection);
        } catch (Qdrant.QdrantException e) {
            if (!alreadyExists(e)) {
                throw e;
            }
            // another instance created it between our check and our create: fine if it fits the model
            LOG.info("collection {} was created by another instance meanwhile; checking it", collection);
            check(Qdrant.await(client.getCollectionInfoAsync(collection, timeout), timeout, "info " + collection),
                    collection, dimension, sparse);
        }
        // idempotent in Qdrant: the instance that lost the race (or one restarted after a crash between
        // creating the collection and its indexes) makes sure the indexes exist too
        Qdrant.await(client.createPayloadIndexAsync(collection, QdrantSink.DOC_ID, PayloadSchemaType.Keyword,
                null, true, null, timeout), timeout, "payload index doc_id");
        Qdrant.await(client.createPayloadIndexAsync(collection, QdrantSink.CHUNK, PayloadSchemaType.Integer,
                null, true, null, timeout), timeout, "payload index chunk");
    }

    /**
     * Whether a failed create says the name is taken. Qdrant answers {@code ALREADY_EXISTS} since
     * 1.8 ({@code StorageError::AlreadyExists}); older servers answered {@code INVALID_ARGUMENT
     * "Wrong input: Collection `x` already exists!"} ({@code StorageError::BadInput}); both texts
     * keep the words "already exists".
     */
    static boolean alreadyExists(Qdrant.QdrantException e) {
        Status status = Status.fromThrowable(e.getCause() == null ? e : e.getCause());
        String description = status.getDescription() == null ? "" : status.getDescription();
        return status.getCode() == Status.Code.ALREADY_EXISTS
                || (status.getCode() == Status.Code.INVALID_ARGUMENT && description.contains("already exists"));
    }

    /** Which collection the alias points at, if it exists. */
    public static Optional<String> aliasTarget(QdrantClient client, String alias, Duration timeout) {
        for (AliasDescription a : Qdrant.await(client.listAliasesAsync(timeout), timeout, "list aliases")) {
            if (a.getAliasName().equals(alias)) {
                return Optional.of(a.getCollectionName());
            }
        }
        return Optional.empty();
    }

    static void check(CollectionInfo info, String collection, int dimension) {
        check(info, collection, dimension, false);
    }

    static void check(CollectionInfo info, String collection, int dimension, boolean sparse) {
        if (sparse && !info.getConfig().getParams().getSparseVectorsConfig().containsMap(QdrantSink.SPARSE_VECTOR)) {
            throw new IllegalStateException("Qdrant collection " + collection + " has no sparse vector '"
                    + QdrantSink.SPARSE_VECTOR + "', which index.sparse=bm25 needs. Delete the collection or set "
                    + "qdrant.collection to another name.");
        }
        VectorsConfig vectors = info.getConfig().getParams().getVectorsConfig();
        if (!vectors.hasParams()) {
            throw new IllegalStateException("Qdrant collection " + collection
                    + " has named vectors; Embedloop needs a single unnamed vector of dimension " + dimension
                    + ". Delete the collection or set qdrant.collection to another name.");
        }
        VectorParams params = vectors.getParams();
        if (params.getSize() != dimension || params.getDistance() != Distance.Cosine) {
            throw new IllegalStateException("Qdrant collection " + collection + " has vectors of dimension "
                    + params.getSize() + " with " + params.getDistance() + " distance, but the model needs dimension "
                    + dimension + " with Cosine distance. Delete the collection or set qdrant.collection to another name.");
        }
    }
}
