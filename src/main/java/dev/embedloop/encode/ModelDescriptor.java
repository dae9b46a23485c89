package dev.embedloop.encode;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * What a model directory's {@code model.json} says about its {@code model.onnx}.
 *
 * @param name human-readable model name, e.g. {@code all-minilm-l6-v2}
 * @param version the version that names collections and is stored with every point
 * @param dimension length of the output vectors
 * @param pooling {@code mean} or {@code cls}; {@code none} when the graph already pools
 * @param normalize whether vectors are L2-normalised after pooling
 * @param maxTokens the model's token window, special tokens included
 * @param queryPrefix prepended to queries (e5/bge style models), may be empty
 * @param documentPrefix prepended to documents, may be empty
 * @param includeTokenTypes whether the graph takes a {@code token_type_ids} input
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ModelDescriptor(
        @JsonProperty("name") String name,
        @JsonProperty("version") String version,
        @JsonProperty("dimension") int dimension,
        @JsonProperty("pooling") String pooling,
        @JsonProperty("normalize") boolean normalize,
        @JsonProperty("max_tokens") int maxTokens,
        @JsonProperty("query_prefix") String queryPrefix,
        @JsonProperty("document_prefix") String documentPrefix,
        @JsonProperty("include_token_types") boolean includeTokenTypes) {

    public ModelDescriptor {
        Objects.requireNonNull(name, "model.json: name is required");
        Objects.requireNonNull(version, "model.json: version is required");
        if (version.isBlank()) {
            throw new IllegalArgumentException("model.json: version must not be blank");
        }
        if (dimension <= 0) {
            throw new IllegalArgumentException("model.json: dimension must be positive, was " + dimension);
        }
        if (maxTokens < 8) {
            throw new IllegalArgumentException("model.json: max_tokens must be at least 8, was " + maxTokens);
        }
        pooling = pooling == null ? "mean" : pooling;
        if (!pooling.equals("mean") && !pooling.equals("cls") && !pooling.equals("none")) {
            throw new IllegalArgumentException("model.json: pooling must be mean, cls or none, was " + pooling);
        }
        queryPrefix = queryPrefix == null ? "" : queryPrefix;
        documentPrefix = documentPrefix == null ? "" : documentPrefix;
    }
}
