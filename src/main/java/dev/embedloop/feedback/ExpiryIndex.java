package dev.embedloop.feedback;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A time-ordered index of deadlines over the keys of other stores, so a wall-clock punctuator
 * finds what is due with one range scan instead of reading every entry. Keys are
 * {@code <deadline, 19 digits>|<tag>|<key>}: fixed-width digits make byte order time order in
 * RocksDB. Several stores of one processor share an index, told apart by the tag.
 *
 * <p>An index entry is a hint, not the truth: the store it points to holds the entry's own
 * deadline, so an entry refreshed to a later deadline (a second index entry) is not expired by the
 * first one. Callers check the store's deadline before they act.
 */
final class ExpiryIndex {

    /** A due index entry. */
    record Due(long at, char tag, String key) {}

    private final KeyValueStore<String, String> store;

    ExpiryIndex(KeyValueStore<String, String> store) {
        this.store = store;
    }

    void schedule(long at, char tag, String key) {
        store.put(indexKey(at, tag, key), "");
    }

    /**
     * Removes and returns up to {@code limit} entries due at or before {@code now}, earliest
     * first; the rest stay for the next call.
     */
    List<Due> poll(long now, int limit) {
        List<String> keys = new ArrayList<>();
        // the digits are followed by '|', which sorts below '}': every key due at or before now is in range
        try (KeyValueIterator<String, String> it = store.range(null, pad(now) + "}")) {
            while (it.hasNext() && keys.size() < limit) {
                keys.add(it.next().key);
            }
        }
        List<Due> due = new ArrayList<>(keys.size());
        for (String k : keys) {
            store.delete(k);
            due.add(new Due(Long.parseLong(k.substring(0, 19)), k.charAt(20), k.substring(22)));
        }
        return due;
    }

    static String indexKey(long at, char tag, String key) {
        return pad(at) + "|" + tag + "|" + key;
    }

    private static String pad(long at) {
        return String.format(Locale.ROOT, "%019d", Math.max(0, at));
    }
}
