package dev.embedloop.qdrant.local;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Merges the ranked results of several prefetches into one, as Qdrant's {@code reciprocal_rank_fusion.rs} and
 * {@code score_fusion.rs} do. Ties are broken by point id, where Qdrant leaves them open.
 */
final class Fusion {

    /** Qdrant's {@code DEFAULT_RRF_K}. */
    static final int DEFAULT_RRF_K = 2;

    private Fusion() {
    }

    /**
     * Reciprocal rank fusion: a point scores {@code sum 1 / ((rank + 1) / weight + k - 1)} over the lists it is
     * in, ranks counted from 0; with weight 1 that is the classic {@code 1 / (rank + k)}.
     */
    static List<ScoredHit> rrf(List<List<ScoredHit>> sources, int k, List<Float> weights) {
        if (!weights.isEmpty() && weights.size() != sources.size()) {
            throw QdrantErrors.badRequest("Number of weights in RRF should match number of pre-fetches: got "
                    + weights.size() + ", expected " + sources.size());
        }
        Map<PointKey, float[]> scores = new LinkedHashMap<>();
        Map<PointKey, PointEntry> entries = new LinkedHashMap<>();
        for (int s = 0; s < sources.size(); s++) {
            float weight = weights.isEmpty() ? 1f : weights.get(s);
            List<ScoredHit> source = sources.get(s);
            for (int position = 0; position < source.size(); position++) {
                PointEntry e = source.get(position).entry();
                float score = weight <= 0 ? 0f : 1f / ((position + 1) / weight + k - 1f);
                scores.computeIfAbsent(e.id, id -> new float[1])[0] += score;
                entries.putIfAbsent(e.id, e);
            }
        }
        return sorted(scores, entries);
    }

    /**
     * Distribution-based score fusion: each list's scores are normalised to [0, 1] between mean - 3 sd and
     * mean + 3 sd (a single hit scores 0.5), then summed per point.
     */
    static List<ScoredHit> dbsf(List<List<ScoredHit>> sources) {
        Map<PointKey, float[]> scores = new LinkedHashMap<>();
        Map<PointKey, PointEntry> entries = new LinkedHashMap<>();
        for (List<ScoredHit> source : sources) {
            float[] normalised = normalise(source);
            for (int i = 0; i < source.size(); i++) {
                PointEntry e = source.get(i).entry();
                scores.computeIfAbsent(e.id, id -> new float[1])[0] += normalised[i];
                entries.putIfAbsent(e.id, e);
            }
        }
        return sorted(scores, entries);
    }

    private static float[] normalise(List<ScoredHit> hits) {
        float[] out = new float[hits.size()];
        if (hits.size() == 1) {
            out[0] = 0.5f;
            return out;
        }
        if (hits.isEmpty()) {
            return out;
        }
        // Welford's one-pass mean and sample variance, as Qdrant computes them
        float mean = 0;
        float aggregate = 0;
        for (int i = 0; i < hits.size(); i++) {
            float score = hits.get(i).score();
            float oldDelta = score - mean;
            mean += oldDelta / (i + 1);
            aggregate += oldDelta * (score - mean);
        }
        float sd = (float) Math.sqrt(aggregate / (hits.size() - 1f));
        float min = mean - 3 * sd;
        float max = mean + 3 * sd;
        for (int i = 0; i < out.length; i++) {
            out[i] = min == max ? 0.5f : (hits.get(i).score() - min) / (max - min);
        }
        return out;
    }

    private static List<ScoredHit> sorted(Map<PointKey, float[]> scores, Map<PointKey, PointEntry> entries) {
        List<ScoredHit> out = new ArrayList<>(scores.size());
        for (Map.Entry<PointKey, float[]> e : scores.entrySet()) {
            out.add(new ScoredHit(entries.get(e.getKey()), e.getValue()[0]));
        }
        out.sort((a, b) -> a.score() != b.score() ? Float.compare(b.score(), a.score())
                : a.entry().id.compareTo(b.entry().id));
        return out;
    }
}
