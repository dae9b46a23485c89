package dev.embedloop.index;

import dev.embedloop.lineage.ModelLineage;
import dev.embedloop.lineage.ModelStore;
import dev.embedloop.model.LinearAdapter;
import dev.embedloop.qdrant.CollectionControl;
import dev.embedloop.qdrant.VectorSink;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collections the indexer writes to, and the re-index state machine behind the alias. Shared
 * by every task of one indexer; thread-safe (writers read an immutable snapshot).
 *
 * <p>Every document is encoded once, by the frozen base model; each target turns the base vectors
 * into its own document vectors with its model's adapter (none for the base model). So a
 * promotion that changes document vectors never runs the transformer again:
 * <ol>
 *   <li>{@link #onLineage}: the live model's document version differs from the alias's
 *       collection → {@code <alias>__<version>} is created and becomes a {@link Role#FILLING}
 *       target. From then on every write goes to the live collection and to it.</li>
 *   <li>Each task copies its documents' stored base vectors into it, a step per punctuation
 *       ({@link IndexProcessor}), and reports {@link #fillDone}.</li>
 *   <li>When every task of this indexer is done and the new collection holds at least as many
 *       points as the live one, the alias moves in one atomic request; the old collection is
 *       {@link Role#RETAINED}: still written to, so that a rollback is one alias move, and dropped
 *       after the retention period.</li>
 * </ol>
 * A lineage whose document version is a retained collection (a rollback) moves the alias back at
 * once. One indexer instance per alias: the tasks of other instances are not waited for.
 */
public final class IndexTargets {

    private static final Logger LOG = LoggerFactory.getLogger(IndexTargets.class);

    /** What a target is for. */
    public enum Role { LIVE, FILLING, RETAINED }

    /**
     * One collection written to.
     *
     * @param version the model version whose document vectors it holds
     * @param documentAdapter applied to base vectors; null for the base model
     * @param generation changes when a fill starts over (tasks then restart their cursors)
     * @param retainedUntil epoch ms after which a retained target is dropped
     */
    public record Target(String version, String collection, VectorSink sink, LinearAdapter documentAdapter, Role role,
            long generation, long retainedUntil) {

        public float[] documentVector(float[] base) {
            return documentAdapter == null ? base : documentAdapter.applyDocument(base);
        }

        Target withRole(Role newRole, long until) {
            return new Target(version, collection, sink, documentAdapter, newRole, generation, until);
        }
    }

    /** Resolves a model version to the adapter its documents get (empty: the base model's vectors). */
    @FunctionalInterface
    public interface AdapterSource {
        Optional<LinearAdapter> documentAdapter(ModelLineage lineage, String version) throws IOException;
    }

    private final CollectionControl control;
    private final Duration retention;
    private final Clock clock;
    private final AdapterSource adapters;
    private final IndexStats stats;
    private final Map<String, Target> targets = new LinkedHashMap<>();
    private final Set<String> tasks = new HashSet<>();
    private final Map<String, Set<String>> done = new LinkedHashMap<>();
    private final Map<String, Long> fillStarted = new LinkedHashMap<>();
    private volatile List<Target> snapshot = List.of();
    private long generations;

    public IndexTargets(CollectionControl control, Duration retention, Clock clock, AdapterSource adapters,
            IndexStats stats) {
        this.control = control;
        this.retention = retention;
        this.clock = clock;
        this.adapters = adapters;
        this.stats = stats;
    }

    /** Targets resolved from the model store (the production wiring). */
    public static IndexTargets withModelStore(CollectionControl control, Duration retention, IndexStats stats) {
        return new IndexTargets(control, retention, Clock.systemUTC(), ModelStore::documentAdapter, stats);
    }

    /** A fixed single live target (no lineage): the collection and sink given, base vectors as they are. */
    public static IndexTargets fixed(String version, String collection, VectorSink sink) {
        IndexTargets t = new IndexTargets(null, Duration.ZERO, Clock.systemUTC(), (l, v) -> Optional.empty(),
                new IndexStats());
        t.targets.put(collection, new Target(version, collection, sink, null, Role.LIVE, 0, Long.MAX_VALUE));
        t.publish();
        return t;
    }

    /**
     * Starts from what Qdrant has: the alias's collection (created, with the alias, for the live
     * document version when the alias does not exist yet) is the live target, existing collections
     * of other known versions are retained (for a new retention period); then applies the lineage
     * (which may start a fill).
     *
     * @throws IllegalStateException when the alias points at a collection of no known model version
     */
    public synchronized void start(ModelLineage lineage) {
        String desired = lineage.liveDocumentVersion();
        Optional<String> current = control.aliasTarget();
        String liveVersion;
        String liveCollection;
        if (current.isEmpty()) {
            liveVersion = desired;
            liveCollection = control.collectionName(desired);
            VectorSink sink = control.open(liveCollection);
            control.pointAlias(liveCollection);
            LOG.info("alias {} -> {}", control.alias(), liveCollection);
            put(new Target(liveVersion, liveCollection, sink, adapter(lineage, liveVersion), Role.LIVE, 0, Long.MAX_VALUE));
        } else {
            liveCollection = current.get();
            liveVersion = lineage.versions().stream()
                    .filter(v -> control.collectionName(v).equals(liveCollection))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException("alias " + control.alias() + " points at "
                            + liveCollection + ", which is no collection of a known model version " + lineage.versions()
                            + "; point the alias at <alias>__<version> of one of them, or use another qdrant.collection"));
            put(new Target(liveVersion, liveCollection, control.open(liveCollection), adapter(lineage, liveVersion),
                    Role.LIVE, 0, Long.MAX_VALUE));
        }
        // collections of other known versions survive a restart of the indexer: nothing was written
        // while it was down, so a retained collection is still in step; keep it for a new retention
        long until = clock.millis() + retention.toMillis();
        for (String version : lineage.versions()) {
            String collection = control.collectionName(version);
            if (!collection.equals(liveCollection) && !version.equals(lineage.liveDocumentVersion())
                    && control.exists(collection)) {
                try {
                    put(new Target(version, collection, control.open(collection),
                            adapters.documentAdapter(lineage, version).orElse(null), Role.RETAINED, 0, until));
                    LOG.info("{} of model {} kept as the retained collection (until {})", collection, version,
                            java.time.Instant.ofEpochMilli(until));
                } catch (IOException e) {
                    LOG.warn("{} is left alone: the adapter of {} cannot be read ({})", collection, version,
                            e.getMessage());
                }
            }
        }
        publish();
        onLineage(lineage);
    }

    /** Follows a new lineage: starts a fill, moves the alias back to a retained collection, or nothing. */
    public synchronized void onLineage(ModelLineage lineage) {
        if (control == null) {
            return;
        }
        String desired = lineage.liveDocumentVersion();
        String desiredCollection = control.collectionName(desired);
        // fills for versions that are no longer wanted (rolled back while filling) stop and go
        for (Target t : List.copyOf(targets.values())) {
            if (t.role() == Role.FILLING && !t.collection().equals(desiredCollection)) {
                LOG.info("re-index into {} abandoned: {} is no longer the live document version", t.collection(), t.version());
                remove(t.collection());
                control.drop(t.collection());
            }
        }
        Target existing = targets.get(desiredCollection);
        if (existing != null && existing.role() == Role.LIVE) {
            publish();
            return;
        }
        if (existing != null && existing.role() == Role.RETAINED) {
            // a rollback: the retained collection was kept in step, the alias can move back now
            control.pointAlias(desiredCollection);
            retireLive();
            put(existing.withRole(Role.LIVE, Long.MAX_VALUE));
            LOG.info("alias {} -> {} (retained collection of {}; model rolled back)", control.alias(), desiredCollection,
                    desired);
            publish();
            return;
        }
        if (existing != null) {
            publish();
            return; // already filling
        }
        LinearAdapter adapter;
        try {
            adapter = adapters.documentAdapter(lineage, desired).orElse(null);
        } catch (IOException e) {
            LOG.error("cannot re-index for model {}: its adapter cannot be read ({}); the alias stays on {}", desired,
                    e.getMessage(), liveCollection().orElse("?"));
            return;
        }
        VectorSink sink = control.open(desiredCollection);
        long generation = ++generations;
        put(new Target(desired, desiredCollection, sink, adapter, Role.FILLING, generation, Long.MAX_VALUE));
        done.put(desiredCollection, new HashSet<>());
        fillStarted.put(desiredCollection, System.nanoTime());
        LOG.info("re-indexing into {} for model {} from stored base vectors (no re-encoding)", desiredCollection, desired);
        publish();
    }

    /** The current targets: writers write every one of them. */
    public List<Target> targets() {
        return snapshot;
    }

    synchronized void register(String taskId) {
        tasks.add(taskId);
        done.values().forEach(s -> s.remove(taskId));
    }

    synchronized void unregister(String taskId) {
        tasks.remove(taskId);
    }

    /**
     * A task copied all its documents into a filling target of {@code generation}. When every
     * registered task is done, checks the new collection's size and moves the alias.
     */
    synchronized void fillDone(String taskId, String collection, long generation) {
        Target t = targets.get(collection);
        if (t == null || t.role() != Role.FILLING || t.generation() != generation) {
            return;
        }
        Set<String> finished = done.computeIfAbsent(collection, c -> new HashSet<>());
        finished.add(taskId);
        if (!finished.containsAll(tasks)) {
            return;
        }
        Optional<String> live = liveCollection();
        long liveCount = live.map(control::count).orElse(0L);
        long newCount = control.count(collection);
        if (newCount < liveCount) {
            LOG.warn("re-index into {} holds {} points, the live collection {} holds {}; copying again", collection,
                    newCount, live.orElse("?"), liveCount);
            put(new Target(t.version(), t.collection(), t.sink(), t.documentAdapter(), Role.FILLING, ++generations,
                    Long.MAX_VALUE));
            finished.clear();
            publish();
            return;
        }
        control.pointAlias(collection);
        retireLive();
        put(t.withRole(Role.LIVE, Long.MAX_VALUE));
        long ms = (System.nanoTime() - fillStarted.getOrDefault(collection, System.nanoTime())) / 1_000_000;
        stats.onReindexed(ms);
        LOG.info("re-index into {} complete ({} points, {} ms); alias {} -> {}; {} retained for {}", collection, newCount,
                ms, control.alias(), collection, live.orElse("nothing"), retention);
        done.remove(collection);
        publish();
    }

    /** Drops retained collections whose retention is over. */
    synchronized void expire() {
        long now = clock.millis();
        boolean dropped = false;
        for (Target t : List.copyOf(targets.values())) {
            if (t.role() == Role.RETAINED && t.retainedUntil() <= now) {
                LOG.info("retention of {} is over: dropping it", t.collection());
                remove(t.collection());
                control.drop(t.collection());
                dropped = true;
            }
        }
        if (dropped) {
            publish();
        }
    }

    private void retireLive() {
        long until = clock.millis() + retention.toMillis();
        for (Target t : List.copyOf(targets.values())) {
            if (t.role() == Role.LIVE) {
                put(t.withRole(Role.RETAINED, until));
            }
        }
    }

    private Optional<String> liveCollection() {
        return targets.values().stream().filter(t -> t.role() == Role.LIVE).map(Target::collection).findFirst();
    }

    private LinearAdapter adapter(ModelLineage lineage, String version) {
        try {
            return adapters.documentAdapter(lineage, version).orElse(null);
        } catch (IOException e) {
            throw new IllegalStateException("the adapter of model " + version + " cannot be read: " + e.getMessage(), e);
        }
    }

    private void put(Target t) {
        targets.put(t.collection(), t);
    }

    private void remove(String collection) {
        targets.remove(collection);
        done.remove(collection);
        fillStarted.remove(collection);
    }

    private void publish() {
        snapshot = List.copyOf(new ArrayList<>(targets.values()));
    }
}
