package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.Collections.CreateCollection;
import io.qdrant.client.grpc.Collections.SparseIndexConfig;
import io.qdrant.client.grpc.Collections.SparseVectorParams;
import io.qdrant.client.grpc.Collections.VectorParams;
import io.qdrant.client.grpc.Points.CreateVectorNameRequest;
import io.qdrant.client.grpc.Points.DenseVectorCreationConfig;

/**
 * Adds and drops vector names of an existing collection ({@code CreateVectorName}, {@code DeleteVectorName}),
 * keeping the configuration and the stores in step.
 *
 * <p>As in Qdrant ({@code vector_name_schema.rs}): creating a name that exists with the same size, distance,
 * datatype and multivector setting changes nothing, with another one it fails with {@code Wrong input: Vector
 * `name` already exists with a different configuration}, and a dense name may not reuse a sparse one or the other
 * way round; a collection with a single unnamed vector becomes one with named vectors, the old one under the
 * empty name; existing points have no vector under a new name; deleting a name that does not exist is no error.
 * Both dense and sparse names can be added. Not thread-safe: the caller holds the write lock.
 */
final class VectorNames {

    private final CollectionSettings settings;
    private final PointStore points;

    VectorNames(CollectionSettings settings, PointStore points) {
        this.settings = settings;
        this.points = points;
    }

    /** Whether a creation request for a sparse name changes anything; validates it. */
    boolean checkSparse(CreateVectorNameRequest request) {
        String name = request.getVectorName();
        SparseVectorParams wanted = sparseParams(request);
        VectorSchema.sparseStore(name, wanted);
        if (settings.vectorParams(name) != null) {
            throw QdrantErrors.badInput("Vector `" + name + "` already exists as a dense vector");
        }
        SparseVectorParams existing = settings.spec().getSparseVectorsConfig().getMapMap().get(name);
        if (existing == null) {
            return true;
        }
        if (existing.getModifier() != wanted.getModifier()
                || existing.getIndex().getDatatype() != wanted.getIndex().getDatatype()) {
            throw QdrantErrors.badInput("Sparse vector `" + name + "` already exists with a different configuration");
        }
        return false;
    }

    static SparseVectorParams sparseParams(CreateVectorNameRequest request) {
        SparseVectorParams.Builder params = SparseVectorParams.newBuilder();
        if (request.getSparseConfig().hasModifier()) {
            params.setModifier(request.getSparseConfig().getModifier());
        }
        if (request.getSparseConfig().hasDatatype()) {
            params.setIndex(SparseIndexConfig.newBuilder().setDatatype(request.getSparseConfig().getDatatype()));
        }
        return params.build();
    }

    void createSparse(String name, SparseVectorParams params) {
        CreateCollection spec = settings.spec();
        settings.spec(spec.toBuilder().setSparseVectorsConfig(spec.getSparseVectorsConfig().toBuilder()
                .putMap(name, params)).build());
        points.addSparseName(VectorSchema.sparseStore(name, params));
    }

    /** The parameters a dense creation request asks for, validated; {@code null} when the name already has them. */
    VectorParams check(CreateVectorNameRequest request) {
        String name = request.getVectorName();
        switch (request.getVectorConfigCase()) {
            case DENSE_CONFIG -> {
            }
            case SPARSE_CONFIG -> throw new IllegalArgumentException("a sparse config: use checkSparse");
            default -> throw QdrantErrors.invalidArgument("Vector config is not specified");
        }
        if (settings.spec().getSparseVectorsConfig().containsMap(name)) {
            throw QdrantErrors.badInput("Vector `" + name + "` already exists as a sparse vector");
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
        CreateCollection spec = settings.spec();
        if (spec.getSparseVectorsConfig().containsMap(name)) {
            settings.spec(spec.toBuilder().setSparseVectorsConfig(spec.getSparseVectorsConfig().toBuilder()
                    .removeMap(name)).build());
            points.removeSparseName(name);
        }
    }

    /** Applies a creation request (already checked); dense or sparse. */
    void apply(CreateVectorNameRequest request) {
        if (request.hasSparseConfig()) {
            if (checkSparse(request)) {
                createSparse(request.getVectorName(), sparseParams(request));
            }
        } else {
            VectorParams params = check(request);
            if (params != null) {
                create(request.getVectorName(), params);
            }
        }
    }
}
