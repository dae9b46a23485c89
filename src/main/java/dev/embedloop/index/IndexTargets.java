package dev.embedloop.index;

import dev.embedloop.lineage.ModelLineage;
import dev.embedloop.lineage.ModelStore;
import dev.embedloop.lineage.ModelUpdate;
import dev.embedloop.model.LinearAdapter;
import dev.embedloop.qdrant.CollectionControl;
import dev.embedloop.qdrant.VectorSink;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 *       ({@link IndexProcessor}), and records its input partition done in the shared
 *       {@link FillProgress} ({@link #fillDone}), whichever instance it runs on. A partition whose
 *       task moves to another instance mid-fill (rebalance, crash) is copied again from the start
 *       by its new owner: its done record is missing, and point ids are deterministic.</li>
 *   <li>When every partition of the documents topic is done and the new collection holds at least
 *       as many points as the live one, the instance that owns partition 0 moves the alias in one
 *       atomic request and records the move; every instance then retires its live collection to
 *       {@link Role#RETAINED}: still written to, so that a rollback is one alias move, and dropped
 *       when the retention period (counted from the recorded move) is over. A short count starts
 *       a new round: every partition is copied again.</li>
 *   <li>A <b>symmetric candidate under test</b> ({@link ModelLineage#symmetricUnderTest()}: the
 *       online phase interleaves its ranking with the live one, from its own document vectors)
 *       gets a {@link Role#SHADOW} target {@code <alias>__<candidate version>}, filled exactly as in
 *       steps 1–2 (same shared {@link FillProgress}, fill id {@code <collection>@t<promoted_at of its
 *       under_test record>}, alike on every instance) and written to from then on, but the alias
 *       never moves to it on its own: the search service uses it once its count is complete. When
 *       the candidate is promoted, the shadow becomes the {@link Role#FILLING} target of step 3 under
 *       the same fill: complete, it passes the count check and the alias moves at once; nothing is
 *       copied twice (an instance started after the promotion finds the shadow's fill in the shared
 *       progress and continues it). When the candidate is abandoned, replaced, or its parent is no
 *       longer live, every instance stops writing to the shadow and it is dropped like an abandoned
 *       fill. A restarted instance takes the shadow up again from the lineage and the shared
 *       progress; one that finds the shadow of a candidate no longer under test drops it.</li>
 * </ol>
 * A lineage whose document version is a retained collection (a rollback) moves the alias back at
 * once (every instance does it; the move is idempotent). Collections are dropped by the owner of
 * partition 0 only, {@link #DROP_GRACE} after the other instances stopped writing to them, so no
 * instance writes into a collection that is gone.
 */
public final class IndexTargets {

    private static final Logger LOG = LoggerFactory.getLogger(IndexTargets.class);
    /** With several partitions, how long after its last writer stopped a collection is dropped. */
    static final Duration DROP_GRACE = Duration.ofSeconds(60);
    /**
     * Marks a shadow's fill id: {@code <collection>@t<promoted_at of its under_test record>}, unlike
     * a re-index's {@code <collection>@<model-updates offset>}.
     */
    static final String SHADOW_EPOCH = "@t";

    /**
     * What a target is for: {@code LIVE} behind the alias; {@code FILLING} filled for the live
     * document version, the alias moves to it when complete; {@code RETAINED} the previous live
     * collection, kept in step for a rollback; {@code SHADOW} filled and kept in step for the
     * symmetric candidate under test, never behind the alias unless the candidate is promoted.
     */
    public enum Role { LIVE, FILLING, RETAINED, SHADOW }

    /**
     * One collection written to.
     *
     * @param version the model version whose document vectors it holds
     * @param documentAdapter applied to base vectors; null for the base model
     * @param generation the fill round: changes when a fill starts over (tasks then restart their cursors)
     * @param retainedUntil epoch ms after which a retained target is dropped
     * @param fill the fill's id in {@link FillProgress} while {@link Role#FILLING} or {@link Role#SHADOW}, else null
     */
    public record Target(String version, String collection, VectorSink sink, LinearAdapter documentAdapter, Role role,
            long generation, long retainedUntil, String fill) {

        public float[] documentVector(float[] base) {
            return documentAdapter == null ? base : documentAdapter.applyDocument(base);
        }

        /** Whether stored base vectors are being copied into it ({@link Role#FILLING} or {@link Role#SHADOW}). */
        public boolean filled() {
            return role == Role.FILLING || role == Role.SHADOW;
        }

        Target withRole(Role newRole, long until) {
            return new Target(version, collection, sink, documentAdapter, newRole, generation, until, null);
        }

        /** The shadow of a candidate that was promoted: the same fill (progress, round) now completes a re-index. */
        Target promotedShadow() {
            return new Target(version, collection, sink, documentAdapter, Role.FILLING, generation, retainedUntil, fill);
        }

        Target withRound(long round) {
            return new Target(version, collection, sink, documentAdapter, role, round, retainedUntil, fill);
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
    private final FillProgress progress;
    private final Map<String, Target> targets = new LinkedHashMap<>();
    /** Task id → input partition, for the tasks running in this instance. */
    private final Map<String, Integer> tasks = new HashMap<>();
    private final Map<String, Long> fillStarted = new LinkedHashMap<>();
    /** Collections nobody writes to any more → when the owner of partition 0 drops them. */
    private final Map<String, Long> toDrop = new LinkedHashMap<>();
    /** Shadow fills this instance has reported filled (once each). */
    private final java.util.Set<String> shadowsFilled = new java.util.HashSet<>();
    private volatile List<Target> snapshot = List.of();
    /** Fill epochs of a lineage followed without model-updates offsets: one per document-version change. */
    private long localEpoch;
    private String localEpochVersion;

    /** Targets of a single indexer instance (progress is not shared). */
    public IndexTargets(CollectionControl control, Duration retention, Clock clock, AdapterSource adapters,
            IndexStats stats) {
        this(control, retention, clock, adapters, stats, new InMemoryFillProgress(1));
    }

    /** Targets whose fills are coordinated through {@code progress} with other instances of the alias. */
    public IndexTargets(CollectionControl control, Duration retention, Clock clock, AdapterSource adapters,
            IndexStats stats, FillProgress progress) {
        this.control = control;
        this.retention = retention;
        this.clock = clock;
        this.adapters = adapters;
        this.stats = stats;
        this.progress = progress;
    }

    /** Targets resolved from the model store (the production wiring), fills shared through {@code progress}. */
    public static IndexTargets withModelStore(CollectionControl control, Duration retention, IndexStats stats,
            FillProgress progress) {
        return new IndexTargets(control, retention, Clock.systemUTC(), ModelStore::documentAdapter, stats, progress);
    }

    /** Targets resolved from the model store, for a single instance. */
    public static IndexTargets withModelStore(CollectionControl control, Duration retention, IndexStats stats) {
        return withModelStore(control, retention, stats, new InMemoryFillProgress(1));
    }

    /** A fixed single live target (no lineage): the collection and sink given, base vectors as they are. */
    public static IndexTargets fixed(String version, String collection, VectorSink sink) {
        IndexTargets t = new IndexTargets(null, Duration.ZERO, Clock.systemUTC(), (l, v) -> Optional.empty(),
                new IndexStats());
        t.targets.put(collection, new Target(version, collection, sink, null, Role.LIVE, 0, Long.MAX_VALUE, null));
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
        start(lineage, nextLocalEpoch(lineage));
    }

    /**
     * As {@link #start(ModelLineage)}, with {@code epoch} the {@code model-updates} offset that
     * made the lineage's document version live (names a fill alike on every instance).
     */
    public synchronized void start(ModelLineage lineage, long epoch) {
        String desired = lineage.liveDocumentVersion();
        Optional<String> current = control.aliasTarget();
        String liveVersion;
        String liveCollection;
        if (current.isEmpty()) {
            liveVersion = desired;
            liveCollection = control.collectionName(desired);
            VectorSink sink = open(liveCollection);
            pointAliasFirst(liveCollection);
            LOG.info("alias {} -> {}", control.alias(), liveCollection);
            put(new Target(liveVersion, liveCollection, sink, adapter(lineage, liveVersion), Role.LIVE, 0, Long.MAX_VALUE,
                    null));
        } else {
            liveCollection = current.get();
            liveVersion = lineage.versions().stream()
                    .filter(v -> control.collectionName(v).equals(liveCollection))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException("alias " + control.alias() + " points at "
                            + liveCollection + ", which is no collection of a known model version " + lineage.versions()
                            + "; point the alias at <alias>__<version> of one of them, or use another qdrant.collection"));
            put(new Target(liveVersion, liveCollection, open(liveCollection), adapter(lineage, liveVersion),
                    Role.LIVE, 0, Long.MAX_VALUE, null));
        }
        // collections of other known versions survive a restart of the indexer: nothing was written
        // while it was down, so a retained collection is still in step; keep it for the retention
        // counted from the recorded move of the alias (shared by all instances), else from now
        long movedAt = progress.view().lastMoveTo(liveCollection).map(FillProgressRecord::at).orElse(clock.millis());
        long until = movedAt + retention.toMillis();
        Optional<String> shadowVersion = lineage.symmetricUnderTest().map(u -> u.documentVersion());
        for (String version : lineage.versions()) {
            String collection = control.collectionName(version);
            if (!collection.equals(liveCollection) && !version.equals(lineage.liveDocumentVersion())
                    && control.exists(collection) && !shadowVersion.equals(Optional.of(version))) {
                if (neverLive(lineage, version)) {
                    // the shadow of a candidate that was abandoned or went stale while this instance was
                    // down: nobody reads it, nobody needs it in step
                    LOG.info("{} of model {} is the shadow of a candidate no longer under test: dropped", collection,
                            version);
                    toDrop.put(collection, clock.millis() + dropGrace());
                    continue;
                }
                try {
                    put(new Target(version, collection, open(collection),
                            adapters.documentAdapter(lineage, version).orElse(null), Role.RETAINED, 0, until, null));
                    LOG.info("{} of model {} kept as the retained collection (until {})", collection, version,
                            java.time.Instant.ofEpochMilli(until));
                } catch (IOException e) {
                    LOG.warn("{} is left alone: the adapter of {} cannot be read ({})", collection, version,
                            e.getMessage());
                }
            }
        }
        publish();
        onLineage(lineage, epoch);
    }

    /** Whether {@code version} is a candidate that never went live (under test or abandoned). */
    private static boolean neverLive(ModelLineage lineage, String version) {
        return lineage.get(version)
                .map(u -> u.underTest() || ModelUpdate.ABANDONED.equals(u.status()))
                .orElse(false);
    }

    /** Follows a new lineage: starts a fill, moves the alias back to a retained collection, or nothing. */
    public synchronized void onLineage(ModelLineage lineage) {
        onLineage(lineage, nextLocalEpoch(lineage));
    }

    /**
     * As {@link #onLineage(ModelLineage)}, with {@code epoch} the {@code model-updates} offset that
     * made the lineage's document version live.
     */
    public synchronized void onLineage(ModelLineage lineage, long epoch) {
        if (control == null) {
            return;
        }
        String desired = lineage.liveDocumentVersion();
        String desiredCollection = control.collectionName(desired);
        Optional<ModelUpdate> candidate = lineage.symmetricUnderTest();
        String shadowCollection = candidate.map(c -> control.collectionName(c.documentVersion())).orElse(null);
        // fills for versions that are no longer wanted (rolled back while filling) stop, and so do
        // shadows of candidates no longer under test (abandoned, replaced, or their parent is no
        // longer live); other instances may still write to them for a moment, so the owner of
        // partition 0 drops them later
        for (Target t : List.copyOf(targets.values())) {
            if (t.role() == Role.FILLING && !t.collection().equals(desiredCollection)) {
                LOG.info("re-index into {} abandoned: {} is no longer the live document version", t.collection(), t.version());
                remove(t.collection());
                toDrop.put(t.collection(), clock.millis() + dropGrace());
            } else if (t.role() == Role.SHADOW && !t.collection().equals(desiredCollection)
                    && !t.collection().equals(shadowCollection)) {
                LOG.info("shadow collection {} dropped: model {} is no longer the candidate under test", t.collection(),
                        t.version());
                remove(t.collection());
                toDrop.put(t.collection(), clock.millis() + dropGrace());
                invalidate(t);
            }
        }
        boolean fillChanged = followLive(lineage, desired, desiredCollection, epoch);
        candidate.ifPresent(c -> shadow(lineage, c, shadowCollection));
        publish();
        if (fillChanged) {
            advance(); // a promoted shadow that is complete moves the alias at once
        }
        dropDue();
    }

    /**
     * Brings the live document version behind the alias: nothing when it is there, a move back to a
     * retained collection (rollback), the promoted candidate's shadow turned into the fill, or a new
     * fill. Returns whether a fill started or changed.
     */
    private boolean followLive(ModelLineage lineage, String desired, String desiredCollection, long epoch) {
        Target existing = targets.get(desiredCollection);
        if (existing != null && existing.role() == Role.LIVE) {
            return false;
        }
        if (existing != null && existing.role() == Role.RETAINED) {
            // a rollback: the retained collection was kept in step, the alias can move back now
            control.pointAlias(desiredCollection);
            retireLive(clock.millis());
            put(existing.withRole(Role.LIVE, Long.MAX_VALUE));
            LOG.info("alias {} -> {} (retained collection of {}; model rolled back)", control.alias(), desiredCollection,
                    desired);
            return false;
        }
        if (existing != null && existing.role() == Role.SHADOW) {
            // the candidate under test was promoted: its shadow has been filled (or is being filled)
            // and kept in step; the same fill completes the re-index, nothing is copied again
            put(existing.promotedShadow());
            LOG.info("model {} promoted: its shadow collection {} becomes the re-index (fill {}, no second copy)",
                    desired, desiredCollection, existing.fill());
            return true;
        }
        if (existing != null) {
            return false; // already filling
        }
        LinearAdapter adapter;
        try {
            adapter = adapters.documentAdapter(lineage, desired).orElse(null);
        } catch (IOException e) {
            LOG.error("cannot re-index for model {}: its adapter cannot be read ({}); the alias stays on {}", desired,
                    e.getMessage(), liveCollection().orElse("?"));
            return false;
        }
        toDrop.remove(desiredCollection);
        VectorSink sink = open(desiredCollection);
        // a promoted candidate whose shadow other instances filled (this one started after the
        // promotion) continues that fill: same id, so their done partitions count
        String fill = shadowFillOf(desiredCollection).orElse(desiredCollection + "@" + epoch);
        int round = progress.view().round(fill);
        put(new Target(desired, desiredCollection, sink, adapter, Role.FILLING, round, Long.MAX_VALUE, fill));
        fillStarted.put(desiredCollection, System.nanoTime());
        LOG.info("re-indexing into {} for model {} from stored base vectors (no re-encoding), fill {}", desiredCollection,
                desired, fill);
        return true;
    }

    /**
     * Creates (or, after a restart, takes up again) the shadow collection of the symmetric
     * candidate under test: filled like a re-index, from stored base vectors through its document
     * adapter, and written to from then on, but the alias never moves to it on its own.
     */
    private void shadow(ModelLineage lineage, ModelUpdate candidate, String collection) {
        if (targets.containsKey(collection)) {
            return;
        }
        LinearAdapter adapter;
        try {
            adapter = adapters.documentAdapter(lineage, candidate.documentVersion()).orElse(null);
        } catch (IOException e) {
            LOG.error("no shadow collection for candidate {}: its adapter cannot be read ({}); interleaving serves the "
                    + "live ranking only", candidate.version(), e.getMessage());
            return;
        }
        toDrop.remove(collection);
        VectorSink sink = open(collection);
        // named alike on every instance from the record itself (the model-updates offset of an
        // under_test record is not followed); a promotion carries the same id on
        String fill = collection + SHADOW_EPOCH + candidate.promotedAt();
        FillProgressView view = progress.view();
        if (!view.fillsOf(collection).contains(fill)) {
            try {
                // marks the fill as a shadow in the shared progress, so an instance that starts after
                // the promotion continues it instead of copying again under another id
                progress.publish(FillProgressRecord.round(fill, view.round(fill), clock.millis(), progress.instance()));
            } catch (RuntimeException e) {
                LOG.warn("could not record the shadow fill {} ({}); it is filled all the same", fill, e.getMessage());
            }
        }
        int round = progress.view().round(fill);
        put(new Target(candidate.documentVersion(), collection, sink, adapter, Role.SHADOW, round, Long.MAX_VALUE, fill));
        fillStarted.put(collection, System.nanoTime());
        LOG.info("shadow collection {} for candidate {} under test: filled from stored base vectors (no re-encoding), "
                + "fill {}; the alias stays on {}", collection, candidate.version(), fill, liveCollection().orElse("?"));
    }

    /**
     * A shadow that is no longer written to falls out of step: a new round in the shared progress
     * voids its done partitions, so that nobody continues its fill as if it were complete (the
     * collection lives on for the drop grace).
     */
    private void invalidate(Target shadow) {
        FillProgressView view = progress.view();
        if (view.round(shadow.fill()) != shadow.generation()) {
            return; // another instance did it
        }
        try {
            progress.publish(FillProgressRecord.round(shadow.fill(), (int) shadow.generation() + 1, clock.millis(),
                    progress.instance()));
        } catch (RuntimeException e) {
            LOG.warn("could not void the shadow fill {} ({})", shadow.fill(), e.getMessage());
        }
    }

    /** A shadow fill of {@code collection} that was never completed, while the collection still exists. */
    private Optional<String> shadowFillOf(String collection) {
        FillProgressView view = progress.view();
        return view.fillsOf(collection).stream()
                .filter(f -> f.startsWith(collection + SHADOW_EPOCH) && view.moved(f).isEmpty())
                .findFirst()
                .filter(f -> control.exists(collection));
    }

    /** The current targets: writers write every one of them. */
    public List<Target> targets() {
        return snapshot;
    }

    /** The shared fill progress. */
    public FillProgress progress() {
        return progress;
    }

    synchronized void register(String taskId, int partition) {
        tasks.put(taskId, partition);
    }

    synchronized void unregister(String taskId) {
        tasks.remove(taskId);
    }

    /** Whether {@code partition} of a filling target's current round is done (by any instance). */
    boolean fillDone(Target target, int partition) {
        return target.fill() != null && progress.view().isDone(target.fill(), partition);
    }

    /**
     * The task of {@code partition} copied all its stored chunks into a filling target in round
     * {@code generation}: records it in the shared progress, then sees whether the fill is complete.
     */
    synchronized void fillDone(String taskId, int partition, String collection, long generation, long points) {
        Target t = targets.get(collection);
        if (t == null || !t.filled() || t.generation() != generation || !tasks.containsKey(taskId)) {
            return;
        }
        if (!progress.view().isDone(t.fill(), partition)) {
            progress.publish(FillProgressRecord.done(t.fill(), (int) generation, partition, points, clock.millis(),
                    progress.instance()));
        }
        advance();
    }

    /**
     * Follows the shared progress (every task calls it on its punctuation): takes up a new round,
     * completes fills whose move another instance recorded, moves the alias when this instance owns
     * partition 0 and every partition is done, drops collections whose time is over.
     */
    synchronized void advance() {
        FillProgressView view = progress.view();
        boolean changed = false;
        for (Target t : List.copyOf(targets.values())) {
            if (!t.filled()) {
                continue;
            }
            if (t.role() == Role.SHADOW) {
                // a shadow follows rounds (started over after a promotion's count check elsewhere) and
                // is otherwise left to the search side, which uses it once its count is complete
                int round = view.round(t.fill());
                if (round != t.generation()) {
                    put(t.withRound(round));
                    changed = true;
                } else if (ownsPartitionZero() && view.allDone(t.fill(), progress.partitions())
                        && shadowsFilled.add(t.fill())) {
                    LOG.info("shadow collection {} filled (all {} partitions, {} points); the alias stays on {}",
                            t.collection(), progress.partitions(), control.count(t.collection()),
                            liveCollection().orElse("?"));
                }
                continue;
            }
            Optional<FillProgressRecord> moved = view.moved(t.fill());
            if (moved.isPresent()) {
                becomeLive(t, moved.get().at(), "moved by " + moved.get().instance());
                changed = true;
                continue;
            }
            int round = view.round(t.fill());
            if (round != t.generation()) {
                LOG.info("re-index into {}: round {} (copying again)", t.collection(), round);
                put(t.withRound(round));
                changed = true;
                continue;
            }
            if (ownsPartitionZero() && view.allDone(t.fill(), progress.partitions())) {
                complete(t, view);
                changed = true;
            }
        }
        if (changed) {
            publish();
        }
    }

    /** Every partition is done: checks the count and moves the alias (or starts a new round). */
    private void complete(Target t, FillProgressView view) {
        Optional<String> live = liveCollection();
        long liveCount = live.map(control::count).orElse(0L);
        long newCount = control.count(t.collection());
        if (newCount < liveCount) {
            int round = view.round(t.fill()) + 1;
            LOG.warn("re-index into {} holds {} points, the live collection {} holds {}; copying again (round {})",
                    t.collection(), newCount, live.orElse("?"), liveCount, round);
            progress.publish(FillProgressRecord.round(t.fill(), round, clock.millis(), progress.instance()));
            put(t.withRound(round));
            return;
        }
        control.pointAlias(t.collection());
        long at = clock.millis();
        progress.publish(FillProgressRecord.moved(t.fill(), (int) t.generation(), at, progress.instance()));
        becomeLive(t, at, "all " + progress.partitions() + " partitions filled, " + newCount + " points");
    }

    private void becomeLive(Target t, long movedAt, String why) {
        retireLive(movedAt);
        put(t.withRole(Role.LIVE, Long.MAX_VALUE));
        Long started = fillStarted.remove(t.collection());
        long ms = started == null ? 0 : (System.nanoTime() - started) / 1_000_000;
        stats.onReindexed(ms);
        LOG.info("re-index into {} complete ({}, {} ms here); alias {} -> {}; previous collection retained for {}",
                t.collection(), why, ms, control.alias(), t.collection(), retention);
    }

    /**
     * Ends retention periods: a retained collection is no longer written to once its time is over
     * and is dropped by the owner of partition 0 after {@link #DROP_GRACE} (at once with a single
     * partition: then nobody else writes).
     */
    synchronized void expire() {
        long now = clock.millis();
        boolean changed = false;
        for (Target t : List.copyOf(targets.values())) {
            if (t.role() == Role.RETAINED && t.retainedUntil() <= now) {
                LOG.info("retention of {} is over: no longer written to", t.collection());
                remove(t.collection());
                toDrop.put(t.collection(), t.retainedUntil() + dropGrace());
                changed = true;
            }
        }
        if (changed) {
            publish();
        }
        dropDue();
    }

    private void dropDue() {
        if (toDrop.isEmpty() || (!ownsPartitionZero() && progress.partitions() > 1)) {
            return;
        }
        long now = clock.millis();
        for (Map.Entry<String, Long> e : List.copyOf(toDrop.entrySet())) {
            if (e.getValue() <= now && !targets.containsKey(e.getKey())) {
                LOG.info("dropping {}", e.getKey());
                control.drop(e.getKey());
                toDrop.remove(e.getKey());
            }
        }
    }

    private long dropGrace() {
        return progress.partitions() > 1 ? DROP_GRACE.toMillis() : 0;
    }

    private boolean ownsPartitionZero() {
        return tasks.containsValue(0);
    }

    private long nextLocalEpoch(ModelLineage lineage) {
        String desired = lineage.liveDocumentVersion();
        if (!desired.equals(localEpochVersion)) {
            localEpochVersion = desired;
            localEpoch++;
        }
        return localEpoch;
    }

    private void retireLive(long from) {
        long until = from + retention.toMillis();
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

    /**
     * Opens a collection that another instance may be creating at the same moment: when creating
     * it fails because it appeared meanwhile, the existing one is opened.
     */
    private VectorSink open(String collection) {
        try {
            return control.open(collection);
        } catch (RuntimeException e) {
            if (control.exists(collection)) {
                LOG.info("{} was created by another instance meanwhile", collection);
                return control.open(collection);
            }
            throw e;
        }
    }

    /** Creates the alias at start-up; another instance starting at the same moment may win the race. */
    private void pointAliasFirst(String collection) {
        try {
            control.pointAlias(collection);
        } catch (RuntimeException e) {
            Optional<String> now = control.aliasTarget();
            if (now.isEmpty()) {
                throw e;
            }
            LOG.info("alias {} was created by another instance meanwhile (-> {})", control.alias(), now.get());
        }
    }

    private void put(Target t) {
        targets.put(t.collection(), t);
    }

    private void remove(String collection) {
        targets.remove(collection);
        fillStarted.remove(collection);
        shadowsFilled.removeIf(f -> f.startsWith(collection + "@"));
    }

    private void publish() {
        snapshot = List.copyOf(new ArrayList<>(targets.values()));
    }
}
