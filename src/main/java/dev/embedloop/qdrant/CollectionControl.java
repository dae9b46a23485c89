package dev.embedloop.qdrant;

import java.util.Optional;

/**
 * The collection-level operations a re-index needs, for one alias. {@link QdrantCollections} is the
 * real one; tests use an in-memory fake. Every method returns once the store has applied it.
 */
public interface CollectionControl {

    /** The alias these operations move. */
    String alias();

    /** The collection of a model version: {@code <alias>__<version>}. */
    default String collectionName(String version) {
        return CollectionBootstrap.collectionName(alias(), version);
    }

    /** Creates the collection when missing (checking the vector size when present); a sink writing to it. */
    VectorSink open(String collection);

    boolean exists(String collection);

    /** Exact number of points in the collection. */
    long count(String collection);

    /** The collection the alias points at, if the alias exists. */
    Optional<String> aliasTarget();

    /** Points the alias at {@code collection} in one atomic step (delete and create in one request). */
    void pointAlias(String collection);

    /** Deletes the collection (nothing when it does not exist). */
    void drop(String collection);
}
