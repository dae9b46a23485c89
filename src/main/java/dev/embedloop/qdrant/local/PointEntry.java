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
    final int[] slots;

    PointEntry(PointKey id, int vectorCount) {
        this.id = id;
        this.slots = new int[vectorCount];
        Arrays.fill(slots, -1);
    }

    boolean hasVector(int vectorIndex) {
        return slots[vectorIndex] >= 0;
    }
}
