package dev.embedloop.lineage;

import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The models a deployment knows: the frozen base plus every record read from {@code model-updates}.
 * A pure value (no I/O): {@link ModelUpdatesFollower} feeds it, the indexer, the search service,
 * the trainer and {@code rollback} read it.
 *
 * <p>Rules:
 * <ul>
 *   <li>The <b>live</b> model is the promoted model with the latest promotion time; the base model
 *       when there is none (nothing promoted yet, or everything rolled back).</li>
 *   <li>The <b>live document version</b> is the live model's document version: the collection
 *       {@code <alias>__<document version>} the alias must point at.</li>
 *   <li>The <b>query model for a document version</b> is the newest promoted model with that
 *       document version (query-only models stack on the collection they were trained against);
 *       if none is promoted, the newest model of any status with it (a collection that is being
 *       rolled away from keeps its own query model until the alias has moved). The base version
 *       maps to the base model. Queries are thus always encoded by a model that matches the
 *       documents they are compared with.</li>
 * </ul>
 */
public final class ModelLineage {

    private final String baseVersion;
    private final Map<String, ModelUpdate> byVersion;
    private final ModelUpdate trainingControl;

    private ModelLineage(String baseVersion, Map<String, ModelUpdate> byVersion, ModelUpdate trainingControl) {
        this.baseVersion = Objects.requireNonNull(baseVersion, "baseVersion");
        this.byVersion = Map.copyOf(byVersion);
        this.trainingControl = trainingControl;
    }

    /** A lineage with only the base model. */
    public static ModelLineage base(String baseVersion) {
        return new ModelLineage(baseVersion, Map.of(), null);
    }

    /**
     * A copy with one more record (a later record of the same version replaces the earlier one).
     * The training-control record ({@code train pause} / {@code resume}) is kept apart: it names no model.
     */
    public ModelLineage with(ModelUpdate update) {
        if (!update.base().equals(baseVersion)) {
            // a model trained on another base cannot be served by this process's base encoder
            return this;
        }
        if (update.isTrainingControl()) {
            return new ModelLineage(baseVersion, byVersion, update);
        }
        Map<String, ModelUpdate> next = new HashMap<>(byVersion);
        next.put(update.version(), update);
        return new ModelLineage(baseVersion, next, trainingControl);
    }

    /** Whether an operator paused promotions ({@code train pause}) and has not resumed them. */
    public boolean trainingPaused() {
        return trainingControl != null && ModelUpdate.PAUSED.equals(trainingControl.status());
    }

    /** The models rolled back, oldest rollback first. */
    public List<ModelUpdate> rolledBack() {
        return byVersion.values().stream().filter(ModelUpdate::rolledBackStatus)
                .sorted(Comparator.comparingLong(ModelUpdate::rolledBackTime)
                        .thenComparing(ModelUpdate::version))
                .toList();
    }

    /**
     * The candidate under online test against the live model, if any: the newest record with status
     * {@code under_test} whose parent is the live model (one trained against an earlier live model is stale).
     */
    public Optional<ModelUpdate> underTest() {
        String live = liveVersion();
        return byVersion.values().stream().filter(u -> u.underTest() && live.equals(u.parent())).max(ORDER);
    }

    /**
     * The candidate under test whose documents need their own collection: {@link #underTest()} when
     * it is symmetric, i.e. its document version is not the live document version (a query-only
     * candidate searches the live collection and needs none).
     */
    public Optional<ModelUpdate> symmetricUnderTest() {
        String liveDocuments = liveDocumentVersion();
        return underTest().filter(u -> u.symmetric() && !u.documentVersion().equals(liveDocuments));
    }

    /** The latest rollback, if any. */
    public Optional<ModelUpdate> lastRollback() {
        List<ModelUpdate> r = rolledBack();
        return r.isEmpty() ? Optional.empty() : Optional.of(r.get(r.size() - 1));
    }

    public String baseVersion() {
        return baseVersion;
    }

    /** The record of {@code version}, if known (never for the base version). */
    public Optional<ModelUpdate> get(String version) {
        return Optional.ofNullable(byVersion.get(version));
    }

    public List<ModelUpdate> all() {
        return byVersion.values().stream().sorted(ORDER).toList();
    }

    /** The live model; empty when the base model is live. */
    public Optional<ModelUpdate> live() {
        return byVersion.values().stream().filter(ModelUpdate::promoted).max(ORDER);
    }

    /** The live model's version, the base version when nothing is promoted. */
    public String liveVersion() {
        return live().map(ModelUpdate::version).orElse(baseVersion);
    }

    /** The version whose documents the live collection must hold. */
    public String liveDocumentVersion() {
        return live().map(ModelUpdate::documentVersion).orElse(baseVersion);
    }

    /** The version of the model to encode queries against a collection of {@code documentVersion}. */
    public Optional<String> queryVersionFor(String documentVersion) {
        Optional<ModelUpdate> promoted = byVersion.values().stream()
                .filter(u -> u.promoted() && u.documentVersion().equals(documentVersion)).max(ORDER);
        if (promoted.isPresent()) {
            return promoted.map(ModelUpdate::version);
        }
        if (documentVersion.equals(baseVersion)) {
            return Optional.of(baseVersion);
        }
        return byVersion.values().stream().filter(u -> u.documentVersion().equals(documentVersion)).max(ORDER)
                .map(ModelUpdate::version);
    }

    /** Versions known (base included), for matching collection names back to versions. */
    public List<String> versions() {
        java.util.ArrayList<String> out = new java.util.ArrayList<>();
        out.add(baseVersion);
        all().forEach(u -> out.add(u.version()));
        return out;
    }

    /** The number of records ever promoted (rolled-back ones included): the next version's sequence. */
    public int promotions() {
        return byVersion.size();
    }

    private static final Comparator<ModelUpdate> ORDER =
            Comparator.comparingLong(ModelUpdate::promotedAt).thenComparing(ModelUpdate::version);

    @Override
    public String toString() {
        return "ModelLineage[base=" + baseVersion + ", live=" + liveVersion() + ", models=" + byVersion.keySet() + "]";
    }
}
