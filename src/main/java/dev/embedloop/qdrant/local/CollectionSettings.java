package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.Collections.CollectionConfig;
import io.qdrant.client.grpc.Collections.CollectionParams;
import io.qdrant.client.grpc.Collections.CreateCollection;
import io.qdrant.client.grpc.Collections.HnswConfigDiff;
import io.qdrant.client.grpc.Collections.OptimizersConfigDiff;
import io.qdrant.client.grpc.Collections.QuantizationConfig;
import io.qdrant.client.grpc.Collections.QuantizationConfigDiff;
import io.qdrant.client.grpc.Collections.ShardingMethod;
import io.qdrant.client.grpc.Collections.SparseVectorConfig;
import io.qdrant.client.grpc.Collections.SparseVectorParams;
import io.qdrant.client.grpc.Collections.UpdateCollection;
import io.qdrant.client.grpc.Collections.VectorParams;
import io.qdrant.client.grpc.Collections.VectorParamsDiff;
import io.qdrant.client.grpc.Collections.VectorParamsMap;
import io.qdrant.client.grpc.Collections.VectorsConfig;
import io.qdrant.client.grpc.Collections.WalConfigDiff;
import java.util.Map;

/**
 * A collection's configuration: the creation request as accepted, with later {@code UpdateCollection} diffs
 * merged in, and the {@link CollectionConfig} that collection info reports (Qdrant's defaults below it).
 * Not thread-safe: guarded by the collection's lock.
 */
final class CollectionSettings {

    // Qdrant's defaults (config/config.yaml), reported in collection info below any requested changes
    private static final HnswConfigDiff DEFAULT_HNSW = HnswConfigDiff.newBuilder()
            .setM(16).setEfConstruct(100).setFullScanThreshold(10_000).setMaxIndexingThreads(0).setOnDisk(false)
            .build();
    private static final OptimizersConfigDiff DEFAULT_OPTIMIZERS = OptimizersConfigDiff.newBuilder()
            .setDeletedThreshold(0.2).setVacuumMinVectorNumber(1000).setDefaultSegmentNumber(0)
            .setIndexingThreshold(20_000).setFlushIntervalSec(5).build();
    private static final WalConfigDiff DEFAULT_WAL = WalConfigDiff.newBuilder()
            .setWalCapacityMb(32).setWalSegmentsAhead(0).build();

    private CreateCollection spec;

    private CollectionSettings(CreateCollection spec) {
        this.spec = spec;
    }

    /** Validates the collection-level parts of a creation request (vectors are {@link VectorSchema}'s job). */
    static CollectionSettings create(CreateCollection request) {
        if (request.hasShardingMethod() && request.getShardingMethod() == ShardingMethod.Custom) {
            throw QdrantErrors.unsupported("custom sharding");
        }
        if (request.hasShardNumber() && request.getShardNumber() == 0) {
            throw QdrantErrors.badInput("`shard_number` cannot be 0");
        }
        return new CollectionSettings(request);
    }

    /** The creation request with every accepted update merged in: what recreates this configuration. */
    CreateCollection spec() {
        return spec;
    }

    /** Replaces the stored spec (e.g. after a vector name was added or removed). */
    void spec(CreateCollection spec) {
        this.spec = spec;
    }

    /** Merges an {@code UpdateCollection} in; validates it completely first, so a failure changes nothing. */
    void update(UpdateCollection request) {
        spec = updated(request);
    }

    /** The spec an update would produce, without applying it. */
    CreateCollection updated(UpdateCollection request) {
        CreateCollection.Builder s = spec.toBuilder();
        if (request.hasOptimizersConfig()) {
            s.setOptimizersConfig(s.getOptimizersConfig().toBuilder().mergeFrom(request.getOptimizersConfig()));
        }
        if (request.hasHnswConfig()) {
            s.setHnswConfig(s.getHnswConfig().toBuilder().mergeFrom(request.getHnswConfig()));
        }
        if (request.hasParams()) {
            var p = request.getParams();
            if (p.hasReplicationFactor()) {
                s.setReplicationFactor(p.getReplicationFactor());
            }
            if (p.hasWriteConsistencyFactor()) {
                s.setWriteConsistencyFactor(p.getWriteConsistencyFactor());
            }
            if (p.hasOnDiskPayload()) {
                s.setOnDiskPayload(p.getOnDiskPayload());
            }
        }
        if (request.hasQuantizationConfig()) {
            QuantizationConfig q = quantization(request.getQuantizationConfig());
            if (q == null) {
                s.clearQuantizationConfig();
            } else {
                s.setQuantizationConfig(q);
            }
        }
        if (request.hasVectorsConfig()) {
            s.setVectorsConfig(vectors(s.getVectorsConfig(), request));
        }
        if (request.hasSparseVectorsConfig()) {
            s.setSparseVectorsConfig(sparse(s.getSparseVectorsConfig(), request.getSparseVectorsConfig()));
        }
        if (request.hasStrictModeConfig()) {
            s.setStrictModeConfig(s.getStrictModeConfig().toBuilder().mergeFrom(request.getStrictModeConfig()));
        }
        s.putAllMetadata(request.getMetadataMap());
        return s.build();
    }

    private VectorsConfig vectors(VectorsConfig current, UpdateCollection request) {
        boolean unnamed = current.hasParams();
        var diff = request.getVectorsConfig();
        VectorsConfig.Builder vectors = current.toBuilder();
        if (diff.hasParams()) {
            if (!unnamed) {
                throw QdrantErrors.noSuchVector("");
            }
            vectors.setParams(apply(vectors.getParams(), diff.getParams()));
        } else if (diff.hasParamsMap()) {
            VectorParamsMap.Builder map = vectors.getParamsMap().toBuilder();
            for (Map.Entry<String, VectorParamsDiff> e : diff.getParamsMap().getMapMap().entrySet()) {
                VectorParams params = unnamed && e.getKey().isEmpty() ? vectors.getParams()
                        : map.getMapMap().get(e.getKey());
                if (params == null) {
                    throw QdrantErrors.noSuchVector(e.getKey());
                }
                if (unnamed) {
                    vectors.setParams(apply(params, e.getValue()));
                } else {
                    map.putMap(e.getKey(), apply(params, e.getValue()));
                }
            }
            if (!unnamed) {
                vectors.setParamsMap(map);
            }
        }
        return vectors.build();
    }

    /**
     * The spec with a named vector added, like Qdrant's {@code VectorsConfig::insert}: a collection with a single
     * unnamed vector becomes one with named vectors, the unnamed one under the empty name.
     */
    CreateCollection withVector(String vectorName, VectorParams params) {
        VectorsConfig current = spec.getVectorsConfig();
        VectorParamsMap.Builder map = current.hasParams()
                ? VectorParamsMap.newBuilder().putMap("", current.getParams())
                : current.getParamsMap().toBuilder();
        map.putMap(vectorName, params);
        return spec.toBuilder().setVectorsConfig(VectorsConfig.newBuilder().setParamsMap(map)).build();
    }

    /** The spec without a named vector (Qdrant's {@code VectorsConfig::remove}). */
    CreateCollection withoutVector(String vectorName) {
        VectorsConfig current = spec.getVectorsConfig();
        VectorParamsMap.Builder map;
        if (current.hasParams()) {
            map = VectorParamsMap.newBuilder();
            if (!vectorName.isEmpty()) {
                return spec;
            }
        } else {
            map = current.getParamsMap().toBuilder().removeMap(vectorName);
        }
        return spec.toBuilder().setVectorsConfig(VectorsConfig.newBuilder().setParamsMap(map)).build();
    }

    /** The current parameters of a vector name, or {@code null}. */
    VectorParams vectorParams(String vectorName) {
        VectorsConfig current = spec.getVectorsConfig();
        if (current.hasParams()) {
            return vectorName.isEmpty() ? current.getParams() : null;
        }
        return current.getParamsMap().getMapMap().get(vectorName);
    }

    /** Merges sparse vector parameters into existing names (index settings, modifier); names must exist. */
    private static SparseVectorConfig sparse(SparseVectorConfig current, SparseVectorConfig update) {
        SparseVectorConfig.Builder merged = current.toBuilder();
        for (Map.Entry<String, SparseVectorParams> e : update.getMapMap().entrySet()) {
            SparseVectorParams existing = current.getMapMap().get(e.getKey());
            if (existing == null) {
                throw QdrantErrors.noSuchVector(e.getKey());
            }
            SparseVectorParams.Builder params = existing.toBuilder();
            if (e.getValue().hasIndex()) {
                params.setIndex(existing.getIndex().toBuilder().mergeFrom(e.getValue().getIndex()));
            }
            if (e.getValue().hasModifier()) {
                params.setModifier(e.getValue().getModifier());
            }
            SparseVectorParams result = params.build();
            VectorSchema.sparseStore(e.getKey(), result); // validates the datatype
            merged.putMap(e.getKey(), result);
        }
        return merged.build();
    }

    private static VectorParams apply(VectorParams params, VectorParamsDiff diff) {
        VectorParams.Builder b = params.toBuilder();
        if (diff.hasHnswConfig()) {
            b.setHnswConfig(b.getHnswConfig().toBuilder().mergeFrom(diff.getHnswConfig()));
        }
        if (diff.hasOnDisk()) {
            b.setOnDisk(diff.getOnDisk());
        }
        if (diff.hasQuantizationConfig()) {
            QuantizationConfig q = quantization(diff.getQuantizationConfig());
            if (q == null) {
                b.clearQuantizationConfig();
            } else {
                b.setQuantizationConfig(q);
            }
        }
        return b.build();
    }

    /** The new quantization, or {@code null} when the diff disables it. */
    private static QuantizationConfig quantization(QuantizationConfigDiff diff) {
        return switch (diff.getQuantizationCase()) {
            case SCALAR -> QuantizationConfig.newBuilder().setScalar(diff.getScalar()).build();
            case PRODUCT -> QuantizationConfig.newBuilder().setProduct(diff.getProduct()).build();
            case BINARY -> QuantizationConfig.newBuilder().setBinary(diff.getBinary()).build();
            case TURBOQUANT -> QuantizationConfig.newBuilder().setTurboquant(diff.getTurboquant()).build();
            default -> null;
        };
    }

    /** The configuration collection info reports: the spec over Qdrant's defaults. */
    CollectionConfig config() {
        CollectionParams.Builder params = CollectionParams.newBuilder()
                .setShardNumber(spec.hasShardNumber() ? spec.getShardNumber() : 1)
                .setOnDiskPayload(!spec.hasOnDiskPayload() || spec.getOnDiskPayload())
                .setVectorsConfig(spec.hasVectorsConfig() ? spec.getVectorsConfig()
                        : VectorsConfig.newBuilder().setParamsMap(VectorParamsMap.getDefaultInstance()).build())
                .setReplicationFactor(spec.hasReplicationFactor() ? spec.getReplicationFactor() : 1)
                .setWriteConsistencyFactor(spec.hasWriteConsistencyFactor() ? spec.getWriteConsistencyFactor() : 1);
        if (spec.hasShardingMethod()) {
            params.setShardingMethod(spec.getShardingMethod());
        }
        if (spec.hasSparseVectorsConfig()) {
            params.setSparseVectorsConfig(spec.getSparseVectorsConfig());
        }
        CollectionConfig.Builder config = CollectionConfig.newBuilder()
                .setParams(params)
                .setHnswConfig(DEFAULT_HNSW.toBuilder().mergeFrom(spec.getHnswConfig()))
                .setOptimizerConfig(DEFAULT_OPTIMIZERS.toBuilder().mergeFrom(spec.getOptimizersConfig()))
                .setWalConfig(DEFAULT_WAL.toBuilder().mergeFrom(spec.getWalConfig()))
                .putAllMetadata(spec.getMetadataMap());
        if (spec.hasQuantizationConfig()) {
            config.setQuantizationConfig(spec.getQuantizationConfig());
        }
        if (spec.hasStrictModeConfig()) {
            config.setStrictModeConfig(spec.getStrictModeConfig());
        }
        return config.build();
    }
}
