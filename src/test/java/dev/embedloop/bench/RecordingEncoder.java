package dev.embedloop.bench;

import dev.embedloop.encode.ModelDescriptor;
import dev.embedloop.encode.TextEncoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;

/**
 * Wraps the indexer's encoder to see how the pipeline calls it (texts per call, time per call),
 * and optionally to prototype a fix: {@code longestFirst} hands the texts to the encoder longest
 * first and puts the vectors back in order, which is what the encoder's own scheduling would do
 * with longest-processing-time-first ordering of its one-text tasks.
 */
final class RecordingEncoder implements TextEncoder {

    private final TextEncoder delegate;
    private final boolean longestFirst;
    private final List<long[]> calls = Collections.synchronizedList(new ArrayList<>());

    RecordingEncoder(TextEncoder delegate, boolean longestFirst) {
        this.delegate = delegate;
        this.longestFirst = longestFirst;
    }

    @Override
    public ModelDescriptor model() {
        return delegate.model();
    }

    @Override
    public List<float[]> encodeDocuments(List<String> texts) {
        long t0 = System.nanoTime();
        List<float[]> out;
        if (longestFirst && texts.size() > 1) {
            Integer[] order = new Integer[texts.size()];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, Comparator.comparingInt((Integer i) -> texts.get(i).length()).reversed());
            List<String> sorted = new ArrayList<>(texts.size());
            for (int i : order) {
                sorted.add(texts.get(i));
            }
            List<float[]> vectors = delegate.encodeDocuments(sorted);
            float[][] back = new float[texts.size()][];
            for (int k = 0; k < order.length; k++) {
                back[order[k]] = vectors.get(k);
            }
            out = Arrays.asList(back);
        } else {
            out = delegate.encodeDocuments(texts);
        }
        calls.add(new long[] {texts.size(), System.nanoTime() - t0});
        return out;
    }

    @Override
    public float[] encodeQuery(String text) {
        return delegate.encodeQuery(text);
    }

    @Override
    public void close() {
        // the delegate belongs to its Models
    }

    void reset() {
        calls.clear();
    }

    /** Calls by number of texts: count and total time. */
    String histogram() {
        TreeMap<Integer, long[]> bySize = new TreeMap<>();
        long n = 0;
        long texts = 0;
        synchronized (calls) {
            for (long[] c : calls) {
                long[] agg = bySize.computeIfAbsent((int) c[0], k -> new long[2]);
                agg[0]++;
                agg[1] += c[1];
                n++;
                texts += c[0];
            }
        }
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%d `encodeDocuments` calls, %.1f texts per call on "
                + "average; texts per call → calls (time): ", n, n == 0 ? 0.0 : (double) texts / n));
        List<String> parts = new ArrayList<>();
        bySize.forEach((size, agg) -> parts.add(String.format(Locale.ROOT, "%d → %d (%.1f s)", size, agg[0], agg[1] / 1e9)));
        return sb.append(String.join(", ", parts)).toString();
    }
}
