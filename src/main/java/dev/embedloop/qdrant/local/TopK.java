package dev.embedloop.qdrant.local;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Keeps the best {@code capacity} scored points seen so far, in a heap whose root is the worst kept one.
 *
 * <p>"Best" is the largest score for similarities (Cosine, Dot) and the smallest for distances (Euclid,
 * Manhattan). Equal scores rank by point id, so results are deterministic where Qdrant leaves the order open.
 */
final class TopK {

    /** One kept point and its score. */
    record Hit(float score, PointEntry entry) {
    }

    private final boolean smallerIsBetter;
    private final int capacity;
    private final float[] scores;
    private final PointEntry[] entries;
    private int size;

    TopK(int capacity, boolean smallerIsBetter) {
        this.capacity = capacity;
        this.smallerIsBetter = smallerIsBetter;
        this.scores = new float[capacity];
        this.entries = new PointEntry[capacity];
    }

    void offer(float score, PointEntry entry) {
        if (size < capacity) {
            scores[size] = score;
            entries[size] = entry;
            siftUp(size++);
        } else if (capacity > 0 && better(score, entry, scores[0], entries[0])) {
            scores[0] = score;
            entries[0] = entry;
            siftDown(0);
        }
    }

    /** The kept points, best first. */
    List<Hit> sorted() {
        List<Hit> hits = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            hits.add(new Hit(scores[i], entries[i]));
        }
        Comparator<Hit> bestFirst = (a, b) -> better(a.score(), a.entry(), b.score(), b.entry()) ? -1
                : better(b.score(), b.entry(), a.score(), a.entry()) ? 1 : 0;
        hits.sort(bestFirst);
        return hits;
    }

    private boolean better(float sa, PointEntry a, float sb, PointEntry b) {
        if (sa != sb) {
            return smallerIsBetter ? sa < sb : sa > sb;
        }
        return a.id.compareTo(b.id) < 0;
    }

    private boolean better(int i, int j) {
        return better(scores[i], entries[i], scores[j], entries[j]);
    }

    // invariant: no child is worse than its parent, so the root is the worst kept hit
    private void siftUp(int i) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!better(parent, i)) {
                return;
            }
            swap(i, parent);
            i = parent;
        }
    }

    private void siftDown(int i) {
        while (true) {
            int worst = i;
            int left = 2 * i + 1;
            int right = left + 1;
            if (left < size && better(worst, left)) {
                worst = left;
            }
            if (right < size && better(worst, right)) {
                worst = right;
            }
            if (worst == i) {
                return;
            }
            swap(i, worst);
            i = worst;
        }
    }

    private void swap(int i, int j) {
        float s = scores[i];
        scores[i] = scores[j];
        scores[j] = s;
        PointEntry e = entries[i];
        entries[i] = entries[j];
        entries[j] = e;
    }

    @Override
    public String toString() {
        return "TopK" + Arrays.toString(Arrays.copyOf(scores, size));
    }
}
