package dev.embedloop.search;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The searches this service answered, so that a click can be checked and given its rank: query id
 * → the documents shown, with their ranks. Thread-safe.
 *
 * <p><b>Bounded.</b> A query id accepts clicks for {@code ttl} after its search; at most
 * {@code maxEntries} are kept, the oldest dropped first when more arrive. Ids that expired or were
 * dropped are remembered (id only, same bounds) for another {@code ttl}, so a late click is told
 * apart from an unknown id. Both maps are in registration order, which is expiry order because the
 * TTL is the same for all, so expiring is a walk from the head.
 *
 * <p>In memory only: after a restart every earlier query id is unknown.
 */
final class QueryRegistry {

    /** What the registry knows of a clicked document. */
    enum Status {
        /** The query id is live and showed the document; {@link Lookup#rank()} is its rank. */
        SHOWN,
        /** The query id is live but did not show the document. */
        NOT_SHOWN,
        /** The query id was answered but no longer accepts clicks. */
        EXPIRED,
        /** The query id was never answered here (or is long forgotten). */
        UNKNOWN
    }

    /** @param rank the document's rank when {@link Status#SHOWN}, else 0 */
    record Lookup(Status status, int rank) {
        static final Lookup NOT_SHOWN = new Lookup(Status.NOT_SHOWN, 0);
        static final Lookup EXPIRED = new Lookup(Status.EXPIRED, 0);
        static final Lookup UNKNOWN = new Lookup(Status.UNKNOWN, 0);
    }

    private record Entry(long expiresAt, Map<String, Integer> ranks) {}

    private final Clock clock;
    private final long ttlMs;
    private final int maxEntries;
    private final LinkedHashMap<String, Entry> live = new LinkedHashMap<>();
    /** query id → when to forget it. */
    private final LinkedHashMap<String, Long> expired = new LinkedHashMap<>();

    QueryRegistry(Clock clock, Duration ttl, int maxEntries) {
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive, was " + ttl);
        }
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be at least 1, was " + maxEntries);
        }
        this.clock = Objects.requireNonNull(clock, "clock");
        this.ttlMs = ttl.toMillis();
        this.maxEntries = maxEntries;
    }

    /** Remembers that {@code queryId} showed {@code docIds}, in rank order (rank 1 first). */
    synchronized void register(String queryId, List<String> docIds) {
        long now = clock.millis();
        expire(now);
        Map<String, Integer> ranks = new HashMap<>();
        for (int i = 0; i < docIds.size(); i++) {
            ranks.putIfAbsent(docIds.get(i), i + 1);
        }
        live.put(queryId, new Entry(now + ttlMs, Map.copyOf(ranks)));
        Iterator<Map.Entry<String, Entry>> it = live.entrySet().iterator();
        while (live.size() > maxEntries) {
            String dropped = it.next().getKey();
            it.remove();
            remember(dropped, now + ttlMs);
        }
    }

    /** What is known of a click on {@code docId} for {@code queryId}, now. */
    synchronized Lookup lookup(String queryId, String docId) {
        expire(clock.millis());
        Entry entry = live.get(queryId);
        if (entry == null) {
            return expired.containsKey(queryId) ? Lookup.EXPIRED : Lookup.UNKNOWN;
        }
        Integer rank = entry.ranks().get(docId);
        return rank == null ? Lookup.NOT_SHOWN : new Lookup(Status.SHOWN, rank);
    }

    /** Live query ids (for the health answer). */
    synchronized int size() {
        return live.size();
    }

    private void expire(long now) {
        Iterator<Map.Entry<String, Entry>> it = live.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, Entry> e = it.next();
            if (e.getValue().expiresAt() > now) {
                break;
            }
            it.remove();
            remember(e.getKey(), e.getValue().expiresAt() + ttlMs);
        }
        Iterator<Map.Entry<String, Long>> old = expired.entrySet().iterator();
        while (old.hasNext() && old.next().getValue() <= now) {
            old.remove();
        }
    }

    private void remember(String queryId, long forgetAt) {
        expired.put(queryId, forgetAt);
        Iterator<String> it = expired.keySet().iterator();
        while (expired.size() > maxEntries) {
            it.next();
            it.remove();
        }
    }
}
