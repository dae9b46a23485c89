package dev.embedloop.qdrant;

import java.util.Arrays;

/**
 * A sparse vector as Qdrant takes it: strictly increasing unsigned 32-bit indices (read
 * {@code int}s as unsigned) and one finite value per index.
 */
public record SparseVector(int[] indices, float[] values) {

    public SparseVector {
        if (indices.length != values.length) {
            throw new IllegalArgumentException("indices and values differ in length");
        }
        indices = indices.clone();
        values = values.clone();
        for (int i = 1; i < indices.length; i++) {
            if (Integer.compareUnsigned(indices[i - 1], indices[i]) >= 0) {
                throw new IllegalArgumentException("indices must be strictly increasing (unsigned)");
            }
        }
    }

    public boolean isEmpty() {
        return indices.length == 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SparseVector v && Arrays.equals(indices, v.indices) && Arrays.equals(values, v.values);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(indices) + Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        return "SparseVector[" + indices.length + " terms]";
    }
}
