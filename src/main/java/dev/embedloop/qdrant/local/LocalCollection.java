package dev.embedloop.qdrant.local;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.qdrant.client.grpc.Collections.CollectionInfo;
import io.qdrant.client.grpc.Collections.CollectionStatus;
import io.qdrant.client.grpc.Collections.CreateCollection;
import io.qdrant.client.grpc.Collections.OptimizerStatus;
import io.qdrant.client.grpc.Collections.PayloadSchemaInfo;
import io.qdrant.client.grpc.Collections.UpdateCollection;
import io.qdrant.client.grpc.Collections.UpdateQueueInfo;
import io.qdrant.client.grpc.JsonWithInt.Struct;
import io.qdrant.client.grpc.JsonWithInt.Value;
import io.qdrant.client.grpc.Points.ClearPayloadPoints;
import io.qdrant.client.grpc.Points.CountPoints;
import io.qdrant.client.grpc.Points.CreateVectorNameRequest;
import io.qdrant.client.grpc.Points.DeleteVectorNameRequest;
import io.qdrant.client.grpc.Points.CreateFieldIndexCollection;
import io.qdrant.client.grpc.Points.DeleteFieldIndexCollection;
import io.qdrant.client.grpc.Points.DeletePayloadPoints;
import io.qdrant.client.grpc.Points.DeletePointVectors;
import io.qdrant.client.grpc.Points.DeletePoints;
import io.qdrant.client.grpc.Points.GetPoints;
import io.qdrant.client.grpc.Points.PointStruct;
import io.qdrant.client.grpc.Points.PointVectors;
import io.qdrant.client.grpc.Points.FacetCounts;
import io.qdrant.client.grpc.Points.FacetHit;
import io.qdrant.client.grpc.Points.PointGroup;
import io.qdrant.client.grpc.Points.QueryPointGroups;
import io.qdrant.client.grpc.Points.QueryPoints;
import io.qdrant.client.grpc.Points.SearchMatrixOffsets;
import io.qdrant.client.grpc.Points.SearchMatrixPairs;
import io.qdrant.client.grpc.Points.SearchMatrixPoints;
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
import io.qdrant.client.grpc.Points.VectorInput;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * One collection: validates requests, orders them under its lock and journals its writes. The work itself is
 * done by single-purpose parts: {@link CollectionSettings} (configuration and its diffs), {@link VectorSchema}
 * (vector names and conversion), {@link PointStore} (points and vectors), {@link PayloadUpdates},
 * {@link PayloadIndexes}, {@link PointReads} (get, scroll, count), {@link QueryEngine} and
 * {@link VectorSearch} (search and query), {@link PointGroups}, {@link DistanceMatrix}, {@link Facets}, and {@link CollectionRecords} (journal records, replay, snapshot).
 *
 * <p>Reads run concurrently under a read lock; each write takes the write lock, validates the request
 * completely, computes its effect (which points change, and how), appends that effect to the {@link Journal}
 * when there is one, and only then applies it. A rejected request therefore changes nothing, and an
 * acknowledged one is in the journal. Every write gets the next operation id, which also becomes the version
 * of the points it touched.
 */
final class LocalCollection {

    final String name;
    private final CollectionSettings settings;
    private final PointStore points;
    private final PayloadUpdates payloads;
    private final PayloadIndexes indexes = new PayloadIndexes();
    private final PointReads reads;
    private final QueryEngine queries;
    private final PointGroups groups;
    private final DistanceMatrix matrix;
    private final Facets facets;
    private final CollectionRecords records;
    private final VectorNames vectorNames;
    private long nextOperationId;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private volatile Journal journal;

    private LocalCollection(String name, CollectionSettings settings, VectorSchema schema) {
        this.name = name;
        this.settings = settings;
        this.points = new PointStore(schema, indexes);
        this.payloads = new PayloadUpdates(points);
        PointOutput output = new PointOutput(schema);
        PayloadOrder order = new PayloadOrder(indexes);
        this.reads = new PointReads(points, output, order);
        this.queries = new QueryEngine(points, new VectorSearch(points), order, output);
        this.groups = new PointGroups(points, queries, output);
        this.matrix = new DistanceMatrix(points);
        this.facets = new Facets(points, indexes);
        this.vectorNames = new VectorNames(settings, points);
        this.records = new CollectionRecords(name, settings, points, payloads, indexes, vectorNames);
    }

    /** Validates a creation request and builds the empty collection. */
    static LocalCollection create(CreateCollection request) {
        CollectionSettings settings = CollectionSettings.create(request);
        return new LocalCollection(request.getCollectionName(), settings, VectorSchema.create(request));
    }

    /** Starts journalling writes (after replay, when the state on disk and in memory agree). */
    void attach(Journal journal) {
        this.journal = journal;
    }

    // ------------------------------------------------------------------------------------------ writes

    UpdateResult upsert(UpsertPoints request) {
        // the vector schema can change (vector names), so even the conversion runs under the write lock
        return write(() -> upsertLocked(request));
    }

    private UpdateResult upsertLocked(UpsertPoints request) {
        // checked in Qdrant's order: the request is converted first (ids, presence of vectors), then vectors are
        // checked against the collection
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
        Map<PointKey, PreparedPoint> prepared = new LinkedHashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            PointStruct p = request.getPoints(i);
            PointKey id = ids.get(i);
            VectorSet vectors = points.schema().fromRequest(p.getVectors(), true);
            prepared.remove(id); // a repeated id: the last one wins, in its own position
            prepared.put(id, new PreparedPoint(id, Struct.newBuilder().putAllFields(p.getPayloadMap()).build(),
                    vectors));
        }
        UpdateMode mode = request.hasUpdateMode() ? request.getUpdateMode() : UpdateMode.Upsert;
        if (mode == UpdateMode.UNRECOGNIZED) {
            throw QdrantErrors.invalidArgument("Unknown update mode");
        }
        Filters.Cond updateFilter = request.hasUpdateFilter() ? points.compile(request.getUpdateFilter()) : null;
        {
            List<PreparedPoint> effective = new ArrayList<>(prepared.size());
            for (PreparedPoint p : prepared.values()) {
                PointEntry existing = points.get(p.id());
                boolean keep = existing == null
                        ? mode != UpdateMode.UpdateOnly
                        : mode != UpdateMode.InsertOnly
                                && (updateFilter == null || updateFilter.test(existing.payload, existing));
                if (keep) {
                    effective.add(p);
                }
            }
            return commit(Journal.Kind.UPSERT, () -> records.upsert(effective), request.getWait(),
                    op -> points.upsert(effective, op));
        }
    }

    UpdateResult delete(DeletePoints request) {
        return write(() -> {
            List<PointKey> ids = new ArrayList<>();
            for (PointKey id : points.select(request.getPoints(), false)) {
                if (points.contains(id)) {
                    ids.add(id);
                }
            }
            return commit(Journal.Kind.DELETE_POINTS,
                    () -> DeletePoints.newBuilder().setCollectionName(name)
                            .setPoints(CollectionRecords.idSelector(ids)).build(),
                    request.getWait(), op -> points.delete(ids));
        });
    }

    /** {@code set_payload} merges keys into the payload, {@code overwrite_payload} replaces it. */
    UpdateResult setPayload(SetPayloadPoints request, boolean overwrite) {
        JsonPath key = request.hasKey() ? JsonPath.parse(request.getKey()) : null;
        Map<String, Value> payload = request.getPayloadMap();
        return write(() -> {
            List<PointKey> ids = points.select(request.getPointsSelector(), true);
            return commit(overwrite ? Journal.Kind.OVERWRITE_PAYLOAD : Journal.Kind.SET_PAYLOAD,
                    () -> request.toBuilder().clearWait().clearOrdering().clearTimeout().setCollectionName(name)
                            .setPointsSelector(CollectionRecords.idSelector(ids)).build(),
                    request.getWait(), op -> payloads.set(ids, payload, key, overwrite, op));
        });
    }

    UpdateResult deletePayload(DeletePayloadPoints request) {
        List<JsonPath> keys = new ArrayList<>();
        for (String k : request.getKeysList()) {
            keys.add(JsonPath.parse(k));
        }
        return write(() -> {
            List<PointKey> ids = points.select(request.getPointsSelector(), true);
            return commit(Journal.Kind.DELETE_PAYLOAD,
                    () -> DeletePayloadPoints.newBuilder().setCollectionName(name).addAllKeys(request.getKeysList())
                            .setPointsSelector(CollectionRecords.idSelector(ids)).build(),
                    request.getWait(), op -> payloads.delete(ids, keys, op));
        });
    }

    UpdateResult clearPayload(ClearPayloadPoints request) {
        return write(() -> {
            List<PointKey> ids = points.select(request.getPoints(), true);
            return commit(Journal.Kind.CLEAR_PAYLOAD,
                    () -> ClearPayloadPoints.newBuilder().setCollectionName(name)
                            .setPoints(CollectionRecords.idSelector(ids)).build(),
                    request.getWait(), op -> payloads.clear(ids, op));
        });
    }

    UpdateResult updateVectors(UpdatePointVectors request) {
        return write(() -> updateVectorsLocked(request));
    }

    private UpdateResult updateVectorsLocked(UpdatePointVectors request) {
        List<PreparedPoint> prepared = new ArrayList<>();
        for (PointVectors pv : request.getPointsList()) {
            if (!pv.hasId()) {
                throw QdrantErrors.invalidArgument("Empty ID is not allowed");
            }
            prepared.add(new PreparedPoint(PointKey.of(pv.getId()), null,
                    points.schema().fromRequest(pv.getVectors(), false)));
        }
        Filters.Cond updateFilter = request.hasUpdateFilter() ? points.compile(request.getUpdateFilter()) : null;
        {
            List<PreparedPoint> effective = new ArrayList<>();
            for (PreparedPoint p : prepared) {
                PointEntry existing = points.get(p.id());
                if (existing == null) {
                    throw QdrantErrors.pointNotFound(p.id());
                }
                if (updateFilter == null || updateFilter.test(existing.payload, existing)) {
                    effective.add(p);
                }
            }
            return commit(Journal.Kind.UPDATE_VECTORS, () -> records.updateVectors(effective), request.getWait(),
                    op -> points.updateVectors(effective, op));
        }
    }

    UpdateResult deleteVectors(DeletePointVectors request) {
        return write(() -> {
            List<String> which = request.getVectors().getNamesList();
            points.checkVectorNames(which);
            List<PointKey> ids = points.select(request.getPointsSelector(), true);
            return commit(Journal.Kind.DELETE_VECTORS,
                    () -> DeletePointVectors.newBuilder().setCollectionName(name)
                            .setPointsSelector(CollectionRecords.idSelector(ids))
                            .setVectors(request.getVectors()).build(),
                    request.getWait(), op -> points.deleteVectors(ids, which, op));
        });
    }

    UpdateResult createFieldIndex(CreateFieldIndexCollection request) {
        if (request.getFieldName().isEmpty()) {
            throw QdrantErrors.validation("field_name", "must not be empty");
        }
        JsonPath.parse(request.getFieldName());
        if (request.getFieldIndexParams().hasTextIndexParams()) {
            TextTokenizer.check(request.getFieldIndexParams().getTextIndexParams());
        }
        return write(() -> {
            PayloadSchemaInfo schema = PayloadIndexes.info(request, points);
            return commit(Journal.Kind.CREATE_INDEX,
                    () -> PayloadIndexes.request(name, request.getFieldName(), schema),
                    request.getWait(), op -> indexes.put(request.getFieldName(), schema));
        });
    }

    UpdateResult deleteFieldIndex(DeleteFieldIndexCollection request) {
        return write(() -> commit(Journal.Kind.DELETE_INDEX,
                () -> DeleteFieldIndexCollection.newBuilder().setCollectionName(name)
                        .setFieldName(request.getFieldName()).build(),
                request.getWait(), op -> indexes.remove(request.getFieldName())));
    }

    UpdateResult createVectorName(CreateVectorNameRequest request) {
        return write(() -> {
            if (request.hasSparseConfig()) {
                vectorNames.checkSparse(request);
            } else {
                vectorNames.check(request);
            }
            return commit(Journal.Kind.CREATE_VECTOR_NAME,
                    () -> request.toBuilder().clearWait().clearTimeout().clearOrdering().setCollectionName(name)
                            .build(),
                    request.getWait(), op -> vectorNames.apply(request));
        });
    }

    UpdateResult deleteVectorName(DeleteVectorNameRequest request) {
        return write(() -> commit(Journal.Kind.DELETE_VECTOR_NAME,
                () -> request.toBuilder().clearWait().clearTimeout().clearOrdering().setCollectionName(name).build(),
                request.getWait(), op -> vectorNames.delete(request.getVectorName())));
    }

    /** Applies the parts of an {@code UpdateCollection} that change what collection info reports. */
    void update(UpdateCollection request) {
        lock.writeLock().lock();
        try {
            CreateCollection updated = settings.updated(request);
            Journal j = journal;
            if (j != null) {
                j.append(Journal.Kind.UPDATE_COLLECTION, 0, request.toBuilder().setCollectionName(name).build(),
                        true);
            }
            settings.spec(updated);
            points.schema().sparseModifiers(updated);
        } finally {
            lock.writeLock().unlock();
        }
    }

    // ------------------------------------------------------------------------------------------- reads

    List<RetrievedPoint> get(GetPoints request) {
        return read(() -> reads.get(request));
    }

    ScrollResponse scroll(ScrollPoints request) {
        long limit = PointReads.scrollLimit(request);
        return read(() -> reads.scroll(request, limit, points.compile(request.getFilter())));
    }

    long count(CountPoints request) {
        return read(() -> reads.count(points.compile(request.getFilter())));
    }

    List<ScoredPoint> search(SearchPoints request) {
        return read(() -> queries.search(request));
    }

    List<ScoredPoint> query(QueryPoints request) {
        return read(() -> queries.query(request));
    }

    List<PointGroup> queryGroups(QueryPointGroups request) {
        return read(() -> groups.query(request));
    }

    SearchMatrixPairs matrixPairs(SearchMatrixPoints request) {
        return read(() -> matrix.pairs(request));
    }

    SearchMatrixOffsets matrixOffsets(SearchMatrixPoints request) {
        return read(() -> matrix.offsets(request));
    }

    List<FacetHit> facet(FacetCounts request) {
        return read(() -> facets.count(request));
    }

    /** A point's stored vector as a query input (for {@code lookup_from} in another collection's query). */
    VectorInput storedVector(PointKey id, String vectorName) {
        return read(() -> {
            PointEntry e = points.get(id);
            int sparse = points.schema().sparseIndex(vectorName);
            if (sparse >= 0) {
                if (e == null || e.sparse[sparse] == null) {
                    throw QdrantErrors.pointNotFound(id);
                }
                return VectorInput.newBuilder().setSparse(e.sparse[sparse].toProto()).build();
            }
            int store = points.schema().index(vectorName);
            if (e == null || !e.hasVector(store)) {
                throw QdrantErrors.pointNotFound(id);
            }
            return VectorInput.newBuilder().setDense(VectorSchema.denseProto(
                    points.schema().store(store).get(e.slots[store]))).build();
        });
    }

    CollectionInfo info() {
        return read(() -> {
            CollectionInfo.Builder info = CollectionInfo.newBuilder()
                    .setStatus(CollectionStatus.Green)
                    .setOptimizerStatus(OptimizerStatus.newBuilder().setOk(true))
                    .setSegmentsCount(1)
                    .setConfig(settings.config())
                    .setPointsCount(points.size())
                    .setIndexedVectorsCount(0) // no HNSW index is ever built: everything is a full scan
                    .setUpdateQueue(UpdateQueueInfo.newBuilder().setLength(0));
            for (Map.Entry<String, PayloadSchemaInfo> e : indexes.all().entrySet()) {
                info.putPayloadSchema(e.getKey(), e.getValue().toBuilder()
                        .setPoints(PayloadIndexes.indexedPoints(e.getKey(), points)).build());
            }
            return info.build();
        });
    }

    long pointCount() {
        return read(points::size);
    }

    // --------------------------------------------------------------------------------- replay/snapshot

    /** Re-applies a journalled effect; the operation id it carried keeps versions and ids as they were. */
    void replay(Journal.Kind kind, long aux, byte[] body) throws InvalidProtocolBufferException {
        nextOperationId = records.replay(kind, aux, body, nextOperationId);
    }

    /** The records that recreate this collection as it is now: config, indexes, points, operation counter. */
    List<Journal.Entry> snapshot() {
        return read(() -> records.snapshot(nextOperationId));
    }

    // ----------------------------------------------------------------------------------- internals

    private <T> T read(Supplier<T> read) {
        lock.readLock().lock();
        try {
            return read.get();
        } finally {
            lock.readLock().unlock();
        }
    }

    private UpdateResult write(Supplier<UpdateResult> write) {
        lock.writeLock().lock();
        try {
            return write.get();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Journals and applies one write under the write lock. The effect message is only built when there is a
     * journal to write it to.
     */
    private UpdateResult commit(Journal.Kind kind, Supplier<MessageLite> effect, boolean wait, LongConsumer apply) {
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
}
