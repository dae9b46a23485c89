package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.Collections.CreateCollection;
import io.qdrant.client.grpc.Collections.Datatype;
import io.qdrant.client.grpc.Collections.Distance;
import io.qdrant.client.grpc.Collections.VectorParams;
import io.qdrant.client.grpc.Collections.VectorsConfig;
import io.qdrant.client.grpc.Points.DenseVector;
import io.qdrant.client.grpc.Points.NamedVectors;
import io.qdrant.client.grpc.Points.NamedVectorsOutput;
import io.qdrant.client.grpc.Points.Vector;
import io.qdrant.client.grpc.Points.VectorOutput;
import io.qdrant.client.grpc.Points.Vectors;
import io.qdrant.client.grpc.Points.VectorsOutput;
import io.qdrant.client.grpc.Points.WithVectorsSelector;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The vector names of a collection and their stores: validates vectors coming in, converts them to one
 * {@code float[]} per store, and back to protobuf going out.
 *
 * <p>A collection has either a single unnamed dense vector (stored under the name "") or named ones, and any
 * number of named sparse vectors. Not thread-safe:
 * guarded by the collection's lock.
 */
final class VectorSchema {

    /** Whether the collection has a single unnamed vector rather than named ones. */
    private boolean unnamed;
    private DenseVectors[] stores;
    private Map<String, Integer> indexes;
    private SparseStore[] sparse;
    private Map<String, Integer> sparseIndexes;

    VectorSchema(boolean unnamed, DenseVectors[] stores, SparseStore[] sparse) {
        this.unnamed = unnamed;
        this.stores = stores;
        this.indexes = indexes(stores);
        this.sparse = sparse;
        this.sparseIndexes = sparseIndexes(sparse);
    }

    private static Map<String, Integer> sparseIndexes(SparseStore[] sparse) {
        Map<String, Integer> byName = new LinkedHashMap<>();
        for (int i = 0; i < sparse.length; i++) {
            byName.put(sparse[i].name, i);
        }
        return Map.copyOf(byName);
    }

    /** How many sparse vector names there are; a point's sparse vectors are indexed like them. */
    int sparseSize() {
        return sparse.length;
    }

    SparseStore sparseStore(int index) {
        return sparse[index];
    }

    /** The sparse store index of a name, or -1 when it is no sparse vector name. */
    int sparseIndex(String vectorName) {
        Integer i = sparseIndexes.get(vectorName);
        return i == null ? -1 : i;
    }

    /**
     * Vector names for {@code has_vector}: dense ones map to their store index, sparse ones to
     * {@code -1 - index}.
     */
    Map<String, Integer> hasVectorIndexes() {
        if (sparse.length == 0) {
            return indexes;
        }
        Map<String, Integer> all = new LinkedHashMap<>(indexes);
        for (Map.Entry<String, Integer> e : sparseIndexes.entrySet()) {
            all.put(e.getKey(), -1 - e.getValue());
        }
        return all;
    }

    /** Takes the sparse names' modifiers from the collection's configuration (after an update). */
    void sparseModifiers(CreateCollection spec) {
        for (SparseStore store : sparse) {
            io.qdrant.client.grpc.Collections.SparseVectorParams params =
                    spec.getSparseVectorsConfig().getMapMap().get(store.name);
            store.idf = params != null && params.getModifier() == io.qdrant.client.grpc.Collections.Modifier.Idf;
        }
    }

    /** Adds a sparse vector name (at the end of the sparse stores). */
    void addSparse(SparseStore store) {
        SparseStore[] grown = java.util.Arrays.copyOf(sparse, sparse.length + 1);
        grown[sparse.length] = store;
        sparse = grown;
        sparseIndexes = sparseIndexes(sparse);
    }

    /** Drops a sparse vector name; returns its former index, or -1. */
    int removeSparse(String vectorName) {
        Integer index = sparseIndexes.get(vectorName);
        if (index == null) {
            return -1;
        }
        List<SparseStore> kept = new ArrayList<>(java.util.Arrays.asList(sparse));
        kept.remove((int) index);
        sparse = kept.toArray(SparseStore[]::new);
        sparseIndexes = sparseIndexes(sparse);
        return index;
    }

    /** Validates a sparse vector name's parameters and builds its (empty) store. */
    static SparseStore sparseStore(String name, io.qdrant.client.grpc.Collections.SparseVectorParams params) {
        if (params.hasIndex() && params.getIndex().hasDatatype() && params.getIndex().getDatatype() != Datatype.Float32
                && params.getIndex().getDatatype() != Datatype.Default) {
            throw QdrantErrors.unsupported("the " + params.getIndex().getDatatype() + " sparse vector datatype");
        }
        return new SparseStore(name, params.hasModifier()
                && params.getModifier() == io.qdrant.client.grpc.Collections.Modifier.Idf);
    }

    private static Map<String, Integer> indexes(DenseVectors[] stores) {
        Map<String, Integer> byName = new LinkedHashMap<>();
        for (int i = 0; i < stores.length; i++) {
            byName.put(stores[i].name, i);
        }
        return Map.copyOf(byName);
    }

    /**
     * Adds an empty store for a new vector name at the end (index {@link #size()} before the call); a collection
     * with a single unnamed vector then has named ones, the unnamed one named "".
     */
    void add(DenseVectors store) {
        DenseVectors[] grown = java.util.Arrays.copyOf(stores, stores.length + 1);
        grown[stores.length] = store;
        stores = grown;
        indexes = indexes(stores);
        unnamed = false;
    }

    /** Drops the store of a vector name; returns its former index, or -1 when there is none. */
    int remove(String vectorName) {
        Integer index = indexes.get(vectorName);
        if (index == null) {
            return -1;
        }
        List<DenseVectors> kept = new ArrayList<>(java.util.Arrays.asList(stores));
        kept.remove((int) index);
        stores = kept.toArray(DenseVectors[]::new);
        indexes = indexes(stores);
        unnamed = false;
        return index;
    }

    /** Validates the dense vector configuration of a creation request and builds empty stores for it. */
    static VectorSchema create(CreateCollection request) {
        VectorsConfig config = request.getVectorsConfig();
        List<DenseVectors> stores = new ArrayList<>();
        boolean unnamed = config.getConfigCase() == VectorsConfig.ConfigCase.PARAMS;
        if (unnamed) {
            stores.add(store("", config.getParams(), "vectors_config.params"));
        } else if (config.getConfigCase() == VectorsConfig.ConfigCase.PARAMS_MAP) {
            for (Map.Entry<String, VectorParams> e : new TreeMap<>(config.getParamsMap().getMapMap()).entrySet()) {
                stores.add(store(e.getKey(), e.getValue(), "vectors_config.params_map." + e.getKey()));
            }
        }
        List<SparseStore> sparse = new ArrayList<>();
        for (Map.Entry<String, io.qdrant.client.grpc.Collections.SparseVectorParams> e
                : new TreeMap<>(request.getSparseVectorsConfig().getMapMap()).entrySet()) {
            if (config.getConfigCase() == VectorsConfig.ConfigCase.PARAMS_MAP
                    && config.getParamsMap().getMapMap().containsKey(e.getKey())) {
                throw QdrantErrors.badInput("Sparse vector name `" + e.getKey()
                        + "` is already used by a dense vector");
            }
            sparse.add(sparseStore(e.getKey(), e.getValue()));
        }
        return new VectorSchema(unnamed, stores.toArray(DenseVectors[]::new), sparse.toArray(SparseStore[]::new));
    }

    static DenseVectors store(String name, VectorParams params, String field) {
        if (params.getSize() == 0) {
            throw QdrantErrors.validation(field + ".size", "value 0 invalid, must be 1 or larger");
        }
        if (Long.compareUnsigned(params.getSize(), 65_536) > 0) {
            throw QdrantErrors.validation(field + ".size",
                    "value " + Long.toUnsignedString(params.getSize()) + " invalid, must be 65536 or smaller");
        }
        Distance distance = params.getDistance();
        if (distance == Distance.UnknownDistance || distance == Distance.UNRECOGNIZED) {
            throw QdrantErrors.invalidArgument("Malformed distance parameter");
        }
        if (params.hasMultivectorConfig()) {
            throw QdrantErrors.unsupported("multivectors");
        }
        if (params.hasDatatype() && params.getDatatype() != Datatype.Float32 && params.getDatatype() != Datatype.Default) {
            // uint8 and float16 storage change scores; exact float32 answers would not be what Qdrant returns
            throw QdrantErrors.unsupported("the " + params.getDatatype() + " vector datatype");
        }
        return new DenseVectors(name, (int) params.getSize(), distance);
    }

    /** How many vector stores there are; a point's vectors are indexed like them. */
    int size() {
        return stores.length;
    }

    DenseVectors store(int index) {
        return stores[index];
    }

    /** Vector names and their store indexes, for {@code has_vector} filters. */
    Map<String, Integer> indexes() {
        return indexes;
    }

    /** The store index of a vector name ("" for the unnamed vector). */
    int index(String vectorName) {
        Integer i = indexes.get(vectorName);
        if (i == null) {
            throw QdrantErrors.noSuchVector(vectorName);
        }
        return i;
    }

    /**
     * Converts request vectors: one {@code float[]} per dense store, validated and (for Cosine) normalised, one
     * {@link SparseVec} per sparse name.
     *
     * @param whole whether this is a full point (upsert), as opposed to an update of some of its vectors
     */
    VectorSet fromRequest(Vectors v, boolean whole) {
        float[][] out = new float[stores.length][];
        SparseVec[] sparseOut = new SparseVec[sparse.length];
        switch (v.getVectorsOptionsCase()) {
            case VECTOR -> {
                int i = index("");
                out[i] = dense(v.getVector(), stores[i]);
            }
            case VECTORS -> {
                for (Map.Entry<String, Vector> e : v.getVectors().getVectorsMap().entrySet()) {
                    int s = sparseIndex(e.getKey());
                    if (s >= 0) {
                        sparseOut[s] = sparseOf(e.getValue());
                    } else {
                        int i = index(e.getKey());
                        out[i] = dense(e.getValue(), stores[i]);
                    }
                }
            }
            default -> {
                if (whole) {
                    throw QdrantErrors.invalidArgument("Expected some vectors");
                }
            }
        }
        return new VectorSet(out, sparseOut);
    }

    @SuppressWarnings("deprecation") // the flat `data` + `indices` encoding is deprecated, but clients still send it
    private static SparseVec sparseOf(Vector v) {
        return switch (v.getVectorCase()) {
            case SPARSE -> SparseVec.of(v.getSparse());
            case VECTOR_NOT_SET -> {
                if (!v.hasIndices()) {
                    throw QdrantErrors.badInput("Conversion between sparse and regular vectors failed");
                }
                yield SparseVec.of(v.getIndices().getDataList(), v.getDataList());
            }
            default -> throw QdrantErrors.badInput("Conversion between sparse and regular vectors failed");
        };
    }

    @SuppressWarnings("deprecation") // the flat `data` encoding is deprecated, but clients still send it
    private static float[] dense(Vector v, DenseVectors store) {
        float[] out;
        switch (v.getVectorCase()) {
            case DENSE -> out = floats(v.getDense());
            case VECTOR_NOT_SET -> {
                // the deprecated flat encoding older clients still send
                if (v.hasIndices()) {
                    throw QdrantErrors.badInput("Conversion between sparse and regular vectors failed");
                }
                if (v.hasVectorsCount()) {
                    throw QdrantErrors.unsupported("multivectors");
                }
                out = new float[v.getDataCount()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = v.getData(i);
                }
            }
            case SPARSE -> throw QdrantErrors.badInput("Conversion between sparse and regular vectors failed");
            case MULTI_DENSE -> throw QdrantErrors.unsupported("multivectors");
            default -> throw QdrantErrors.unsupported("inference (documents, images and objects)");
        }
        return checked(out, store);
    }

    /** Checks a query or point vector's dimension and normalises it for Cosine (a copy when it is normalised). */
    static float[] checked(float[] vector, DenseVectors store) {
        if (vector.length != store.dim) {
            throw QdrantErrors.wrongDimension(store.dim, vector.length);
        }
        if (store.distance == Distance.Cosine) {
            VectorMath.normalizeInPlace(vector);
        }
        return vector;
    }

    /** Vectors from a journal record: already validated and normalised, so taken as they are. */
    VectorSet fromJournal(Vectors v) {
        float[][] out = new float[stores.length][];
        SparseVec[] sparseOut = new SparseVec[sparse.length];
        if (v.hasVector()) {
            out[index("")] = floats(v.getVector().getDense());
        } else {
            for (Map.Entry<String, Vector> e : v.getVectors().getVectorsMap().entrySet()) {
                int s = sparseIndex(e.getKey());
                if (s >= 0) {
                    sparseOut[s] = SparseVec.of(e.getValue().getSparse());
                } else {
                    out[index(e.getKey())] = floats(e.getValue().getDense());
                }
            }
        }
        return new VectorSet(out, sparseOut);
    }

    static float[] floats(DenseVector d) {
        float[] out = new float[d.getDataCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = d.getData(i);
        }
        return out;
    }

    static DenseVector denseProto(float[] v) {
        DenseVector.Builder b = DenseVector.newBuilder();
        for (float x : v) {
            b.addData(x);
        }
        return b.build();
    }

    /** A point's vectors as an upsert carries them: unnamed or named, as the collection has them. */
    Vectors toProto(VectorSet vectors) {
        if (unnamed && sparse.length == 0) {
            return Vectors.newBuilder().setVector(Vector.newBuilder().setDense(denseProto(vectors.dense()[0])))
                    .build();
        }
        return Vectors.newBuilder().setVectors(named(vectors)).build();
    }

    /** The vectors present in {@code vectors}, by name. */
    NamedVectors named(VectorSet vectors) {
        NamedVectors.Builder named = NamedVectors.newBuilder();
        for (int i = 0; i < stores.length; i++) {
            if (vectors.dense()[i] != null) {
                named.putVectors(stores[i].name, Vector.newBuilder().setDense(denseProto(vectors.dense()[i])).build());
            }
        }
        for (int i = 0; i < sparse.length; i++) {
            if (vectors.sparse()[i] != null) {
                named.putVectors(sparse[i].name, Vector.newBuilder().setSparse(vectors.sparse()[i].toProto()).build());
            }
        }
        return named.build();
    }

    /** The stored vectors of a point, {@code null} where it has none. */
    VectorSet of(PointEntry e) {
        float[][] vectors = new float[stores.length][];
        for (int i = 0; i < stores.length; i++) {
            vectors[i] = e.hasVector(i) ? stores[i].get(e.slots[i]) : null;
        }
        return new VectorSet(vectors, e.sparse.clone());
    }

    /** The requested vectors of a point, or {@code null} when none were asked for. */
    VectorsOutput output(PointEntry e, WithVectorsSelector selector) {
        if (selector == null) {
            return null;
        }
        Set<String> names;
        switch (selector.getSelectorOptionsCase()) {
            case ENABLE -> {
                if (!selector.getEnable()) {
                    return null;
                }
                names = new HashSet<>(indexes.keySet());
                names.addAll(sparseIndexes.keySet());
            }
            case INCLUDE -> names = new HashSet<>(selector.getInclude().getNamesList());
            default -> {
                return null;
            }
        }
        if (unnamed && sparse.length == 0) {
            if (!names.contains("") || !e.hasVector(0)) {
                return null;
            }
            return VectorsOutput.newBuilder().setVector(output(stores[0].get(e.slots[0]))).build();
        }
        NamedVectorsOutput.Builder named = NamedVectorsOutput.newBuilder();
        for (int i = 0; i < stores.length; i++) {
            if (names.contains(stores[i].name) && e.hasVector(i)) {
                named.putVectors(stores[i].name, output(stores[i].get(e.slots[i])));
            }
        }
        for (int i = 0; i < sparse.length; i++) {
            if (names.contains(sparse[i].name) && e.sparse[i] != null) {
                named.putVectors(sparse[i].name, VectorOutput.newBuilder().setSparse(e.sparse[i].toProto()).build());
            }
        }
        return VectorsOutput.newBuilder().setVectors(named).build();
    }

    /** Vectors go out in the {@code dense} field, as Qdrant sends them since the deprecated {@code data}. */
    private static VectorOutput output(float[] v) {
        return VectorOutput.newBuilder().setDense(denseProto(v)).build();
    }
}
