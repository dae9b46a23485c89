package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.JsonWithInt.Struct;
import java.util.Arrays;

/**
 * A stored point: its id, payload, version and where each of its vectors lives.
 *
 * <p>Mutable on purpose, and only ever touched under its collection's lock: the vector stores point back at the
 * entry from each slot, so a search can read the payload of a candidate without a map lookup.
 */
final class PointEntry {

    final PointKey id;
    /** The payload; protobuf messages are immutable, so readers may keep a reference after the lock is gone. */
    Struct payload = Struct.getDefaultInstance();
    /** The operation id of the last update applied to this point, reported as {@code ScoredPoint.version}. */
    long version;
    /** Slot of each vector (indexed like the collection's vector stores) in its store, or -1 when absent. */
    int[] slots;

    /** The point's sparse vectors, indexed like the collection's sparse names, {@code null} where absent. */
    SparseVec[] sparse;

    PointEntry(PointKey id, int vectorCount, int sparseCount) {
        this.id = id;
        this.slots = new int[vectorCount];
        Arrays.fill(slots, -1);
        this.sparse = new SparseVec[sparseCount];
    }

    /** Whether the point has the vector a {@code has_vector} index names (see VectorSchema#hasVectorIndexes). */
    boolean hasAnyVector(int hasVectorIndex) {
        return hasVectorIndex >= 0 ? slots[hasVectorIndex] >= 0 : sparse[-1 - hasVectorIndex] != null;
    }

    boolean hasVector(int vectorIndex) {
        return slots[vectorIndex] >= 0;
    }

    /** Makes room for one more vector name, which the point does not have. */
    void addVectorSlot() {
        slots = Arrays.copyOf(slots, slots.length + 1);
        slots[slots.length - 1] = -1;
    }

    /** Forgets vector {@code index}; the ones after it move down by one. */
    void removeVectorSlot(int index) {
        int[] kept = new int[slots.length - 1];
        System.arraycopy(slots, 0, kept, 0, index);
        System.arraycopy(slots, index + 1, kept, index, slots.length - index - 1);
        slots = kept;
    }
}
