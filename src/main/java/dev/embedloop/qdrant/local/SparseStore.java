package dev.embedloop.qdrant.local;

import java.util.HashMap;
import java.util.Map;

/**
 * A sparse vector name of a collection: whether it applies Qdrant's IDF modifier, and the document frequencies
 * that IDF needs. The vectors themselves live on the points ({@link PointEntry#sparse}). Not thread-safe:
 * guarded by the collection's lock.
 */
final class SparseStore {

    final String name;
    /** Whether the IDF modifier applies; {@code UpdateCollection} can change it. */
    boolean idf;
    private final Map<Integer, Integer> documentFrequency = new HashMap<>();
    private int vectors;

    SparseStore(String name, boolean idf) {
        this.name = name;
        this.idf = idf;
    }

    void added(SparseVec v) {
        vectors++;
        for (int index : v.indices()) {
            documentFrequency.merge(index, 1, Integer::sum);
        }
    }

    void removed(SparseVec v) {
        vectors--;
        for (int index : v.indices()) {
            documentFrequency.merge(index, -1, (a, b) -> a + b == 0 ? null : a + b);
        }
    }

    /**
     * The query's weights, multiplied by Qdrant's IDF ({@code ln((n - df + 0.5) / (df + 0.5) + 1)}, n the number
     * of vectors, df those with the index) when this name has the IDF modifier.
     */
    float[] weights(SparseVec query) {
        float[] w = query.values().clone();
        if (idf) {
            for (int i = 0; i < w.length; i++) {
                float df = documentFrequency.getOrDefault(query.indices()[i], 0);
                w[i] *= (float) Math.log((vectors - df + 0.5f) / (df + 0.5f) + 1f);
            }
        }
        return w;
    }
}
