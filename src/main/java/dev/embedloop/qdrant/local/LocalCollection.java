package dev.embedloop.qdrant.local;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.qdrant.client.grpc.Collections.CollectionConfig;
import io.qdrant.client.grpc.Collections.CollectionInfo;
import io.qdrant.client.grpc.Collections.CollectionParams;
import io.qdrant.client.grpc.Collections.CollectionStatus;
import io.qdrant.client.grpc.Collections.CreateCollection;
import io.qdrant.client.grpc.Collections.Datatype;
import io.qdrant.client.grpc.Collections.Distance;
import io.qdrant.client.grpc.Collections.GetCollectionInfoRequest;
import io.qdrant.client.grpc.Collections.HnswConfigDiff;
import io.qdrant.client.grpc.Collections.OptimizerStatus;
import io.qdrant.client.grpc.Collections.OptimizersConfigDiff;
import io.qdrant.client.grpc.Collections.PayloadIndexParams;
import io.qdrant.client.grpc.Collections.PayloadSchemaInfo;
import io.qdrant.client.grpc.Collections.PayloadSchemaType;
import io.qdrant.client.grpc.Collections.QuantizationConfig;
import io.qdrant.client.grpc.Collections.QuantizationConfigDiff;
import io.qdrant.client.grpc.Collections.ShardingMethod;
import io.qdrant.client.grpc.Collections.UpdateCollection;
import io.qdrant.client.grpc.Collections.UpdateQueueInfo;
import io.qdrant.client.grpc.Collections.VectorParams;
import io.qdrant.client.grpc.Collections.VectorParamsDiff;
import io.qdrant.client.grpc.Collections.VectorParamsMap;
import io.qdrant.client.grpc.Collections.VectorsConfig;
import io.qdrant.client.grpc.Collections.WalConfigDiff;
import io.qdrant.client.grpc.Common.Filter;
import io.qdrant.client.grpc.Common.PointId;
import io.qdrant.client.grpc.JsonWithInt.Struct;
import io.qdrant.client.grpc.JsonWithInt.Value;
import io.qdrant.client.grpc.Points.ClearPayloadPoints;
import io.qdrant.client.grpc.Points.CountPoints;
import io.qdrant.client.grpc.Points.CreateFieldIndexCollection;
import io.qdrant.client.grpc.Points.DeleteFieldIndexCollection;
import io.qdrant.client.grpc.Points.DeletePayloadPoints;
import io.qdrant.client.grpc.Points.DeletePointVectors;
import io.qdrant.client.grpc.Points.DeletePoints;
import io.qdrant.client.grpc.Points.DenseVector;
import io.qdrant.client.grpc.Points.FieldType;
import io.qdrant.client.grpc.Points.GetPoints;
import io.qdrant.client.grpc.Points.NamedVectors;
import io.qdrant.client.grpc.Points.NamedVectorsOutput;
import io.qdrant.client.grpc.Points.PointStruct;
import io.qdrant.client.grpc.Points.PointVectors;
import io.qdrant.client.grpc.Points.PointsIdsList;
import io.qdrant.client.grpc.Points.PointsSelector;
import io.qdrant.client.grpc.Points.Query;
import io.qdrant.client.grpc.Points.QueryPoints;
import io.qdrant.client.grpc.Points.RetrievedPoint;
import io.qdrant.client.grpc.Points.ScoredPoint;
import io.qdrant.client.grpc.Points.ScrollPoints;
import io.qdrant.client.grpc.Points.ScrollResponse;
import io.qdrant.client.grpc.Points.SearchPoints;
import io.qdrant.client.grpc.Points.SetPayloadPoints;
import io.qdrant.client.grpc.Points.UpdateMode;
import io.qdrant.client.grpc.Points.UpdatePointVectors;
import io.qdrant.client.grpc.Points.UpdateResult;
import io.qdrant.client.grpc.Points.UpdateStatus;
import io.qdrant.client.grpc.Points.UpsertPoints;
import io.qdrant.client.grpc.Points.Vector;
import io.qdrant.client.grpc.Points.VectorInput;
import io.qdrant.client.grpc.Points.VectorOutput;
import io.qdrant.client.grpc.Points.Vectors;
import io.qdrant.client.grpc.Points.VectorsOutput;
import io.qdrant.client.grpc.Points.WithPayloadSelector;
import io.qdrant.client.grpc.Points.WithVectorsSelector;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * One collection: its configuration, points, dense vectors and payload index schema.
 *
 * <p>Reads run concurrently under a read lock; each write takes the write lock, validates the request
 * completely, computes its effect (which points change, and how), appends that effect to the {@link Journal}
 * when there is one, and only then applies it. A rejected request therefore changes nothing, and an
 * acknowledged one is in the journal. Every write gets the next operation id, which also becomes the version
 * of the points it touched.
 *
 * <p>Search is exact: every vector is scored (see {@link VectorMath}) after the filter, which is what Qdrant
 * does for small collections and with {@code exact=true}, so results are what a real Qdrant returns up to float
 * rounding.
 */
final class LocalCollection {

    private static final int DEFAULT_LIMIT = 10;
    private static final int SNAPSHOT_BATCH = 256;

    // Qdrant's defaults (config/config.yaml), reported in collection info below any requested changes
    private static final HnswConfigDiff DEFAULT_HNSW = HnswConfigDiff.newBuilder()
            .setM(16).setEfConstruct(100).setFullScanThreshold(10_000).setMaxIndexingThreads(0).setOnDisk(false)
            .build();
    private static final OptimizersConfigDiff DEFAULT_OPTIMIZERS = OptimizersConfigDiff.newBuilder()
            .setDeletedThreshold(0.2).setVacuumMinVectorNumber(1000).setDefaultSegmentNumber(0)
            .setIndexingThreshold(20_000).setFlushIntervalSec(5).build();
    private static final WalConfigDiff DEFAULT_WAL = WalConfigDiff.newBuilder()
            .setWalCapacityMb(32).setWalSegmentsAhead(0).build();

    final String name;
    /** The creation request as accepted, with later {@code UpdateCollection} changes merged in. */
    private CreateCollection spec;
    /** Whether the collection has a single unnamed vector (stored under the name "") rather than named ones. */
    private final boolean unnamed;
    private final DenseVectors[] stores;
    private final Map<String, Integer> vectorIndexes;
    private final TreeMap<PointKey, PointEntry> points = new TreeMap<>();
    private final TreeMap<String, PayloadSchemaInfo> payloadSchema = new TreeMap<>();
    private long nextOperationId;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private volatile Journal journal;

    private LocalCollection(String name, CreateCollection spec, boolean unnamed, DenseVectors[] stores) {
        this.name = name;
        this.spec = spec;
        this.unnamed = unnamed;
        this.stores = stores;
        Map<String, Integer> indexes = new LinkedHashMap<>();
        for (int i = 0; i < stores.length; i++) {
            indexes.put(stores[i].name, i);
        }
        this.vectorIndexes = Map.copyOf(indexes);
    }

    /** Validates a creation request and builds the empty collection. */
    static LocalCollection create(CreateCollection request) {
        if (request.hasSparseVectorsConfig() && request.getSparseVectorsConfig().getMapCount() > 0) {
            throw QdrantErrors.unsupported("sparse vectors");
        }
        if (request.hasShardingMethod() && request.getShardingMethod() == ShardingMethod.Custom) {
            throw QdrantErrors.unsupported("custom sharding");
        }
        if (request.hasShardNumber() && request.getShardNumber() == 0) {
            throw QdrantErrors.badInput("`shard_number` cannot be 0");
        }
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
        return new LocalCollection(request.getCollectionName(), request, unnamed, stores.toArray(DenseVectors[]::new));
    }

    private static DenseVectors store(String name, VectorParams params, String field) {
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

    /** Starts journalling writes (after replay, when the state on disk and in memory agree). */
    void attach(Journal journal) {
        this.journal = journal;
    }

    // ------------------------------------------------------------------------------------------ writes

    UpdateResult upsert(UpsertPoints request) {
        // everything that needs no state is checked before the lock is taken, in Qdrant's order: the request is
        // converted first (ids, presence of vectors), then vectors are checked against the collection
        List<PointKey> ids = new ArrayList<>(request.getPointsCount());
        for (PointStruct p : request.getPointsList()) {
            if (!p.hasVectors()) {
                throw QdrantErrors.invalidArgument("Expected some vectors");
            }
            if (!p.hasId()) {
                throw QdrantErrors.invalidArgument("Empty ID is not allowed");
            }
            ids.add(PointKey.of(p.getId()));
        }
        Map<PointKey, Prepared> prepared = new LinkedHashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            PointStruct p = request.getPoints(i);
            PointKey id = ids.get(i);
            float[][] vectors = vectors(p.getVectors(), true);
            prepared.remove(id); // a repeated id: the last one wins, in its own position
            prepared.put(id, new Prepared(id, Struct.newBuilder().putAllFields(p.getPayloadMap()).build(), vectors));
        }
        UpdateMode mode = request.hasUpdateMode() ? request.getUpdateMode() : UpdateMode.Upsert;
        if (mode == UpdateMode.UNRECOGNIZED) {
            throw QdrantErrors.invalidArgument("Unknown update mode");
        }
        Filters.Cond updateFilter = request.hasUpdateFilter() ? compile(request.getUpdateFilter()) : null;
        return write(() -> {
            List<Prepared> effective = new ArrayList<>(prepared.size());
            for (Prepared p : prepared.values()) {
                PointEntry existing = points.get(p.id());
                boolean keep = existing == null
                        ? mode != UpdateMode.UpdateOnly
                        : mode != UpdateMode.InsertOnly
                                && (updateFilter == null || updateFilter.test(existing.payload, existing));
                if (keep) {
                    effective.add(p);
                }
            }
            return commit(Journal.Kind.UPSERT, () -> upsertEffect(effective), request.getWait(),
                    op -> applyUpsert(effective, op));
        });
    }

    UpdateResult delete(DeletePoints request) {
        PointsSelector selector = request.getPoints();
        return write(() -> {
            List<PointKey> ids = new ArrayList<>();
            for (PointKey id : select(selector, false)) {
                if (points.containsKey(id)) {
                    ids.add(id);
                }
            }
            return commit(Journal.Kind.DELETE_POINTS,
                    () -> DeletePoints.newBuilder().setCollectionName(name).setPoints(idSelector(ids)).build(),
                    request.getWait(), op -> applyDelete(ids));
        });
    }

    /** {@code set_payload} merges keys into the payload, {@code overwrite_payload} replaces it. */
    UpdateResult setPayload(SetPayloadPoints request, boolean overwrite) {
        JsonPath key = request.hasKey() ? JsonPath.parse(request.getKey()) : null;
        Map<String, Value> payload = request.getPayloadMap();
        return write(() -> {
            List<PointKey> ids = select(request.getPointsSelector(), true);
            return commit(overwrite ? Journal.Kind.OVERWRITE_PAYLOAD : Journal.Kind.SET_PAYLOAD,
                    () -> request.toBuilder().clearWait().clearOrdering().clearTimeout().setCollectionName(name)
                            .setPointsSelector(idSelector(ids)).build(),
                    request.getWait(), op -> applySetPayload(ids, payload, key, overwrite, op));
        });
    }

    UpdateResult deletePayload(DeletePayloadPoints request) {
        List<JsonPath> keys = new ArrayList<>();
        for (String k : request.getKeysList()) {
            keys.add(JsonPath.parse(k));
        }
        return write(() -> {
            List<PointKey> ids = select(request.getPointsSelector(), true);
            return commit(Journal.Kind.DELETE_PAYLOAD,
                    () -> DeletePayloadPoints.newBuilder().setCollectionName(name).addAllKeys(request.getKeysList())
                            .setPointsSelector(idSelector(ids)).build(),
                    request.getWait(), op -> applyDeletePayload(ids, keys, op));
        });
    }

    UpdateResult clearPayload(ClearPayloadPoints request) {
        return write(() -> {
            List<PointKey> ids = select(request.getPoints(), true);
            return commit(Journal.Kind.CLEAR_PAYLOAD,
                    () -> ClearPayloadPoints.newBuilder().setCollectionName(name).setPoints(idSelector(ids)).build(),
                    request.getWait(), op -> applyClearPayload(ids, op));
        });
    }

    UpdateResult updateVectors(UpdatePointVectors request) {
        List<Prepared> prepared = new ArrayList<>();
        for (PointVectors pv : request.getPointsList()) {
            if (!pv.hasId()) {
                throw QdrantErrors.invalidArgument("Empty ID is not allowed");
            }
            prepared.add(new Prepared(PointKey.of(pv.getId()), null, vectors(pv.getVectors(), false)));
        }
        Filters.Cond updateFilter = request.hasUpdateFilter() ? compile(request.getUpdateFilter()) : null;
        return write(() -> {
            List<Prepared> effective = new ArrayList<>();
            for (Prepared p : prepared) {
                PointEntry existing = points.get(p.id());
                if (existing == null) {
                    throw QdrantErrors.pointNotFound(p.id());
                }
                if (updateFilter == null || updateFilter.test(existing.payload, existing)) {
                    effective.add(p);
                }
            }
            return commit(Journal.Kind.UPDATE_VECTORS, () -> updateVectorsEffect(effective), request.getWait(),
                    op -> applyUpdateVectors(effective, op));
        });
    }

    UpdateResult deleteVectors(DeletePointVectors request) {
        List<Integer> which = new ArrayList<>();
        for (String vector : request.getVectors().getNamesList()) {
            which.add(vectorIndex(vector));
        }
        return write(() -> {
            List<PointKey> ids = select(request.getPointsSelector(), true);
            return commit(Journal.Kind.DELETE_VECTORS,
                    () -> DeletePointVectors.newBuilder().setCollectionName(name).setPointsSelector(idSelector(ids))
                            .setVectors(request.getVectors()).build(),
                    request.getWait(), op -> applyDeleteVectors(ids, which, op));
        });
    }

    UpdateResult createFieldIndex(CreateFieldIndexCollection request) {
        if (request.getFieldName().isEmpty()) {
            throw QdrantErrors.validation("field_name", "must not be empty");
        }
        JsonPath.parse(request.getFieldName());
        return write(() -> {
            PayloadSchemaType type = schemaType(request);
            PayloadSchemaInfo.Builder info = PayloadSchemaInfo.newBuilder().setDataType(type);
            if (request.hasFieldIndexParams()) {
                info.setParams(request.getFieldIndexParams());
            }
            PayloadSchemaInfo schema = info.build();
            CreateFieldIndexCollection.Builder effect = CreateFieldIndexCollection.newBuilder()
                    .setCollectionName(name).setFieldName(request.getFieldName()).setFieldType(fieldType(type));
            if (request.hasFieldIndexParams()) {
                effect.setFieldIndexParams(request.getFieldIndexParams());
            }
            return commit(Journal.Kind.CREATE_INDEX, effect::build,
                    request.getWait(), op -> payloadSchema.put(request.getFieldName(), schema));
        });
    }

    UpdateResult deleteFieldIndex(DeleteFieldIndexCollection request) {
        return write(() -> commit(Journal.Kind.DELETE_INDEX,
                () -> DeleteFieldIndexCollection.newBuilder().setCollectionName(name)
                        .setFieldName(request.getFieldName()).build(),
                request.getWait(), op -> payloadSchema.remove(request.getFieldName())));
    }

    /** Applies the parts of an {@code UpdateCollection} that change what collection info reports. */
    void update(UpdateCollection request) {
        if (request.hasSparseVectorsConfig() && request.getSparseVectorsConfig().getMapCount() > 0) {
            throw QdrantErrors.unsupported("sparse vectors");
        }
        lock.writeLock().lock();
        try {
            CreateCollection updated = updatedSpec(request);
            log(Journal.Kind.UPDATE_COLLECTION, 0, request.toBuilder().setCollectionName(name).build(), true);
            spec = updated;
        } finally {
            lock.writeLock().unlock();
        }
    }

    private CreateCollection updatedSpec(UpdateCollection request) {
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
            var diff = request.getVectorsConfig();
            VectorsConfig.Builder vectors = s.getVectorsConfig().toBuilder();
            if (diff.hasParams()) {
                if (!unnamed) {
                    throw QdrantErrors.noSuchVector("");
                }
                vectors.setParams(apply(vectors.getParams(), diff.getParams()));
            } else if (diff.hasParamsMap()) {
                VectorParamsMap.Builder map = vectors.getParamsMap().toBuilder();
                for (Map.Entry<String, VectorParamsDiff> e : diff.getParamsMap().getMapMap().entrySet()) {
                    VectorParams current = unnamed && e.getKey().isEmpty() ? vectors.getParams()
                            : map.getMapMap().get(e.getKey());
                    if (current == null) {
                        throw QdrantErrors.noSuchVector(e.getKey());
                    }
                    if (unnamed) {
                        vectors.setParams(apply(current, e.getValue()));
                    } else {
                        map.putMap(e.getKey(), apply(current, e.getValue()));
                    }
                }
                if (!unnamed) {
                    vectors.setParamsMap(map);
                }
            }
            s.setVectorsConfig(vectors);
        }
        if (request.hasStrictModeConfig()) {
            s.setStrictModeConfig(s.getStrictModeConfig().toBuilder().mergeFrom(request.getStrictModeConfig()));
        }
        s.putAllMetadata(request.getMetadataMap());
        return s.build();
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

    // ------------------------------------------------------------------------------------------- reads

    List<RetrievedPoint> get(GetPoints request) {
        Set<PointKey> ids = new LinkedHashSet<>();
        for (PointId id : request.getIdsList()) {
            ids.add(PointKey.of(id));
        }
        WithVectorsSelector withVectors = request.hasWithVectors() ? request.getWithVectors() : null;
        lock.readLock().lock();
        try {
            List<RetrievedPoint> out = new ArrayList<>(ids.size());
            for (PointKey id : ids) {
                PointEntry e = points.get(id);
                if (e != null) {
                    out.add(retrieved(e, request.getWithPayload(), false, withVectors));
                }
            }
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }

    ScrollResponse scroll(ScrollPoints request) {
        if (request.hasOrderBy()) {
            throw QdrantErrors.unsupported("scroll with order_by");
        }
        long limit = request.hasLimit() ? Integer.toUnsignedLong(request.getLimit()) : DEFAULT_LIMIT;
        if (limit < 1) {
            throw QdrantErrors.validation("limit", "value 0 invalid, must be 1 or larger");
        }
        Filters.Cond filter = compile(request.getFilter());
        PointKey offset = request.hasOffset() ? PointKey.of(request.getOffset()) : null;
        WithVectorsSelector withVectors = request.hasWithVectors() ? request.getWithVectors() : null;
        lock.readLock().lock();
        try {
            NavigableMap<PointKey, PointEntry> from = offset == null ? points : points.tailMap(offset, true);
            ScrollResponse.Builder response = ScrollResponse.newBuilder();
            long found = 0;
            for (PointEntry e : from.values()) {
                if (!filter.test(e.payload, e)) {
                    continue;
                }
                if (found == limit) {
                    // the first point of the next page, as Qdrant reports it
                    response.setNextPageOffset(e.id.toProto());
                    break;
                }
                response.addResult(retrieved(e, request.getWithPayload(), true, withVectors));
                found++;
            }
            return response.build();
        } finally {
            lock.readLock().unlock();
        }
    }

    long count(CountPoints request) {
        Filters.Cond filter = compile(request.getFilter());
        lock.readLock().lock();
        try {
            if (filter == Filters.ALL) {
                return points.size();
            }
            long n = 0;
            for (PointEntry e : points.values()) {
                if (filter.test(e.payload, e)) {
                    n++;
                }
            }
            return n;
        } finally {
            lock.readLock().unlock();
        }
    }

    List<ScoredPoint> search(SearchPoints request) {
        if (request.hasSparseIndices()) {
            throw QdrantErrors.unsupported("sparse vectors");
        }
        if (request.getLimit() == 0) {
            throw QdrantErrors.validation("limit", "value 0 invalid, must be 1 or larger");
        }
        float[] query = new float[request.getVectorCount()];
        for (int i = 0; i < query.length; i++) {
            query[i] = request.getVector(i);
        }
        int store = vectorIndex(request.hasVectorName() ? request.getVectorName() : "");
        return nearest(new Search(store, query, null, compile(request.getFilter()), unsigned(request.getLimit()),
                request.hasOffset() ? unsigned(request.getOffset()) : 0,
                request.hasScoreThreshold() ? request.getScoreThreshold() : null,
                request.getWithPayload(), request.hasWithVectors() ? request.getWithVectors() : null));
    }

    List<ScoredPoint> query(QueryPoints request) {
        if (request.getPrefetchCount() > 0) {
            throw QdrantErrors.unsupported("prefetch queries");
        }
        if (request.hasLookupFrom()) {
            throw QdrantErrors.unsupported("lookup_from");
        }
        if (request.hasLimit() && request.getLimit() == 0) {
            throw QdrantErrors.validation("limit", "value 0 invalid, must be 1 or larger");
        }
        long limit = request.hasLimit() ? unsigned(request.getLimit()) : DEFAULT_LIMIT;
        long offset = request.hasOffset() ? unsigned(request.getOffset()) : 0;
        Filters.Cond filter = compile(request.hasFilter() ? request.getFilter() : null);
        WithVectorsSelector withVectors = request.hasWithVectors() ? request.getWithVectors() : null;
        WithPayloadSelector withPayload = request.hasWithPayload() ? request.getWithPayload()
                : WithPayloadSelector.getDefaultInstance();
        if (!request.hasQuery()) {
            return firstById(filter, limit, offset, withPayload, withVectors);
        }
        Query q = request.getQuery();
        if (q.getVariantCase() == Query.VariantCase.VARIANT_NOT_SET) {
            throw QdrantErrors.invalidArgument("Query is missing a variant");
        }
        if (q.getVariantCase() != Query.VariantCase.NEAREST) {
            throw QdrantErrors.unsupported("the " + q.getVariantCase().name().toLowerCase(Locale.ROOT) + " query");
        }
        int store = vectorIndex(request.hasUsing() ? request.getUsing() : "");
        VectorInput input = q.getNearest();
        float[] vector;
        PointKey byId = null;
        switch (input.getVariantCase()) {
            case DENSE -> {
                DenseVector dense = input.getDense();
                vector = new float[dense.getDataCount()];
                for (int i = 0; i < vector.length; i++) {
                    vector[i] = dense.getData(i);
                }
            }
            case ID -> {
                byId = PointKey.of(input.getId());
                vector = null;
            }
            case SPARSE -> throw QdrantErrors.unsupported("sparse vectors");
            case MULTI_DENSE -> throw QdrantErrors.unsupported("multivectors");
            default -> throw QdrantErrors.unsupported("inference (documents, images and objects)");
        }
        return nearest(new Search(store, vector, byId, filter, limit, offset,
                request.hasScoreThreshold() ? request.getScoreThreshold() : null, withPayload, withVectors));
    }

    /** A nearest-neighbour request against one vector store; {@code byId} names a stored vector as the query. */
    private record Search(int store, float[] query, PointKey byId, Filters.Cond filter, long limit, long offset,
                          Float threshold, WithPayloadSelector withPayload, WithVectorsSelector withVectors) {
    }

    private List<ScoredPoint> nearest(Search s) {
        DenseVectors store = stores[s.store()];
        lock.readLock().lock();
        try {
            float[] query;
            if (s.byId() != null) {
                PointEntry source = points.get(s.byId());
                if (source == null || !source.hasVector(s.store())) {
                    throw QdrantErrors.pointNotFound(s.byId());
                }
                query = store.get(source.slots[s.store()]); // stored vectors are already normalised
            } else {
                if (s.query().length != store.dim) {
                    throw QdrantErrors.wrongDimension(store.dim, s.query().length);
                }
                query = s.query().clone();
                if (store.distance == Distance.Cosine) {
                    VectorMath.normalizeInPlace(query);
                }
            }
            boolean smallerIsBetter = VectorMath.smallerIsBetter(store.distance);
            long wanted = s.limit() + s.offset(); // both at most Long.MAX_VALUE / 2, see unsigned()
            TopK top = new TopK((int) Math.min(wanted, points.size()), smallerIsBetter);
            float[] data = store.data();
            int dim = store.dim;
            Float threshold = s.threshold();
            for (int slot = 0, n = store.highWater(); slot < n; slot++) {
                PointEntry e = store.owner(slot);
                if (e == null || (s.filter() != Filters.ALL && !s.filter().test(e.payload, e))) {
                    continue;
                }
                if (s.byId() != null && e.id.equals(s.byId())) {
                    continue; // a point used as the query is not its own result, as in Qdrant
                }
                float score = VectorMath.score(store.distance, query, data, slot * dim);
                if (threshold != null && (smallerIsBetter ? score > threshold : score < threshold)) {
                    continue;
                }
                top.offer(score, e);
            }
            List<TopK.Hit> hits = top.sorted();
            List<ScoredPoint> out = new ArrayList<>();
            for (int i = (int) Math.min(s.offset(), hits.size()); i < hits.size(); i++) {
                TopK.Hit hit = hits.get(i);
                out.add(scored(hit.entry(), hit.score(), s.withPayload(), s.withVectors()));
            }
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** A query without a query: the filtered points in id order, scored 0. */
    private List<ScoredPoint> firstById(Filters.Cond filter, long limit, long offset, WithPayloadSelector withPayload,
                                        WithVectorsSelector withVectors) {
        lock.readLock().lock();
        try {
            List<ScoredPoint> out = new ArrayList<>();
            long skipped = 0;
            for (PointEntry e : points.values()) {
                if (out.size() >= limit) {
                    break;
                }
                if (filter.test(e.payload, e) && skipped++ >= offset) {
                    out.add(scored(e, 0f, withPayload, withVectors));
                }
            }
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }

    CollectionInfo info() {
        lock.readLock().lock();
        try {
            CollectionInfo.Builder info = CollectionInfo.newBuilder()
                    .setStatus(CollectionStatus.Green)
                    .setOptimizerStatus(OptimizerStatus.newBuilder().setOk(true))
                    .setSegmentsCount(1)
                    .setConfig(config())
                    .setPointsCount(points.size())
                    .setIndexedVectorsCount(0) // no HNSW index is ever built: everything is a full scan
                    .setUpdateQueue(UpdateQueueInfo.newBuilder().setLength(0));
            for (Map.Entry<String, PayloadSchemaInfo> e : payloadSchema.entrySet()) {
                info.putPayloadSchema(e.getKey(), e.getValue().toBuilder().setPoints(indexedPoints(e.getKey())).build());
            }
            return info.build();
        } finally {
            lock.readLock().unlock();
        }
    }

    private CollectionConfig config() {
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

    /** How many points have a value for an indexed field, Qdrant's {@code PayloadSchemaInfo.points}. */
    private long indexedPoints(String field) {
        JsonPath path = JsonPath.parse(field);
        long n = 0;
        for (PointEntry e : points.values()) {
            for (Value v : path.values(e.payload, true)) {
                if (!v.hasNullValue()) {
                    n++;
                    break;
                }
            }
        }
        return n;
    }

    long pointCount() {
        lock.readLock().lock();
        try {
            return points.size();
        } finally {
            lock.readLock().unlock();
        }
    }

    // --------------------------------------------------------------------------------- replay/snapshot

    /** Re-applies a journalled effect; the operation id it carried keeps versions and ids as they were. */
    void replay(Journal.Kind kind, long aux, byte[] body) throws InvalidProtocolBufferException {
        switch (kind) {
            case UPSERT -> {
                List<Prepared> prepared = new ArrayList<>();
                for (PointStruct p : UpsertPoints.parseFrom(body).getPointsList()) {
                    prepared.add(new Prepared(PointKey.of(p.getId()),
                            Struct.newBuilder().putAllFields(p.getPayloadMap()).build(), stored(p.getVectors())));
                }
                applyUpsert(prepared, aux);
            }
            case DELETE_POINTS -> applyDelete(ids(DeletePoints.parseFrom(body).getPoints()));
            case SET_PAYLOAD, OVERWRITE_PAYLOAD -> {
                SetPayloadPoints r = SetPayloadPoints.parseFrom(body);
                applySetPayload(ids(r.getPointsSelector()), r.getPayloadMap(),
                        r.hasKey() ? JsonPath.parse(r.getKey()) : null, kind == Journal.Kind.OVERWRITE_PAYLOAD, aux);
            }
            case DELETE_PAYLOAD -> {
                DeletePayloadPoints r = DeletePayloadPoints.parseFrom(body);
                List<JsonPath> keys = new ArrayList<>();
                r.getKeysList().forEach(k -> keys.add(JsonPath.parse(k)));
                applyDeletePayload(ids(r.getPointsSelector()), keys, aux);
            }
            case CLEAR_PAYLOAD -> applyClearPayload(ids(ClearPayloadPoints.parseFrom(body).getPoints()), aux);
            case UPDATE_VECTORS -> {
                List<Prepared> prepared = new ArrayList<>();
                for (PointVectors pv : UpdatePointVectors.parseFrom(body).getPointsList()) {
                    prepared.add(new Prepared(PointKey.of(pv.getId()), null, stored(pv.getVectors())));
                }
                applyUpdateVectors(prepared, aux);
            }
            case DELETE_VECTORS -> {
                DeletePointVectors r = DeletePointVectors.parseFrom(body);
                List<Integer> which = new ArrayList<>();
                r.getVectors().getNamesList().forEach(n -> which.add(vectorIndex(n)));
                applyDeleteVectors(ids(r.getPointsSelector()), which, aux);
            }
            case CREATE_INDEX -> {
                CreateFieldIndexCollection r = CreateFieldIndexCollection.parseFrom(body);
                PayloadSchemaInfo.Builder info = PayloadSchemaInfo.newBuilder().setDataType(schemaType(r));
                if (r.hasFieldIndexParams()) {
                    info.setParams(r.getFieldIndexParams());
                }
                payloadSchema.put(r.getFieldName(), info.build());
            }
            case DELETE_INDEX -> payloadSchema.remove(DeleteFieldIndexCollection.parseFrom(body).getFieldName());
            case UPDATE_COLLECTION -> spec = updatedSpec(UpdateCollection.parseFrom(body));
            case NEXT_OPERATION -> nextOperationId = aux;
            default -> throw new IllegalStateException("not a collection record: " + kind);
        }
        if (kind != Journal.Kind.NEXT_OPERATION && kind != Journal.Kind.UPDATE_COLLECTION) {
            nextOperationId = Math.max(nextOperationId, aux + 1);
        }
    }

    /** The records that recreate this collection as it is now: config, indexes, points, operation counter. */
    List<Journal.Entry> snapshot() {
        lock.readLock().lock();
        try {
            List<Journal.Entry> out = new ArrayList<>();
            out.add(Journal.Entry.of(Journal.Kind.CREATE_COLLECTION, 0, spec));
            for (Map.Entry<String, PayloadSchemaInfo> e : payloadSchema.entrySet()) {
                CreateFieldIndexCollection.Builder r = CreateFieldIndexCollection.newBuilder().setCollectionName(name)
                        .setFieldName(e.getKey()).setFieldType(fieldType(e.getValue().getDataType()));
                if (e.getValue().hasParams()) {
                    r.setFieldIndexParams(e.getValue().getParams());
                }
                out.add(Journal.Entry.of(Journal.Kind.CREATE_INDEX, 0, r.build()));
            }
            // points grouped by version, so each upsert record carries the version of all its points
            List<PointEntry> byVersion = new ArrayList<>(points.values());
            byVersion.sort((a, b) -> Long.compare(a.version, b.version));
            List<Prepared> batch = new ArrayList<>();
            long version = -1;
            for (PointEntry e : byVersion) {
                if ((e.version != version || batch.size() == SNAPSHOT_BATCH) && !batch.isEmpty()) {
                    out.add(Journal.Entry.of(Journal.Kind.UPSERT, version, upsertEffect(batch)));
                    batch.clear();
                }
                version = e.version;
                float[][] vectors = new float[stores.length][];
                for (int i = 0; i < stores.length; i++) {
                    vectors[i] = e.hasVector(i) ? stores[i].get(e.slots[i]) : null;
                }
                batch.add(new Prepared(e.id, e.payload, vectors));
            }
            if (!batch.isEmpty()) {
                out.add(Journal.Entry.of(Journal.Kind.UPSERT, version, upsertEffect(batch)));
            }
            out.add(Journal.Entry.of(Journal.Kind.NEXT_OPERATION, nextOperationId,
                    GetCollectionInfoRequest.newBuilder()
                            .setCollectionName(name).build()));
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }

    // ----------------------------------------------------------------------------------- internals

    /** A point (or vector update) validated and converted: canonical id, payload, one vector per store. */
    private record Prepared(PointKey id, Struct payload, float[][] vectors) {
    }

    @FunctionalInterface
    private interface Write {
        UpdateResult run();
    }

    private UpdateResult write(Write write) {
        lock.writeLock().lock();
        try {
            return write.run();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Journals and applies one write under the write lock. The effect message is only built when there is a
     * journal to write it to.
     */
    private UpdateResult commit(Journal.Kind kind, Supplier<MessageLite> effect, boolean wait,
                                LongConsumer apply) {
        long operation = nextOperationId;
        Journal j = journal;
        if (j != null) {
            j.append(kind, operation, effect.get(), wait);
        }
        apply.accept(operation);
        nextOperationId = operation + 1;
        return UpdateResult.newBuilder()
                .setOperationId(operation)
                .setStatus(wait ? UpdateStatus.Completed : UpdateStatus.Acknowledged)
                .build();
    }

    private void log(Journal.Kind kind, long aux, MessageLite body, boolean sync) {
        Journal j = journal;
        if (j != null) {
            j.append(kind, aux, body, sync);
        }
    }

    private void applyUpsert(List<Prepared> prepared, long version) {
        for (Prepared p : prepared) {
            PointEntry e = points.computeIfAbsent(p.id(), id -> new PointEntry(id, stores.length));
            e.payload = p.payload();
            e.version = version;
            for (int i = 0; i < stores.length; i++) {
                setVector(e, i, p.vectors()[i], true);
            }
        }
    }

    private void applyUpdateVectors(List<Prepared> prepared, long version) {
        for (Prepared p : prepared) {
            PointEntry e = points.get(p.id());
            if (e == null) {
                continue;
            }
            e.version = version;
            for (int i = 0; i < stores.length; i++) {
                setVector(e, i, p.vectors()[i], false);
            }
        }
    }

    /** Stores {@code vector} as the point's vector {@code i}; {@code null} removes it when {@code replace}. */
    private void setVector(PointEntry e, int i, float[] vector, boolean replace) {
        int slot = e.slots[i];
        if (vector != null) {
            if (slot >= 0) {
                stores[i].set(slot, vector);
            } else {
                e.slots[i] = stores[i].add(vector, e);
            }
        } else if (replace && slot >= 0) {
            stores[i].remove(slot);
            e.slots[i] = -1;
        }
    }

    private void applyDelete(Collection<PointKey> ids) {
        for (PointKey id : ids) {
            PointEntry e = points.remove(id);
            if (e != null) {
                for (int i = 0; i < stores.length; i++) {
                    if (e.slots[i] >= 0) {
                        stores[i].remove(e.slots[i]);
                    }
                }
            }
        }
    }

    private void applySetPayload(List<PointKey> ids, Map<String, Value> payload, JsonPath key, boolean overwrite,
                                 long version) {
        Struct replacement = Struct.newBuilder().putAllFields(payload).build();
        for (PointKey id : ids) {
            PointEntry e = points.get(id);
            if (e == null) {
                continue;
            }
            if (key == null) {
                e.payload = overwrite ? replacement : e.payload.toBuilder().putAllFields(payload).build();
            } else {
                // overwriting under a key replaces that object; setting merges into it
                Struct base = overwrite ? key.delete(e.payload) : e.payload;
                e.payload = key.merge(base, payload);
            }
            e.version = version;
        }
    }

    private void applyDeletePayload(List<PointKey> ids, List<JsonPath> keys, long version) {
        for (PointKey id : ids) {
            PointEntry e = points.get(id);
            if (e == null) {
                continue;
            }
            Struct payload = e.payload;
            for (JsonPath key : keys) {
                payload = key.delete(payload);
            }
            e.payload = payload;
            e.version = version;
        }
    }

    private void applyClearPayload(List<PointKey> ids, long version) {
        for (PointKey id : ids) {
            PointEntry e = points.get(id);
            if (e != null) {
                e.payload = Struct.getDefaultInstance();
                e.version = version;
            }
        }
    }

    private void applyDeleteVectors(List<PointKey> ids, List<Integer> which, long version) {
        for (PointKey id : ids) {
            PointEntry e = points.get(id);
            if (e == null) {
                continue;
            }
            for (int i : which) {
                setVector(e, i, null, true);
            }
            e.version = version;
        }
    }

    /**
     * The ids a selector picks, in order. Explicit ids that do not exist fail with Qdrant's "No point with id"
     * when {@code mustExist} (payload and vector updates); a filter only ever picks existing points.
     */
    private List<PointKey> select(PointsSelector selector, boolean mustExist) {
        switch (selector.getPointsSelectorOneOfCase()) {
            case POINTS: {
                Set<PointKey> ids = new LinkedHashSet<>();
                for (PointId id : selector.getPoints().getIdsList()) {
                    PointKey key = PointKey.of(id);
                    if (mustExist && !points.containsKey(key)) {
                        throw QdrantErrors.pointNotFound(key);
                    }
                    ids.add(key);
                }
                return new ArrayList<>(ids);
            }
            case FILTER: {
                Filters.Cond filter = compile(selector.getFilter());
                List<PointKey> ids = new ArrayList<>();
                for (PointEntry e : points.values()) {
                    if (filter.test(e.payload, e)) {
                        ids.add(e.id);
                    }
                }
                return ids;
            }
            default:
                throw QdrantErrors.invalidArgument("Malformed PointsSelector type");
        }
    }

    private static List<PointKey> ids(PointsSelector selector) {
        List<PointKey> ids = new ArrayList<>();
        for (PointId id : selector.getPoints().getIdsList()) {
            ids.add(PointKey.of(id));
        }
        return ids;
    }

    private static PointsSelector idSelector(List<PointKey> ids) {
        PointsIdsList.Builder list = PointsIdsList.newBuilder();
        for (PointKey id : ids) {
            list.addIds(id.toProto());
        }
        return PointsSelector.newBuilder().setPoints(list).build();
    }

    /**
     * A protobuf {@code uint64} count as a usable {@code long}: values beyond what any collection can hold are
     * capped, which leaves room to add a limit and an offset without overflow.
     */
    private static long unsigned(long value) {
        return value < 0 || value > Long.MAX_VALUE / 2 ? Long.MAX_VALUE / 2 : value;
    }

    private Filters.Cond compile(Filter filter) {
        return Filters.compile(filter, vectorIndexes);
    }

    private int vectorIndex(String vectorName) {
        Integer i = vectorIndexes.get(vectorName);
        if (i == null) {
            throw QdrantErrors.noSuchVector(vectorName);
        }
        return i;
    }

    /**
     * Converts request vectors to one {@code float[]} per store, validated and (for Cosine) normalised.
     *
     * @param whole whether this is a full point (upsert), as opposed to an update of some of its vectors
     */
    private float[][] vectors(Vectors v, boolean whole) {
        float[][] out = new float[stores.length][];
        switch (v.getVectorsOptionsCase()) {
            case VECTOR -> {
                int i = vectorIndex("");
                out[i] = dense(v.getVector(), stores[i]);
            }
            case VECTORS -> {
                for (Map.Entry<String, Vector> e : v.getVectors().getVectorsMap().entrySet()) {
                    int i = vectorIndex(e.getKey());
                    out[i] = dense(e.getValue(), stores[i]);
                }
            }
            default -> {
                if (whole) {
                    throw QdrantErrors.invalidArgument("Expected some vectors");
                }
            }
        }
        return out;
    }

    @SuppressWarnings("deprecation") // the flat `data` encoding is deprecated, but clients still send it
    private static float[] dense(Vector v, DenseVectors store) {
        float[] out;
        switch (v.getVectorCase()) {
            case DENSE -> {
                DenseVector d = v.getDense();
                out = new float[d.getDataCount()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = d.getData(i);
                }
            }
            case VECTOR_NOT_SET -> {
                // the deprecated flat encoding older clients still send
                if (v.hasIndices()) {
                    throw QdrantErrors.unsupported("sparse vectors");
                }
                if (v.hasVectorsCount()) {
                    throw QdrantErrors.unsupported("multivectors");
                }
                out = new float[v.getDataCount()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = v.getData(i);
                }
            }
            case SPARSE -> throw QdrantErrors.unsupported("sparse vectors");
            case MULTI_DENSE -> throw QdrantErrors.unsupported("multivectors");
            default -> throw QdrantErrors.unsupported("inference (documents, images and objects)");
        }
        if (out.length != store.dim) {
            throw QdrantErrors.wrongDimension(store.dim, out.length);
        }
        if (store.distance == Distance.Cosine) {
            VectorMath.normalizeInPlace(out);
        }
        return out;
    }

    /** Vectors from a journal record: already validated and normalised, so taken as they are. */
    private float[][] stored(Vectors v) {
        float[][] out = new float[stores.length][];
        if (v.hasVector()) {
            out[vectorIndex("")] = floats(v.getVector().getDense());
        } else {
            for (Map.Entry<String, Vector> e : v.getVectors().getVectorsMap().entrySet()) {
                out[vectorIndex(e.getKey())] = floats(e.getValue().getDense());
            }
        }
        return out;
    }

    private static float[] floats(DenseVector d) {
        float[] out = new float[d.getDataCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = d.getData(i);
        }
        return out;
    }

    private static DenseVector denseProto(float[] v) {
        DenseVector.Builder b = DenseVector.newBuilder();
        for (float x : v) {
            b.addData(x);
        }
        return b.build();
    }

    private Vectors vectorsProto(float[][] vectors) {
        if (unnamed) {
            return Vectors.newBuilder().setVector(Vector.newBuilder().setDense(denseProto(vectors[0]))).build();
        }
        NamedVectors.Builder named = NamedVectors.newBuilder();
        for (int i = 0; i < stores.length; i++) {
            if (vectors[i] != null) {
                named.putVectors(stores[i].name, Vector.newBuilder().setDense(denseProto(vectors[i])).build());
            }
        }
        return Vectors.newBuilder().setVectors(named).build();
    }

    private UpsertPoints upsertEffect(List<Prepared> prepared) {
        UpsertPoints.Builder b = UpsertPoints.newBuilder().setCollectionName(name);
        for (Prepared p : prepared) {
            b.addPoints(PointStruct.newBuilder().setId(p.id().toProto()).putAllPayload(p.payload().getFieldsMap())
                    .setVectors(vectorsProto(p.vectors())));
        }
        return b.build();
    }

    private UpdatePointVectors updateVectorsEffect(List<Prepared> prepared) {
        UpdatePointVectors.Builder b = UpdatePointVectors.newBuilder().setCollectionName(name);
        for (Prepared p : prepared) {
            NamedVectors.Builder named = NamedVectors.newBuilder();
            for (int i = 0; i < stores.length; i++) {
                if (p.vectors()[i] != null) {
                    named.putVectors(stores[i].name, Vector.newBuilder().setDense(denseProto(p.vectors()[i])).build());
                }
            }
            b.addPoints(PointVectors.newBuilder().setId(p.id().toProto()).setVectors(Vectors.newBuilder()
                    .setVectors(named)));
        }
        return b.build();
    }

    private RetrievedPoint retrieved(PointEntry e, WithPayloadSelector withPayload, boolean payloadByDefault,
                                     WithVectorsSelector withVectors) {
        RetrievedPoint.Builder b = RetrievedPoint.newBuilder().setId(e.id.toProto());
        Map<String, Value> payload = PayloadSelection.select(e.payload, withPayload, payloadByDefault);
        if (payload != null) {
            b.putAllPayload(payload);
        }
        VectorsOutput vectors = vectorsOutput(e, withVectors);
        if (vectors != null) {
            b.setVectors(vectors);
        }
        return b.build();
    }

    private ScoredPoint scored(PointEntry e, float score, WithPayloadSelector withPayload,
                               WithVectorsSelector withVectors) {
        ScoredPoint.Builder b = ScoredPoint.newBuilder().setId(e.id.toProto()).setScore(score).setVersion(e.version);
        Map<String, Value> payload = PayloadSelection.select(e.payload, withPayload, false);
        if (payload != null) {
            b.putAllPayload(payload);
        }
        VectorsOutput vectors = vectorsOutput(e, withVectors);
        if (vectors != null) {
            b.setVectors(vectors);
        }
        return b.build();
    }

    /** The requested vectors of a point, or {@code null} when none were asked for. */
    private VectorsOutput vectorsOutput(PointEntry e, WithVectorsSelector selector) {
        if (selector == null) {
            return null;
        }
        Set<String> names;
        switch (selector.getSelectorOptionsCase()) {
            case ENABLE -> {
                if (!selector.getEnable()) {
                    return null;
                }
                names = vectorIndexes.keySet();
            }
            case INCLUDE -> names = new HashSet<>(selector.getInclude().getNamesList());
            default -> {
                return null;
            }
        }
        if (unnamed) {
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
        return VectorsOutput.newBuilder().setVectors(named).build();
    }

    /** Vectors go out in the {@code dense} field, as Qdrant sends them since the deprecated {@code data}. */
    private static VectorOutput output(float[] v) {
        return VectorOutput.newBuilder().setDense(denseProto(v)).build();
    }

    private PayloadSchemaType schemaType(CreateFieldIndexCollection request) {
        PayloadSchemaType fromParams = request.hasFieldIndexParams() ? schemaType(request.getFieldIndexParams()) : null;
        if (request.hasFieldType()) {
            PayloadSchemaType type = switch (request.getFieldType()) {
                case FieldTypeKeyword -> PayloadSchemaType.Keyword;
                case FieldTypeInteger -> PayloadSchemaType.Integer;
                case FieldTypeFloat -> PayloadSchemaType.Float;
                case FieldTypeGeo -> PayloadSchemaType.Geo;
                case FieldTypeText -> PayloadSchemaType.Text;
                case FieldTypeBool -> PayloadSchemaType.Bool;
                case FieldTypeDatetime -> PayloadSchemaType.Datetime;
                case FieldTypeUuid -> PayloadSchemaType.Uuid;
                default -> throw QdrantErrors.invalidArgument("Unknown field type");
            };
            if (fromParams != null && fromParams != type) {
                throw QdrantErrors.invalidArgument("field_type and field_index_params do not match");
            }
            return type;
        }
        if (fromParams != null) {
            return fromParams;
        }
        return inferSchema(request.getFieldName());
    }

    private static PayloadSchemaType schemaType(PayloadIndexParams params) {
        return switch (params.getIndexParamsCase()) {
            case KEYWORD_INDEX_PARAMS -> PayloadSchemaType.Keyword;
            case INTEGER_INDEX_PARAMS -> PayloadSchemaType.Integer;
            case FLOAT_INDEX_PARAMS -> PayloadSchemaType.Float;
            case GEO_INDEX_PARAMS -> PayloadSchemaType.Geo;
            case TEXT_INDEX_PARAMS -> PayloadSchemaType.Text;
            case BOOL_INDEX_PARAMS -> PayloadSchemaType.Bool;
            case DATETIME_INDEX_PARAMS -> PayloadSchemaType.Datetime;
            case UUID_INDEX_PARAMS -> PayloadSchemaType.Uuid;
            default -> null;
        };
    }

    /** Without a type, Qdrant infers one from the data already stored under the field. */
    private PayloadSchemaType inferSchema(String field) {
        JsonPath path = JsonPath.parse(field);
        for (PointEntry e : points.values()) {
            for (Value v : path.values(e.payload, true)) {
                switch (v.getKindCase()) {
                    case STRING_VALUE:
                        return PayloadSchemaType.Keyword;
                    case INTEGER_VALUE:
                        return PayloadSchemaType.Integer;
                    case DOUBLE_VALUE:
                        return PayloadSchemaType.Float;
                    case BOOL_VALUE:
                        return PayloadSchemaType.Bool;
                    default:
                        break;
                }
            }
        }
        throw QdrantErrors.badRequest("Can't auto-detect field type, please specify `field_schema` in the request");
    }

    private static FieldType fieldType(PayloadSchemaType type) {
        return switch (type) {
            case Integer -> FieldType.FieldTypeInteger;
            case Float -> FieldType.FieldTypeFloat;
            case Geo -> FieldType.FieldTypeGeo;
            case Text -> FieldType.FieldTypeText;
            case Bool -> FieldType.FieldTypeBool;
            case Datetime -> FieldType.FieldTypeDatetime;
            case Uuid -> FieldType.FieldTypeUuid;
            default -> FieldType.FieldTypeKeyword;
        };
    }
}
