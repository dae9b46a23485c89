package dev.embedloop.train;

import dev.embedloop.events.TrainingExample;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The most recent training examples, bounded, with where each came from on the training-pairs
 * topic (for the training window recorded in model.json), and how many arrived since the last
 * training (for the "every N examples" trigger). Not thread-safe: the trainer's consumer thread
 * owns it.
 */
public final class TrainingWindow {

    /** One kept example and its position on the topic. */
    public record Entry(TrainingExample example, int partition, long offset) {
        public Entry {
            Objects.requireNonNull(example, "example");
        }
    }

    /** First and last offset (both inclusive) of the kept examples of one partition. */
    public record Range(long from, long to) {}

    private final int capacity;
    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    private long fresh;
    private long added;

    public TrainingWindow(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive, was " + capacity);
        }
        this.capacity = capacity;
    }

    /**
     * Keeps {@code entry}, dropping the oldest when full.
     *
     * @param isNew whether it counts towards the next training (false for examples re-read at
     *     start-up that a previous run already trained on)
     */
    public void add(Entry entry, boolean isNew) {
        entries.addLast(entry);
        if (entries.size() > capacity) {
            entries.removeFirst();
        }
        added++;
        if (isNew) {
            fresh++;
        }
    }

    /** The kept examples, oldest first. */
    public List<Entry> snapshot() {
        return List.copyOf(entries);
    }

    public int size() {
        return entries.size();
    }

    public int capacity() {
        return capacity;
    }

    /** Examples added since the last {@link #markTrained()} (or since start). */
    public long fresh() {
        return fresh;
    }

    /** Examples ever added. */
    public long added() {
        return added;
    }

    public void markTrained() {
        fresh = 0;
    }

    /** Per partition, the offsets the kept examples span. */
    public static SortedMap<Integer, Range> ranges(List<Entry> entries) {
        SortedMap<Integer, Range> out = new TreeMap<>();
        for (Entry e : entries) {
            out.merge(e.partition(), new Range(e.offset(), e.offset()),
                    (a, b) -> new Range(Math.min(a.from(), b.from()), Math.max(a.to(), b.to())));
        }
        return Collections.unmodifiableSortedMap(out);
    }

    /** The examples alone, oldest first. */
    public static List<TrainingExample> examples(List<Entry> entries) {
        List<TrainingExample> out = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            out.add(e.example());
        }
        return out;
    }
}
