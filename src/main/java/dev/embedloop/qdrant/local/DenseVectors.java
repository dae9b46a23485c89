package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.Collections.Distance;
import java.util.Arrays;

/**
 * The vectors of one vector name of a collection, stored back to back in a single {@code float[]}.
 *
 * <p>A flat array keeps a brute-force scan cache friendly and free of boxing; freed slots are reused so the
 * array does not grow with churn. Each slot remembers its owning {@link PointEntry} ({@code null} when free),
 * which is how a scan finds the payload to filter on. Not thread-safe: guarded by the collection's lock.
 */
final class DenseVectors {

    final String name;
    final int dim;
    final Distance distance;

    private float[] data;
    private PointEntry[] owners;
    private int highWater;
    private int[] free = new int[16];
    private int freeCount;

    DenseVectors(String name, int dim, Distance distance) {
        this.name = name;
        this.dim = dim;
        this.distance = distance;
        this.owners = new PointEntry[16];
        this.data = new float[16 * dim];
    }

    /** Copies {@code vector} into a free slot, owned by {@code owner}, and returns the slot. */
    int add(float[] vector, PointEntry owner) {
        int slot;
        if (freeCount > 0) {
            slot = free[--freeCount];
        } else {
            if (highWater == owners.length) {
                grow();
            }
            slot = highWater++;
        }
        owners[slot] = owner;
        System.arraycopy(vector, 0, data, slot * dim, dim);
        return slot;
    }

    void set(int slot, float[] vector) {
        System.arraycopy(vector, 0, data, slot * dim, dim);
    }

    void remove(int slot) {
        owners[slot] = null;
        if (freeCount == free.length) {
            free = Arrays.copyOf(free, free.length * 2);
        }
        free[freeCount++] = slot;
    }

    float[] get(int slot) {
        return Arrays.copyOfRange(data, slot * dim, slot * dim + dim);
    }

    /** Slots below this may be in use; a scan visits {@code [0, highWater())} and skips free ones. */
    int highWater() {
        return highWater;
    }

    /** The point owning {@code slot}, or {@code null} when the slot is free. */
    PointEntry owner(int slot) {
        return owners[slot];
    }

    /** The backing array; vector of slot {@code s} starts at {@code s * dim}. Read under the collection lock. */
    float[] data() {
        return data;
    }

    private void grow() {
        int capacity = owners.length * 2;
        if ((long) capacity * dim > Integer.MAX_VALUE - 16) {
            throw QdrantErrors.internal("vector storage of `" + name + "` is full");
        }
        owners = Arrays.copyOf(owners, capacity);
        data = Arrays.copyOf(data, capacity * dim);
    }
}
