package dev.embedloop.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One search as shown to a user, published on the {@code search-impressions} topic with key =
 * {@link #queryId()}.
 *
 * <pre>{@code
 * {"query_id": "q-42", "query": "wing flutter", "user_id": "u-7", "session_id": "s-1",
 *  "model_version": "all-minilm-l6-v2@3", "results": [{"doc_id": "d1", "rank": 1, "score": 0.83}],
 *  "timestamp": 1735689600000}
 * }</pre>
 *
 * @param queryId unique id of this search; the key of the record and of its clicks
 * @param query the query text as typed (never logged)
 * @param userId optional user id, used to cap examples per user
 * @param sessionId optional session id, used to cap examples when there is no user id
 * @param modelVersion the model that ranked the results; copied to every training example
 * @param results the results in the order shown; ranks start at 1 and are unique
 * @param timestamp when the search was served, epoch milliseconds
 * @param candidateVersion when the page is a team-draft interleaving of the live model
 *     ({@code model_version}) and a candidate under test: the candidate's version, and every
 *     result carries its {@code team}; null for an ordinary page
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"query_id", "query", "user_id", "session_id", "model_version", "results", "timestamp",
        "candidate_version"})
public record Impression(
        @JsonProperty(value = "query_id", required = true) String queryId,
        @JsonProperty(value = "query", required = true) String query,
        @JsonProperty("user_id") String userId,
        @JsonProperty("session_id") String sessionId,
        @JsonProperty(value = "model_version", required = true) String modelVersion,
        @JsonProperty(value = "results", required = true) List<Result> results,
        @JsonProperty(value = "timestamp", required = true) long timestamp,
        @JsonProperty("candidate_version") String candidateVersion) {

    /** An ordinary (not interleaved) page. */
    public Impression(String queryId, String query, String userId, String sessionId, String modelVersion,
            List<Result> results, long timestamp) {
        this(queryId, query, userId, sessionId, modelVersion, results, timestamp, null);
    }

    /** Whether the page interleaves the live model with a candidate under test. */
    public boolean interleaved() {
        return candidateVersion != null;
    }

    public Impression {
        Fields.requireNonBlank(queryId, "query_id");
        Fields.requireNonBlank(query, "query");
        Fields.requireNonBlank(modelVersion, "model_version");
        Objects.requireNonNull(results, "results");
        results = List.copyOf(results);
        Set<Integer> ranks = new HashSet<>();
        for (Result r : results) {
            if (r == null) {
                throw new IllegalArgumentException("results must not contain null");
            }
            if (!ranks.add(r.rank())) {
                throw new IllegalArgumentException("results repeat rank " + r.rank());
            }
            if (candidateVersion != null && r.team() == null) {
                throw new IllegalArgumentException("an interleaved page needs the team of every result");
            }
        }
        Fields.requireNotNegative(timestamp, "timestamp");
    }

    /** The shown result of {@code docId} with the best (lowest) rank, or null when it was not shown. */
    public Result resultOf(String docId) {
        Result best = null;
        for (Result r : results) {
            if (r.docId().equals(docId) && (best == null || r.rank() < best.rank())) {
                best = r;
            }
        }
        return best;
    }

    /**
     * One shown result.
     *
     * @param docId the document id (key of the documents topic)
     * @param rank 1-based position on the page
     * @param score the ranking score, optional; informational, the rules do not use it
     * @param team on an interleaved page, which ranking placed it: {@code live} or {@code candidate}, or
     *     {@code both} when both proposed it in the same round (a click on it credits neither)
     */
    @JsonPropertyOrder({"doc_id", "rank", "score", "team"})
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Result(
            @JsonProperty(value = "doc_id", required = true) String docId,
            @JsonProperty(value = "rank", required = true) int rank,
            @JsonProperty("score") Double score,
            @JsonProperty("team") String team) {

        /** A result of an ordinary page. */
        public Result(String docId, int rank, Double score) {
            this(docId, rank, score, null);
        }

        public Result {
            if (team != null && !team.equals(InterleavingOutcome.LIVE_TEAM)
                    && !team.equals(InterleavingOutcome.CANDIDATE_TEAM) && !team.equals(InterleavingOutcome.BOTH_TEAMS)) {
                throw new IllegalArgumentException("team must be live, candidate or both, was " + team);
            }
            Fields.requireNonBlank(docId, "doc_id");
            if (rank < 1) {
                throw new IllegalArgumentException("rank must be at least 1, was " + rank);
            }
        }
    }
}
