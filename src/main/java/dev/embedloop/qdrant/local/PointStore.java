package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.Common.Filter;
import io.qdrant.client.grpc.Common.PointId;
import io.qdrant.client.grpc.Points.PointsSelector;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * The points of a collection in id order, and their vectors in the collection's vector stores.
 *
 * <p>Applies already validated changes (upserts, vector updates, deletions) and resolves point selectors. Not
 * thread-safe: guarded by the collection's lock.
 */
final class PointStore {

    private final TreeMap<PointKey, PointEntry> points = new TreeMap<>();
    private final VectorSchema schema;
    private final PayloadIndexes indexes;

    PointStore(VectorSchema schema, PayloadIndexes indexes) {
        this.schema = schema;
        this.indexes = indexes;
    }

    VectorSchema schema() {
        return schema;
    }

    PointEntry get(PointKey id) {
        return points.get(id);
    }

    boolean contains(PointKey id) {
        return points.containsKey(id);
    }

    int size() {
        return points.size();
    }

    /** Every point, in id order. */
    Collection<PointEntry> all() {
        return points.values();
    }

    /** The points from {@code offset} on (all when {@code null}), in id order. */
    NavigableMap<PointKey, PointEntry> from(PointKey offset) {
        return offset == null ? points : points.tailMap(offset, true);
    }

    /** Compiles a filter against this collection's vector names and payload indexes. */
    Filters.Cond compile(Filter filter) {
        return Filters.compile(filter, schema.indexes(), indexes.all());
    }

    /**
     * The ids a selector picks, in order. Explicit ids that do not exist fail with Qdrant's "No point with id"
     * when {@code mustExist} (payload and vector updates); a filter only ever picks existing points.
     */
    List<PointKey> select(PointsSelector selector, boolean mustExist) {
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

    void upsert(List<PreparedPoint> prepared, long version) {
        for (PreparedPoint p : prepared) {
            PointEntry e = points.computeIfAbsent(p.id(), id -> new PointEntry(id, schema.size()));
            e.payload = p.payload();
            e.version = version;
            for (int i = 0; i < schema.size(); i++) {
                setVector(e, i, p.vectors()[i], true);
            }
        }
    }

    void updateVectors(List<PreparedPoint> prepared, long version) {
        for (PreparedPoint p : prepared) {
            PointEntry e = points.get(p.id());
            if (e == null) {
                continue;
            }
            e.version = version;
            for (int i = 0; i < schema.size(); i++) {
                setVector(e, i, p.vectors()[i], false);
            }
        }
    }

    void deleteVectors(List<PointKey> ids, List<Integer> which, long version) {
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

    void delete(Collection<PointKey> ids) {
        for (PointKey id : ids) {
            PointEntry e = points.remove(id);
            if (e != null) {
                for (int i = 0; i < schema.size(); i++) {
                    if (e.slots[i] >= 0) {
                        schema.store(i).remove(e.slots[i]);
                    }
                }
            }
        }
    }

    /** Adds an empty store for a new vector name; no point has a vector for it yet. */
    void addVectorName(DenseVectors store) {
        schema.add(store);
        for (PointEntry e : points.values()) {
            e.addVectorSlot();
        }
    }

    /** Drops a vector name and every point's vector for it; returns whether it existed. */
    boolean removeVectorName(String vectorName) {
        int index = schema.remove(vectorName);
        if (index < 0) {
            return false;
        }
        for (PointEntry e : points.values()) {
            e.removeVectorSlot(index);
        }
        return true;
    }

    /** Stores {@code vector} as the point's vector {@code i}; {@code null} removes it when {@code replace}. */
    private void setVector(PointEntry e, int i, float[] vector, boolean replace) {
        int slot = e.slots[i];
        DenseVectors store = schema.store(i);
        if (vector != null) {
            if (slot >= 0) {
                store.set(slot, vector);
            } else {
                e.slots[i] = store.add(vector, e);
            }
        } else if (replace && slot >= 0) {
            store.remove(slot);
            e.slots[i] = -1;
        }
    }
}
