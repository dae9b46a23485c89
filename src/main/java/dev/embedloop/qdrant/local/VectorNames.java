package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.Collections.VectorParams;
import io.qdrant.client.grpc.Points.CreateVectorNameRequest;
import io.qdrant.client.grpc.Points.DenseVectorCreationConfig;

/**
 * Adds and drops vector names of an existing collection ({@code CreateVectorName}, {@code DeleteVectorName}),
 * keeping the configuration and the stores in step.
 *
 * <p>As in Qdrant ({@code vector_name_schema.rs}): creating a name that exists with the same size, distance,
 * datatype and multivector setting changes nothing, with another one it fails with {@code Wrong input: Vector
 * `name` already exists with a different configuration}; a collection with a single unnamed vector becomes one
 * with named vectors, the old one under the empty name; existing points have no vector under a new name;
 * deleting a name that does not exist is no error. Not thread-safe: the caller holds the write lock.
 */
final class VectorNames {

    private final CollectionSettings settings;
    private final PointStore points;

    VectorNames(CollectionSettings settings, PointStore points) {
        this.settings = settings;
        this.points = points;
    }

    /** The parameters a creation request asks for, validated; {@code null} when the name already has them. */
    VectorParams check(CreateVectorNameRequest request) {
        String name = request.getVectorName();
        switch (request.getVectorConfigCase()) {
            case SPARSE_CONFIG -> throw QdrantErrors.unsupported("sparse vectors");
            case DENSE_CONFIG -> {
            }
            default -> throw QdrantErrors.invalidArgument("Vector config is not specified");
        }
        DenseVectorCreationConfig dense = request.getDenseConfig();
        VectorParams.Builder params = VectorParams.newBuilder().setSize(dense.getSize())
                .setDistance(dense.getDistance());
        if (dense.hasDatatype()) {
            params.setDatatype(dense.getDatatype());
        }
        if (dense.hasMultivectorConfig()) {
            params.setMultivectorConfig(dense.getMultivectorConfig());
        }
        VectorParams wanted = params.build();
        VectorSchema.store(name, wanted, "dense_config"); // validates size, distance, datatype
        VectorParams existing = settings.vectorParams(name);
        if (existing == null) {
            return wanted;
        }
        boolean same = existing.getSize() == wanted.getSize() && existing.getDistance() == wanted.getDistance()
                && existing.getDatatype() == wanted.getDatatype()
                && existing.hasMultivectorConfig() == wanted.hasMultivectorConfig();
        if (!same) {
            throw QdrantErrors.badInput("Vector `" + name + "` already exists with a different configuration");
        }
        return null;
    }

    void create(String name, VectorParams params) {
        settings.spec(settings.withVector(name, params));
        points.addVectorName(VectorSchema.store(name, params, "dense_config"));
    }

    void delete(String name) {
        settings.spec(settings.withoutVector(name));
        points.removeVectorName(name);
    }
}
