package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.Points.SparseVector;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * A sparse vector: strictly increasing indices and their weights, immutable.
 *
 * <p>Validated like Qdrant's {@code validate_sparse_vector_impl}: as many values as indices, no index twice.
 * Sparse vectors are always compared by dot product over their common indices.
 */
record SparseVec(int[] indices, float[] values) {

    /** Validates and sorts a protobuf sparse vector (indices are {@code uint32}). */
    static SparseVec of(SparseVector v) {
        return of(v.getIndicesList(), v.getValuesList());
    }

    static SparseVec of(java.util.List<Integer> indices, java.util.List<Float> values) {
        if (indices.size() != values.size()) {
            throw QdrantErrors.validation("values", "must be the same length as indices");
        }
        Set<Integer> seen = new HashSet<>();
        for (int i : indices) {
            if (!seen.add(i)) {
                throw QdrantErrors.validation("indices", "must be unique");
            }
        }
        Integer[] order = new Integer[indices.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Integer.compareUnsigned(indices.get(a), indices.get(b)));
        int[] sortedIndices = new int[order.length];
        float[] sortedValues = new float[order.length];
        for (int i = 0; i < order.length; i++) {
            sortedIndices[i] = indices.get(order[i]);
            sortedValues[i] = values.get(order[i]);
        }
        return new SparseVec(sortedIndices, sortedValues);
    }

    SparseVector toProto() {
        SparseVector.Builder b = SparseVector.newBuilder();
        for (int i = 0; i < indices.length; i++) {
            b.addIndices(indices[i]).addValues(values[i]);
        }
        return b.build();
    }

    /** The dot product with {@code query}, or {@code null} when they share no index (no match at all). */
    Float dot(SparseVec query, float[] queryWeights) {
        int i = 0;
        int j = 0;
        float sum = 0;
        boolean overlap = false;
        while (i < indices.length && j < query.indices.length) {
            int c = Integer.compareUnsigned(indices[i], query.indices[j]);
            if (c == 0) {
                sum += values[i] * queryWeights[j];
                overlap = true;
                i++;
                j++;
            } else if (c < 0) {
                i++;
            } else {
                j++;
            }
        }
        return overlap ? sum : null;
    }
}
