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
        return Filters.compile(filter, schema.hasVectorIndexes(), indexes.all());
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
            PointEntry e = points.computeIfAbsent(p.id(),
                    id -> new PointEntry(id, schema.size(), schema.sparseSize()));
            e.payload = p.payload();
            e.version = version;
            for (int i = 0; i < schema.size(); i++) {
                setVector(e, i, p.vectors().dense()[i], true);
            }
            for (int i = 0; i < schema.sparseSize(); i++) {
                setSparse(e, i, p.vectors().sparse()[i], true);
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
                setVector(e, i, p.vectors().dense()[i], false);
            }
            for (int i = 0; i < schema.sparseSize(); i++) {
                setSparse(e, i, p.vectors().sparse()[i], false);
            }
        }
    }

    /** Resolves vector names for a vector deletion; an unknown name fails like Qdrant. */
    void checkVectorNames(List<String> names) {
        for (String name : names) {
            if (schema.sparseIndex(name) < 0) {
                schema.index(name);
            }
        }
    }

    void deleteVectors(List<PointKey> ids, List<String> names, long version) {
        for (PointKey id : ids) {
            PointEntry e = points.get(id);
            if (e == null) {
                continue;
            }
            for (String name : names) {
                int s = schema.sparseIndex(name);
                if (s >= 0) {
                    setSparse(e, s, null, true);
                } else {
                    setVector(e, schema.index(name), null, true);
                }
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
                for (int i = 0; i < schema.sparseSize(); i++) {
                    setSparse(e, i, null, true);
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

    /** Adds a sparse vector name; no point has a vector for it yet. */
    void addSparseName(SparseStore store) {
        schema.addSparse(store);
        for (PointEntry e : points.values()) {
            e.sparse = java.util.Arrays.copyOf(e.sparse, e.sparse.length + 1);
        }
    }

    /** Drops a sparse vector name and every point's vector for it; returns whether it existed. */
    boolean removeSparseName(String vectorName) {
        int index = schema.removeSparse(vectorName);
        if (index < 0) {
            return false;
        }
        for (PointEntry e : points.values()) {
            SparseVec[] kept = new SparseVec[e.sparse.length - 1];
            System.arraycopy(e.sparse, 0, kept, 0, index);
            System.arraycopy(e.sparse, index + 1, kept, index, kept.length - index);
            e.sparse = kept;
        }
        return true;
    }

    private void setSparse(PointEntry e, int i, SparseVec vector, boolean replace) {
        if (vector == null && !replace) {
            return;
        }
        SparseStore store = schema.sparseStore(i);
        if (e.sparse[i] != null) {
            store.removed(e.sparse[i]);
        }
        e.sparse[i] = vector;
        if (vector != null) {
            store.added(vector);
        }
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
