package dev.embedloop.chunk;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.RandomAccess;

/**
 * A read-only list of {@link Tokenization.Span}s stored as one {@code int[]} of start/end pairs.
 *
 * <p>A 10 MB text has a few million tokens; as {@code Span} objects in an {@code ArrayList} they
 * would take roughly 30 bytes each, here they take 8. {@link #get(int)} creates the {@code Span}
 * on demand. Build one with {@link #builder(int)}.
 */
public final class SpanList extends AbstractList<Tokenization.Span> implements RandomAccess {

    private final int[] bounds;
    private final int size;

    private SpanList(int[] bounds, int size) {
        this.bounds = bounds;
        this.size = size;
    }

    /** An empty list. */
    public static SpanList empty() {
        return new SpanList(new int[0], 0);
    }

    /** A builder expecting about {@code expectedSpans} spans (it grows as needed). */
    public static Builder builder(int expectedSpans) {
        return new Builder(expectedSpans);
    }

    @Override
    public Tokenization.Span get(int index) {
        return new Tokenization.Span(start(index), end(index));
    }

    /** Start of span {@code index}, without creating a {@code Span}. */
    public int start(int index) {
        checkIndex(index);
        return bounds[2 * index];
    }

    /** End (exclusive) of span {@code index}, without creating a {@code Span}. */
    public int end(int index) {
        checkIndex(index);
        return bounds[2 * index + 1];
    }

    @Override
    public int size() {
        return size;
    }

    private void checkIndex(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("index " + index + ", size " + size);
        }
    }

    /**
     * Accumulates spans in text order. Starts must not decrease; spans may touch or even overlap,
     * because byte-level tokenizers give every byte token of one character that character's span.
     */
    public static final class Builder {
        private int[] bounds;
        private int size;
        private int lastStart;

        private Builder(int expectedSpans) {
            bounds = new int[Math.max(16, 2 * Math.max(0, expectedSpans))];
        }

        /**
         * Appends the span {@code [start, end)}.
         *
         * @throws IllegalArgumentException if the span is malformed or starts before the previous
         *     span started
         */
        public Builder add(int start, int end) {
            if (start < lastStart || end < start) {
                throw new IllegalArgumentException(
                        "span [" + start + ", " + end + ") is malformed or starts before the previous one at " + lastStart);
            }
            if (2 * size + 2 > bounds.length) {
                bounds = Arrays.copyOf(bounds, Math.max(2 * size + 2, bounds.length + (bounds.length >> 1)));
            }
            bounds[2 * size] = start;
            bounds[2 * size + 1] = end;
            size++;
            lastStart = start;
            return this;
        }

        /** Start of the last span added, 0 before any: the smallest start {@link #add} accepts. */
        public int lastStart() {
            return lastStart;
        }

        /** Number of spans added so far. */
        public int size() {
            return size;
        }

        /** The list; the builder must not be used afterwards. */
        public SpanList build() {
            // trim only when it saves a lot: copying a multi-megabyte array costs as much as it frees
            int[] out = bounds.length > 2 * size + 1024 ? Arrays.copyOf(bounds, 2 * size) : bounds;
            bounds = null;
            return new SpanList(out, size);
        }
    }
}
