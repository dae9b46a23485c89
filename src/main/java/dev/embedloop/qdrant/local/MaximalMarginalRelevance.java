package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.Collections.Distance;
import java.util.ArrayList;
import java.util.List;

/**
 * Qdrant's MMR re-ranking ({@code shard/src/query/mmr}): the most relevant candidate first, then repeatedly the
 * one maximising {@code lambda * relevance - (1 - lambda) * max similarity to those already picked}, where
 * similarities are Qdrant's raw ones ({@link VectorMath#similarity}) and {@code lambda = 1 - diversity}
 * (default 0.5). Picked points keep the score they came with, as in Qdrant.
 */
final class MaximalMarginalRelevance {

    private MaximalMarginalRelevance() {
    }

    /**
     * @param candidates the candidates with their scores; only those with a vector in {@code store} count
     */
    static List<ScoredHit> select(List<ScoredHit> candidates, DenseVectors store, int storeIndex, float[] query,
                                  float lambda, long limit) {
        Distance distance = store.distance;
        List<ScoredHit> usable = new ArrayList<>();
        List<float[]> vectors = new ArrayList<>();
        for (ScoredHit hit : candidates) {
            int slot = hit.entry().slots[storeIndex];
            if (slot >= 0) {
                usable.add(hit);
                vectors.add(store.get(slot));
            }
        }
        int n = usable.size();
        float[] relevance = new float[n];
        for (int i = 0; i < n; i++) {
            relevance[i] = VectorMath.similarity(distance, query, vectors.get(i), 0);
        }
        float[] maxToSelected = new float[n];
        java.util.Arrays.fill(maxToSelected, Float.NEGATIVE_INFINITY);
        boolean[] selected = new boolean[n];
        List<ScoredHit> out = new ArrayList<>();
        while (out.size() < limit && out.size() < n) {
            int best = -1;
            float bestScore = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                if (selected[i]) {
                    continue;
                }
                float score = out.isEmpty() ? relevance[i]
                        : lambda * relevance[i] - (1 - lambda) * maxToSelected[i];
                if (best < 0 || score >= bestScore) {
                    best = i;
                    bestScore = score;
                }
            }
            selected[best] = true;
            out.add(usable.get(best));
            for (int i = 0; i < n; i++) {
                if (!selected[i]) {
                    maxToSelected[i] = Math.max(maxToSelected[i],
                            VectorMath.similarity(distance, vectors.get(best), vectors.get(i), 0));
                }
            }
        }
        return out;
    }
}
