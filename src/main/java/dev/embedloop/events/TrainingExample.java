package dev.embedloop.events;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.Objects;

/**
 * One training example derived from a click, published on the {@code training-pairs} topic with
 * key = {@link #queryId()}. One example per positive (qualifying clicked result) of an impression.
 *
 * <pre>{@code
 * {"query": "wing flutter",
 *  "positive": {"id": "d3", "text": "Flutter of wings ..."},
 *  "negatives": [{"id": "d1", "text": "...", "rank": 1}, {"id": "d2", "text": "...", "rank": 2}],
 *  "weight": 2.16, "model_version": "all-minilm-l6-v2@3", "query_id": "q-42", "timestamp": 1735689600000}
 * }</pre>
 *
 * <p><b>Loading for sentence-transformers.</b> The fields come in (anchor, positive, negatives)
 * order: {@code query} is the anchor, {@code positive.text} the positive, each
 * {@code negatives[i].text} a hard negative. A row maps directly to an
 * {@code (anchor, positive, negative_1, …, negative_n)} row for {@code MultipleNegativesRankingLoss},
 * or to one {@code (anchor, positive, negative)} triplet per negative for {@code TripletLoss};
 * an example with no negatives is an {@code (anchor, positive)} pair (in-batch negatives only).
 * Texts are the document's title and text ({@code DocumentEvent#indexedText()}) cut to
 * {@code feedback.max-text-chars}: training sees at most one model window anyway, so the whole
 * document is neither needed nor worth the record size.
 *
 * <p><b>Weight.</b> {@code weight} is the inverse propensity of the clicked rank, clipped (see
 * {@link PropensityModel}); use it as a sample weight or for weighted sampling to correct for
 * position bias. It is 1 when the propensity model is {@code none}.
 *
 * @param query the query text (the anchor)
 * @param positive the clicked document
 * @param negatives documents shown but skipped, best rank first; never a positive of the same query
 * @param weight inverse-propensity weight of the positive's rank, at least 1
 * @param modelVersion the model that produced the ranking the user saw
 * @param queryId the impression this example came from
 * @param timestamp the impression's timestamp, epoch milliseconds
 */
@JsonPropertyOrder({"query", "positive", "negatives", "weight", "model_version", "query_id", "timestamp"})
public record TrainingExample(
        @JsonProperty("query") String query,
        @JsonProperty("positive") Positive positive,
        @JsonProperty("negatives") List<Negative> negatives,
        @JsonProperty("weight") double weight,
        @JsonProperty("model_version") String modelVersion,
        @JsonProperty("query_id") String queryId,
        @JsonProperty("timestamp") long timestamp) {

    public TrainingExample {
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(positive, "positive");
        negatives = List.copyOf(Objects.requireNonNull(negatives, "negatives"));
        Objects.requireNonNull(modelVersion, "modelVersion");
        Objects.requireNonNull(queryId, "queryId");
        if (!(weight >= 1.0) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException("weight must be a finite number of at least 1, was " + weight);
        }
    }

    /** The clicked document: its id and its text. */
    @JsonPropertyOrder({"id", "text"})
    public record Positive(@JsonProperty("id") String id, @JsonProperty("text") String text) {
        public Positive {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(text, "text");
        }
    }

    /** A skipped document: its id, its text and the rank it was shown at. */
    @JsonPropertyOrder({"id", "text", "rank"})
    public record Negative(@JsonProperty("id") String id, @JsonProperty("text") String text,
            @JsonProperty("rank") int rank) {
        public Negative {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(text, "text");
        }
    }
}
