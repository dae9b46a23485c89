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
 * @param status {@link #PROMOTED} or {@link #ROLLED_BACK}
 * @param artifact the adapter and checksums from which an instance rebuilds the model without
 *     the trainer's disk ({@link ModelStore#materialise}); null: the model is read from {@code path}
 *     (a store every instance sees at the same path). A record republished for the same version
 *     (rollback) must carry it on: compaction keeps only the latest record of a version.
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
        @JsonProperty("artifact") ModelArtifact artifact) {

    /** The largest model-updates record Embedloop writes (a 1024-d adapter in base64 is 5.6 MB). */
    public static final int MAX_RECORD_BYTES = 8 * 1024 * 1024;

    public static final String PROMOTED = "promoted";
    public static final String ROLLED_BACK = "rolled_back";
    public static final String SYMMETRIC = "symmetric";
    public static final String QUERY_ONLY = "query-only";

    /** A record without an artifact: the model is read from {@code path}. */
    public ModelUpdate(String version, String path, String mode, String parent, JsonNode metrics, String base,
            String documentVersion, long promotedAt, String status) {
        this(version, path, mode, parent, metrics, base, documentVersion, promotedAt, status, null);
    }

    public ModelUpdate {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(documentVersion, "document_version");
        if (!mode.equals(SYMMETRIC) && !mode.equals(QUERY_ONLY)) {
            throw new IllegalArgumentException("mode must be symmetric or query-only, was " + mode);
        }
        status = status == null ? PROMOTED : status;
        if (!status.equals(PROMOTED) && !status.equals(ROLLED_BACK)) {
            throw new IllegalArgumentException("status must be promoted or rolled_back, was " + status);
        }
        if (mode.equals(SYMMETRIC) && !documentVersion.equals(version)) {
            throw new IllegalArgumentException("a symmetric model's document_version is its own version");
        }
    }

    public boolean promoted() {
        return status.equals(PROMOTED);
    }

    public boolean symmetric() {
        return mode.equals(SYMMETRIC);
    }

    /** The same record marked rolled back (same promotion time: the order of promotions stays). */
    public ModelUpdate rolledBack() {
        return new ModelUpdate(version, path, mode, parent, metrics, base, documentVersion, promotedAt, ROLLED_BACK,
                artifact);
    }

    /** The same record carrying {@code newArtifact}. */
    public ModelUpdate withArtifact(ModelArtifact newArtifact) {
        return new ModelUpdate(version, path, mode, parent, metrics, base, documentVersion, promotedAt, status,
                newArtifact);
    }
}
