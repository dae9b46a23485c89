package dev.embedloop.feedback;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Objects;

/**
 * An example decided by the pairing stage, still without texts: what it hands to the emit stage
 * through the by-identity repartition topic (key = {@link #identity()}, or {@code q:<query_id>}
 * for anonymous impressions).
 *
 * @param queryId the impression's query_id
 * @param query the query text
 * @param modelVersion the model that ranked the impression
 * @param timestamp the impression's timestamp
 * @param identity {@code u:<user>} or {@code s:<session>} to cap under, or null (not capped)
 * @param positiveId the clicked document
 * @param negatives the negatives, best rank first
 * @param weight the position-bias weight
 */
record PairCandidate(
        @JsonProperty("query_id") String queryId,
        @JsonProperty("query") String query,
        @JsonProperty("model_version") String modelVersion,
        @JsonProperty("timestamp") long timestamp,
        @JsonProperty("identity") String identity,
        @JsonProperty("positive_id") String positiveId,
        @JsonProperty("negatives") List<Ranked> negatives,
        @JsonProperty("weight") double weight) {

    public PairCandidate {
        Objects.requireNonNull(queryId, "queryId");
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(modelVersion, "modelVersion");
        Objects.requireNonNull(positiveId, "positiveId");
        negatives = List.copyOf(negatives);
    }

    /** A negative document and the rank it was shown at. */
    record Ranked(@JsonProperty("id") String id, @JsonProperty("rank") int rank) {
        Ranked {
            Objects.requireNonNull(id, "id");
        }
    }
}
