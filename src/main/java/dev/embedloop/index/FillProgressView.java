package dev.embedloop.index;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the fill-progress topic says, as an immutable value: the latest record per key. Pure (no
 * I/O); {@link FillProgress} implementations hold the current one.
 */
public final class FillProgressView {

    static final FillProgressView EMPTY = new FillProgressView(Map.of());

    private final Map<String, FillProgressRecord> byKey;

    private FillProgressView(Map<String, FillProgressRecord> byKey) {
        this.byKey = Map.copyOf(byKey);
    }

    /** A copy with {@code record} applied (it replaces the record of the same key). */
    public FillProgressView with(FillProgressRecord record) {
        Map<String, FillProgressRecord> next = new HashMap<>(byKey);
        next.put(record.key(), record);
        return new FillProgressView(next);
    }

    /** The current round of {@code fill}: 0 until a round record says otherwise. */
    public int round(String fill) {
        FillProgressRecord r = byKey.get(fill + "/" + FillProgressRecord.ROUND);
        return r == null ? 0 : r.round();
    }

    /** The partitions done in the current round of {@code fill}. */
    public Set<Integer> donePartitions(String fill) {
        int round = round(fill);
        Set<Integer> done = new TreeSet<>();
        for (FillProgressRecord r : byKey.values()) {
            if (r.fill().equals(fill) && r.kind().equals(FillProgressRecord.DONE) && r.round() == round) {
                done.add(r.partition());
            }
        }
        return done;
    }

    public boolean isDone(String fill, int partition) {
        FillProgressRecord r = byKey.get(fill + "/p" + partition);
        return r != null && r.round() == round(fill);
    }

    /** The done record of {@code partition} in the current round of {@code fill}, if there is one. */
    public Optional<FillProgressRecord> doneRecord(String fill, int partition) {
        FillProgressRecord r = byKey.get(fill + "/p" + partition);
        return r != null && r.round() == round(fill) ? Optional.of(r) : Optional.empty();
    }

    /** Whether every partition {@code 0..partitions-1} is done in the current round. */
    public boolean allDone(String fill, int partitions) {
        for (int p = 0; p < partitions; p++) {
            if (!isDone(fill, p)) {
                return false;
            }
        }
        return true;
    }

    /** The move of the alias for {@code fill}, once it happened. */
    public Optional<FillProgressRecord> moved(String fill) {
        return Optional.ofNullable(byKey.get(fill + "/" + FillProgressRecord.MOVED));
    }

    /**
     * The fills into {@code collection} that have records, the most recently written first (ties
     * by name).
     */
    public java.util.List<String> fillsOf(String collection) {
        Map<String, Long> latest = new HashMap<>();
        for (FillProgressRecord r : byKey.values()) {
            if (r.fill().startsWith(collection + "@")) {
                latest.merge(r.fill(), r.at(), Math::max);
            }
        }
        return latest.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .map(Map.Entry::getKey)
                .toList();
    }

    /** The latest move of the alias to {@code collection} (any fill), if one is recorded. */
    public Optional<FillProgressRecord> lastMoveTo(String collection) {
        return byKey.values().stream()
                .filter(r -> r.kind().equals(FillProgressRecord.MOVED) && r.fill().startsWith(collection + "@"))
                .max(java.util.Comparator.comparingLong(FillProgressRecord::at));
    }
}
