package dev.embedloop.lineage;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * One record of the compacted {@code model-updates} topic, key = {@link #version()}.
 *
 * <pre>{@code
 * {"version": "all-minilm-l6-v2-a2", "path": "data/models/all-minilm-l6-v2-a2", "mode": "symmetric",
 *  "parent": "all-minilm-l6-v2-a1", "metrics": {"live": {...}, "candidate": {...}},
 *  "base": "all-minilm-l6-v2", "document_version": "all-minilm-l6-v2-a2",
 *  "promoted_at": 1764105600000, "status": "promoted"}
 * }</pre>
 *
 * <p>Every model is the frozen base encoder plus a linear adapter. {@code document_version} names
 * the model whose adapter the documents carry: the model itself in {@code symmetric} mode (its
 * promotion needs a re-index into {@code <alias>__<version>}), the parent's document version in
 * {@code query-only} mode (nothing is re-indexed). A rollback republishes the record with
 * {@code status = rolled_back}; the live model is then the newest promoted one that is left.
 *
 * @param version the model's version: names its directory and its collection
 * @param path the model directory ({@code model.onnx}, {@code tokenizer.json}, {@code model.json},
 *     {@code adapter.bin})
 * @param mode {@code symmetric} or {@code query-only}
 * @param parent the live model when this one was trained
 * @param metrics the gate's figures (free-form JSON)
 * @param base the version of the frozen base model the adapter sits on
 * @param documentVersion the version whose adapter the indexed documents carry
 * @param promotedAt when it was promoted, epoch milliseconds (orders promotions)
 * @param status {@link #PROMOTED}, {@link #ROLLED_BACK}, {@link #UNDER_TEST} or {@link #ABANDONED};
 *     {@link #PAUSED} or {@link #RESUMED} on the training-control record (key {@link #TRAINING_CONTROL}),
 *     which names no model
 * @param artifact the adapter and checksums from which an instance rebuilds the model without
 *     the trainer's disk ({@link ModelStore#materialise}); null: the model is read from {@code path}
 *     (a store every instance sees at the same path). A record republished for the same version
 *     (rollback, a status change) must carry it on: compaction keeps only the latest record of a version.
 * @param trainingWindow the training window the model was trained on (topic, partition offsets,
 *     timestamps; null when unknown): a rollback keeps it, so the trainer never promotes a model of
 *     the same window again
 * @param rolledBackAt when it was rolled back (or when training was paused or resumed), epoch
 *     milliseconds; null otherwise. The trainer counts feedback newer than this before it promotes again
 *
 * <p>Training control: {@code train pause} / {@code train resume} publish
 * {@code {"version": "__training__", "status": "paused" | "resumed", "base": …, "rolled_back_at": …}};
 * the topic is compacted, so the last one holds for every trainer instance, restarts included.
 * {@link ModelLineage} keeps it apart from the models.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelUpdate(
        @JsonProperty("version") String version,
        @JsonProperty("path") String path,
        @JsonProperty("mode") String mode,
        @JsonProperty("parent") String parent,
        @JsonProperty("metrics") JsonNode metrics,
        @JsonProperty("base") String base,
        @JsonProperty("document_version") String documentVersion,
        @JsonProperty("promoted_at") long promotedAt,
        @JsonProperty("status") String status,
        @JsonProperty("artifact") ModelArtifact artifact,
        @JsonProperty("training_window") JsonNode trainingWindow,
        @JsonProperty("rolled_back_at") Long rolledBackAt) {

    /** The largest model-updates record Embedloop writes (a 1024-d adapter in base64 is 5.6 MB). */
    public static final int MAX_RECORD_BYTES = 8 * 1024 * 1024;

    public static final String PROMOTED = "promoted";
    public static final String ROLLED_BACK = "rolled_back";
    /** A candidate that passed the offline gate and is being compared online (interleaving); never live. */
    public static final String UNDER_TEST = "under_test";
    /** A candidate that lost (or ran out of budget) online; never live. */
    public static final String ABANDONED = "abandoned";
    public static final String PAUSED = "paused";
    public static final String RESUMED = "resumed";
    /** The key (version) of the training-control record. */
    public static final String TRAINING_CONTROL = "__training__";
    public static final String SYMMETRIC = "symmetric";
    public static final String QUERY_ONLY = "query-only";
    /**
     * The {@code training_window} field listing the {@link dev.embedloop.events.Queries#key keys} of
     * the queries a model was trained on.
     */
    public static final String TRAINED_QUERIES = "trained_queries";

    /** A model record without artifact (read from {@code path}), training window or rollback time. */
    public ModelUpdate(String version, String path, String mode, String parent, JsonNode metrics, String base,
            String documentVersion, long promotedAt, String status) {
        this(version, path, mode, parent, metrics, base, documentVersion, promotedAt, status, null, null, null);
    }

    /** A model record with its artifact, without training window or rollback time. */
    public ModelUpdate(String version, String path, String mode, String parent, JsonNode metrics, String base,
            String documentVersion, long promotedAt, String status, ModelArtifact artifact) {
        this(version, path, mode, parent, metrics, base, documentVersion, promotedAt, status, artifact, null, null);
    }

    /** A record without artifact, with training window and rollback time. */
    public ModelUpdate(String version, String path, String mode, String parent, JsonNode metrics, String base,
            String documentVersion, long promotedAt, String status, JsonNode trainingWindow, Long rolledBackAt) {
        this(version, path, mode, parent, metrics, base, documentVersion, promotedAt, status, null, trainingWindow,
                rolledBackAt);
    }

    public ModelUpdate {
        Objects.requireNonNull(version, "version");
        if (version.equals(TRAINING_CONTROL)) {
            Objects.requireNonNull(base, "base");
            if (!PAUSED.equals(status) && !RESUMED.equals(status)) {
                throw new IllegalArgumentException("the training-control record's status must be paused or resumed, was "
                        + status);
            }
            path = path == null ? "" : path;
            mode = mode == null ? "" : mode;
            documentVersion = documentVersion == null ? "" : documentVersion;
        } else {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(base, "base");
            Objects.requireNonNull(documentVersion, "document_version");
            if (!mode.equals(SYMMETRIC) && !mode.equals(QUERY_ONLY)) {
                throw new IllegalArgumentException("mode must be symmetric or query-only, was " + mode);
            }
            status = status == null ? PROMOTED : status;
            if (!status.equals(PROMOTED) && !status.equals(ROLLED_BACK) && !status.equals(UNDER_TEST)
                    && !status.equals(ABANDONED)) {
                throw new IllegalArgumentException("status must be promoted, rolled_back, under_test or abandoned, was "
                        + status);
            }
            if (mode.equals(SYMMETRIC) && !documentVersion.equals(version)) {
                throw new IllegalArgumentException("a symmetric model's document_version is its own version");
            }
        }
    }

    /** A {@code train pause} ({@code paused = true}) or {@code train resume} record for {@code base}. */
    public static ModelUpdate trainingControl(String base, boolean paused, long at) {
        return new ModelUpdate(TRAINING_CONTROL, "", "", null, null, base, "", at, paused ? PAUSED : RESUMED, null, at);
    }

    /** Whether this is the training-control record rather than a model. */
    public boolean isTrainingControl() {
        return version.equals(TRAINING_CONTROL);
    }

    public boolean promoted() {
        return status.equals(PROMOTED);
    }

    /** Whether it was promoted and then rolled back. */
    public boolean rolledBackStatus() {
        return status.equals(ROLLED_BACK);
    }

    /** Whether it is a candidate being compared online with its parent. */
    public boolean underTest() {
        return status.equals(UNDER_TEST);
    }

    /** The same record with another status (under test → promoted or abandoned), same everything else. */
    public ModelUpdate withStatus(String newStatus, long at) {
        return new ModelUpdate(version, path, mode, parent, metrics, base, documentVersion,
                newStatus.equals(PROMOTED) ? at : promotedAt, newStatus, artifact, trainingWindow, rolledBackAt);
    }

    public boolean symmetric() {
        return mode.equals(SYMMETRIC);
    }

    /**
     * The keys of the queries this model was trained on ({@value #TRAINED_QUERIES} in its training
     * window), or null when its record does not list them (a fresh set on every call).
     */
    public java.util.Set<String> trainedQueryKeys() {
        JsonNode list = trainingWindow == null ? null : trainingWindow.get(TRAINED_QUERIES);
        if (list == null || !list.isArray()) {
            return null;
        }
        java.util.Set<String> keys = new java.util.HashSet<>();
        list.forEach(k -> keys.add(k.asText()));
        return keys;
    }

    /**
     * When its rollback took effect: {@code rolled_back_at}, or its promotion time on a record
     * written without one.
     */
    public long rolledBackTime() {
        return rolledBackAt == null ? promotedAt : rolledBackAt;
    }

    /** The same record marked rolled back (same promotion time: the order of promotions stays). */
    public ModelUpdate rolledBack() {
        return rolledBack(System.currentTimeMillis());
    }

    /**
     * The same record marked rolled back at {@code at} (same promotion time: the order of promotions
     * stays; the training window stays, so the trainer knows which window not to promote again; the
     * artifact stays, so every instance can still rebuild it).
     */
    public ModelUpdate rolledBack(long at) {
        return new ModelUpdate(version, path, mode, parent, metrics, base, documentVersion, promotedAt, ROLLED_BACK,
                artifact, trainingWindow, at);
    }

    /** The same record carrying {@code newArtifact}. */
    public ModelUpdate withArtifact(ModelArtifact newArtifact) {
        return new ModelUpdate(version, path, mode, parent, metrics, base, documentVersion, promotedAt, status,
                newArtifact, trainingWindow, rolledBackAt);
    }

    /** The same record with the training window it was trained on. */
    public ModelUpdate withTrainingWindow(JsonNode window) {
        return new ModelUpdate(version, path, mode, parent, metrics, base, documentVersion, promotedAt, status,
                artifact, window, rolledBackAt);
    }
}
