package dev.embedloop.qdrant.local;

import com.google.protobuf.InvalidProtocolBufferException;
import io.qdrant.client.grpc.Collections.GetCollectionInfoRequest;
import io.qdrant.client.grpc.Collections.PayloadSchemaInfo;
import io.qdrant.client.grpc.Collections.UpdateCollection;
import io.qdrant.client.grpc.Common.PointId;
import io.qdrant.client.grpc.JsonWithInt.Struct;
import io.qdrant.client.grpc.Points.ClearPayloadPoints;
import io.qdrant.client.grpc.Points.CreateFieldIndexCollection;
import io.qdrant.client.grpc.Points.CreateVectorNameRequest;
import io.qdrant.client.grpc.Points.DeleteVectorNameRequest;
import io.qdrant.client.grpc.Points.DeleteFieldIndexCollection;
import io.qdrant.client.grpc.Points.DeletePayloadPoints;
import io.qdrant.client.grpc.Points.DeletePointVectors;
import io.qdrant.client.grpc.Points.DeletePoints;
import io.qdrant.client.grpc.Points.PointStruct;
import io.qdrant.client.grpc.Points.PointVectors;
import io.qdrant.client.grpc.Points.PointsIdsList;
import io.qdrant.client.grpc.Points.PointsSelector;
import io.qdrant.client.grpc.Points.UpdatePointVectors;
import io.qdrant.client.grpc.Points.UpsertPoints;
import io.qdrant.client.grpc.Points.Vectors;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A collection's journal records: builds the effect record of each write, re-applies records on replay, and
 * writes the whole collection out as records for compaction and snapshots.
 *
 * <p>Not thread-safe: replay runs before the collection is shared, snapshots under its read lock.
 */
final class CollectionRecords {

    private static final int SNAPSHOT_BATCH = 256;

    private final String name;
    private final CollectionSettings settings;
    private final PointStore points;
    private final PayloadUpdates payloads;
    private final PayloadIndexes indexes;
    private final VectorNames vectorNames;

    CollectionRecords(String name, CollectionSettings settings, PointStore points, PayloadUpdates payloads,
                      PayloadIndexes indexes, VectorNames vectorNames) {
        this.vectorNames = vectorNames;
        this.name = name;
        this.settings = settings;
        this.points = points;
        this.payloads = payloads;
        this.indexes = indexes;
    }

    // ------------------------------------------------------------------------------------ effects

    UpsertPoints upsert(List<PreparedPoint> prepared) {
        UpsertPoints.Builder b = UpsertPoints.newBuilder().setCollectionName(name);
        VectorSchema schema = points.schema();
        for (PreparedPoint p : prepared) {
            b.addPoints(PointStruct.newBuilder().setId(p.id().toProto()).putAllPayload(p.payload().getFieldsMap())
                    .setVectors(schema.toProto(p.vectors())));
        }
        return b.build();
    }

    UpdatePointVectors updateVectors(List<PreparedPoint> prepared) {
        UpdatePointVectors.Builder b = UpdatePointVectors.newBuilder().setCollectionName(name);
        for (PreparedPoint p : prepared) {
            b.addPoints(PointVectors.newBuilder().setId(p.id().toProto())
                    .setVectors(Vectors.newBuilder().setVectors(points.schema().named(p.vectors()))));
        }
        return b.build();
    }

    static PointsSelector idSelector(List<PointKey> ids) {
        PointsIdsList.Builder list = PointsIdsList.newBuilder();
        for (PointKey id : ids) {
            list.addIds(id.toProto());
        }
        return PointsSelector.newBuilder().setPoints(list).build();
    }

    private static List<PointKey> ids(PointsSelector selector) {
        List<PointKey> ids = new ArrayList<>();
        for (PointId id : selector.getPoints().getIdsList()) {
            ids.add(PointKey.of(id));
        }
        return ids;
    }

    // ------------------------------------------------------------------------------------- replay

    /**
     * Re-applies a journalled effect; the operation id it carried keeps versions and ids as they were.
     *
     * @return the collection's next operation id after this record
     */
    long replay(Journal.Kind kind, long aux, byte[] body, long nextOperationId)
            throws InvalidProtocolBufferException {
        VectorSchema schema = points.schema();
        switch (kind) {
            case UPSERT -> {
                List<PreparedPoint> prepared = new ArrayList<>();
                for (PointStruct p : UpsertPoints.parseFrom(body).getPointsList()) {
                    prepared.add(new PreparedPoint(PointKey.of(p.getId()),
                            Struct.newBuilder().putAllFields(p.getPayloadMap()).build(),
                            schema.fromJournal(p.getVectors())));
                }
                points.upsert(prepared, aux);
            }
            case DELETE_POINTS -> points.delete(ids(DeletePoints.parseFrom(body).getPoints()));
            case SET_PAYLOAD, OVERWRITE_PAYLOAD -> {
                var r = io.qdrant.client.grpc.Points.SetPayloadPoints.parseFrom(body);
                payloads.set(ids(r.getPointsSelector()), r.getPayloadMap(),
                        r.hasKey() ? JsonPath.parse(r.getKey()) : null, kind == Journal.Kind.OVERWRITE_PAYLOAD, aux);
            }
            case DELETE_PAYLOAD -> {
                DeletePayloadPoints r = DeletePayloadPoints.parseFrom(body);
                List<JsonPath> keys = new ArrayList<>();
                r.getKeysList().forEach(k -> keys.add(JsonPath.parse(k)));
                payloads.delete(ids(r.getPointsSelector()), keys, aux);
            }
            case CLEAR_PAYLOAD -> payloads.clear(ids(ClearPayloadPoints.parseFrom(body).getPoints()), aux);
            case UPDATE_VECTORS -> {
                List<PreparedPoint> prepared = new ArrayList<>();
                for (PointVectors pv : UpdatePointVectors.parseFrom(body).getPointsList()) {
                    prepared.add(new PreparedPoint(PointKey.of(pv.getId()), null, schema.fromJournal(pv.getVectors())));
                }
                points.updateVectors(prepared, aux);
            }
            case DELETE_VECTORS -> {
                DeletePointVectors r = DeletePointVectors.parseFrom(body);
                points.deleteVectors(ids(r.getPointsSelector()), r.getVectors().getNamesList(), aux);
            }
            case CREATE_INDEX -> {
                CreateFieldIndexCollection r = CreateFieldIndexCollection.parseFrom(body);
                indexes.put(r.getFieldName(), PayloadIndexes.info(r, points));
            }
            case DELETE_INDEX -> indexes.remove(DeleteFieldIndexCollection.parseFrom(body).getFieldName());
            case UPDATE_COLLECTION -> {
                settings.update(UpdateCollection.parseFrom(body));
                points.schema().sparseModifiers(settings.spec());
            }
            case CREATE_VECTOR_NAME -> {
                vectorNames.apply(CreateVectorNameRequest.parseFrom(body));
            }
            case DELETE_VECTOR_NAME -> vectorNames.delete(DeleteVectorNameRequest.parseFrom(body).getVectorName());
            case NEXT_OPERATION -> {
                return aux;
            }
            default -> throw new IllegalStateException("not a collection record: " + kind);
        }
        if (kind != Journal.Kind.UPDATE_COLLECTION) {
            return Math.max(nextOperationId, aux + 1);
        }
        return nextOperationId;
    }

    // ----------------------------------------------------------------------------------- snapshot

    /** The records that recreate the collection as it is now: config, indexes, points, operation counter. */
    List<Journal.Entry> snapshot(long nextOperationId) {
        List<Journal.Entry> out = new ArrayList<>();
        out.add(Journal.Entry.of(Journal.Kind.CREATE_COLLECTION, 0, settings.spec()));
        for (Map.Entry<String, PayloadSchemaInfo> e : indexes.all().entrySet()) {
            out.add(Journal.Entry.of(Journal.Kind.CREATE_INDEX, 0,
                    PayloadIndexes.request(name, e.getKey(), e.getValue())));
        }
        // points grouped by version, so each upsert record carries the version of all its points
        List<PointEntry> byVersion = new ArrayList<>(points.all());
        byVersion.sort((a, b) -> Long.compare(a.version, b.version));
        List<PreparedPoint> batch = new ArrayList<>();
        long version = -1;
        for (PointEntry e : byVersion) {
            if ((e.version != version || batch.size() == SNAPSHOT_BATCH) && !batch.isEmpty()) {
                out.add(Journal.Entry.of(Journal.Kind.UPSERT, version, upsert(batch)));
                batch.clear();
            }
            version = e.version;
            batch.add(new PreparedPoint(e.id, e.payload, points.schema().of(e)));
        }
        if (!batch.isEmpty()) {
            out.add(Journal.Entry.of(Journal.Kind.UPSERT, version, upsert(batch)));
        }
        out.add(Journal.Entry.of(Journal.Kind.NEXT_OPERATION, nextOperationId,
                GetCollectionInfoRequest.newBuilder().setCollectionName(name).build()));
        return out;
    }
}
