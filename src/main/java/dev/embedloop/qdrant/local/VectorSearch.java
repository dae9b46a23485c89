package dev.embedloop.qdrant.local;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * Exact search over one vector store: every stored vector that passes the filter is scored by a
 * {@link QueryScorer} and the best kept in a {@link TopK}. That is what Qdrant does for small collections and
 * with {@code exact=true}, so results are what a real Qdrant returns up to float rounding.
 *
 * <p>The caller holds the collection's read lock.
 */
final class VectorSearch {

    private final PointStore points;

    VectorSearch(PointStore points) {
        this.points = points;
    }

    /**
     * A protobuf {@code uint64} count as a usable {@code long}: values beyond what any collection can hold are
     * capped, which leaves room to add a limit and an offset without overflow.
     */
    static long unsigned(long value) {
        return value < 0 || value > Long.MAX_VALUE / 2 ? Long.MAX_VALUE / 2 : value;
    }

    /**
     * The best {@code k} points, best first.
     *
     * @param within  the only candidates (the results of prefetches), or {@code null} for every stored point
     * @param exclude points never returned (those whose vectors make up the query), or an empty set
     */
    List<ScoredHit> top(int store, QueryScorer scorer, Filters.Cond filter, Collection<PointEntry> within,
                        Set<PointKey> exclude, long k, Float threshold) {
        DenseVectors vectors = points.schema().store(store);
        TopK top = new TopK((int) Math.min(k, points.size()), scorer.smallerIsBetter);
        float[] data = vectors.data();
        int dim = vectors.dim;
        if (within == null) {
            for (int slot = 0, n = vectors.highWater(); slot < n; slot++) {
                PointEntry e = vectors.owner(slot);
                if (e == null || (filter != Filters.ALL && !filter.test(e.payload, e))) {
                    continue;
                }
                if (!exclude.isEmpty() && exclude.contains(e.id)) {
                    continue;
                }
                float score = scorer.score(data, slot * dim);
                if (threshold == null || scorer.passes(score, threshold)) {
                    top.offer(score, e);
                }
            }
        } else {
            for (PointEntry e : within) {
                int slot = e.slots[store];
                if (slot < 0 || !filter.test(e.payload, e) || exclude.contains(e.id)) {
                    continue;
                }
                float score = scorer.score(data, slot * dim);
                if (scorer.passes(score, threshold)) {
                    top.offer(score, e);
                }
            }
        }
        List<ScoredHit> out = new ArrayList<>();
        for (TopK.Hit hit : top.sorted()) {
            out.add(new ScoredHit(hit.entry(), hit.score()));
        }
        return out;
    }

    /**
     * The best {@code k} points by sparse dot product (with the name's IDF, if any), best first. As in Qdrant's
     * sparse search, points sharing no index with the query are no match.
     */
    List<ScoredHit> topSparse(int store, SparseVec query, Filters.Cond filter, Collection<PointEntry> within,
                              Set<PointKey> exclude, long k, Float threshold) {
        float[] weights = points.schema().sparseStore(store).weights(query);
        TopK top = new TopK((int) Math.min(k, points.size()), false);
        for (PointEntry e : within == null ? points.all() : within) {
            SparseVec v = e.sparse[store];
            if (v == null || exclude.contains(e.id)) {
                continue;
            }
            Float score = v.dot(query, weights);
            if (score == null || (threshold != null && score < threshold) || !filter.test(e.payload, e)) {
                continue;
            }
            top.offer(score, e);
        }
        List<ScoredHit> out = new ArrayList<>();
        for (TopK.Hit hit : top.sorted()) {
            out.add(new ScoredHit(hit.entry(), hit.score()));
        }
        return out;
    }

    /** The filtered points in id order, scored 0: a query without a query. */
    List<ScoredHit> firstById(Filters.Cond filter, Collection<PointEntry> within, long k) {
        List<ScoredHit> out = new ArrayList<>();
        Collection<PointEntry> candidates = within == null ? points.all() : sortedById(within);
        for (PointEntry e : candidates) {
            if (out.size() >= k) {
                break;
            }
            if (filter.test(e.payload, e)) {
                out.add(new ScoredHit(e, 0f));
            }
        }
        return out;
    }

    private static List<PointEntry> sortedById(Collection<PointEntry> entries) {
        List<PointEntry> sorted = new ArrayList<>(entries);
        sorted.sort((a, b) -> a.id.compareTo(b.id));
        return sorted;
    }
}
