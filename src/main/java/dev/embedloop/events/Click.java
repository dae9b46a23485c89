package dev.embedloop.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * A click on a search result, published on the {@code clicks} topic with key = {@link #queryId()}.
 *
 * <pre>{@code
 * {"query_id": "q-42", "doc_id": "d1", "rank": 1, "dwell_ms": 45000, "timestamp": 1735689612000}
 * }</pre>
 *
 * @param queryId the search the click belongs to; the record key
 * @param docId the clicked document
 * @param rank the rank the client reports; the impression's rank of {@code docId} is the one used
 * @param dwellMs optional time spent on the document, milliseconds; absent means unknown
 * @param timestamp when the click happened, epoch milliseconds
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"query_id", "doc_id", "rank", "dwell_ms", "timestamp"})
public record Click(
        @JsonProperty(value = "query_id", required = true) String queryId,
        @JsonProperty(value = "doc_id", required = true) String docId,
        @JsonProperty(value = "rank", required = true) int rank,
        @JsonProperty("dwell_ms") Long dwellMs,
        @JsonProperty(value = "timestamp", required = true) long timestamp) {

    public Click {
        Fields.requireNonBlank(queryId, "query_id");
        Fields.requireNonBlank(docId, "doc_id");
        if (rank < 1) {
            throw new IllegalArgumentException("rank must be at least 1, was " + rank);
        }
        if (dwellMs != null) {
            Fields.requireNotNegative(dwellMs, "dwell_ms");
        }
        Fields.requireNotNegative(timestamp, "timestamp");
    }
}
