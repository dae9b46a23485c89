package dev.embedloop.lineage;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Base64;
import java.util.Objects;

/**
 * What an instance needs to rebuild a promoted model from its own copy of the base model, carried
 * in the model's {@code model-updates} record, so that no disk is shared between hosts:
 *
 * <pre>{@code
 * "artifact": {"adapter": "<base64 of adapter.bin>", "adapter_sha256": "…",
 *              "model_sha256": "<sha-256 of the exported model.onnx>", "base_model_sha256": "…"}
 * }</pre>
 *
 * <p>The adapter is d×d float32 (590 KB for d = 384, 786 KB in base64). The export of the base
 * graph plus the adapter is deterministic, so every host that holds the same base
 * {@code model.onnx} ({@code base_model_sha256}) rebuilds a byte-identical {@code model.onnx}
 * ({@code model_sha256}); {@link ModelStore#materialise} checks both.
 *
 * @param adapter the adapter file ({@code LinearAdapter} binary format), base64
 * @param adapterSha256 hex SHA-256 of the adapter bytes
 * @param modelSha256 hex SHA-256 of the exported {@code model.onnx}
 * @param baseModelSha256 hex SHA-256 of the base {@code model.onnx} it was exported from
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelArtifact(
        @JsonProperty("adapter") String adapter,
        @JsonProperty("adapter_sha256") String adapterSha256,
        @JsonProperty("model_sha256") String modelSha256,
        @JsonProperty("base_model_sha256") String baseModelSha256) {

    public ModelArtifact {
        Objects.requireNonNull(adapter, "adapter");
        Objects.requireNonNull(adapterSha256, "adapter_sha256");
        Objects.requireNonNull(modelSha256, "model_sha256");
    }

    /** The adapter's bytes (not yet checked against {@link #adapterSha256()}). */
    public byte[] adapterBytes() {
        return Base64.getDecoder().decode(adapter);
    }

    @Override
    public String toString() {
        return "ModelArtifact[adapter=" + adapter.length() + " base64 chars, adapter_sha256=" + adapterSha256
                + ", model_sha256=" + modelSha256 + ", base_model_sha256=" + baseModelSha256 + "]";
    }
}
