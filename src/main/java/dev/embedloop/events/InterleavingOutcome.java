package dev.embedloop.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * The result of one interleaved impression (team-draft interleaving of the live and the candidate
 * model), published per impression by the feedback topology once its clicks are decided, key =
 * candidate version. The trainer counts them to promote or abandon the candidate.
 *
 * <pre>{@code
 * {"query_id": "q-42", "live_version": "m-a1", "candidate_version": "m-a2", "live_clicks": 0,
 *  "candidate_clicks": 2, "outcome": "win", "timestamp": 1764090000000, "query_key": "3f2a9c0d41b7e655"}
 * }</pre>
 *
 * @param queryId the impression
 * @param liveVersion the live model it was compared with
 * @param candidateVersion the candidate under test
 * @param liveClicks clicks on results the live team placed
 * @param candidateClicks clicks on results the candidate team placed
 * @param outcome {@link #WIN} (the candidate got more clicks), {@link #LOSS} or {@link #TIE}
 * @param timestamp the impression's time, epoch milliseconds
 * @param queryKey {@link Queries#key} of the searched query (not its text): the trainer counts only
 *     queries the candidate was not trained on, and weighs each query once however often it repeats;
 *     null in records written before it existed
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record InterleavingOutcome(
        @JsonProperty("query_id") String queryId,
        @JsonProperty("live_version") String liveVersion,
        @JsonProperty("candidate_version") String candidateVersion,
        @JsonProperty("live_clicks") int liveClicks,
        @JsonProperty("candidate_clicks") int candidateClicks,
        @JsonProperty("outcome") String outcome,
        @JsonProperty("timestamp") long timestamp,
        @JsonProperty("query_key") String queryKey) {

    public static final String WIN = "win";
    public static final String LOSS = "loss";
    public static final String TIE = "tie";
    public static final String LIVE_TEAM = "live";
    public static final String CANDIDATE_TEAM = "candidate";
    /** A result both rankings proposed in the same round: clicks on it credit neither team. */
    public static final String BOTH_TEAMS = "both";

    /** An outcome without its query's key. */
    public InterleavingOutcome(String queryId, String liveVersion, String candidateVersion, int liveClicks,
            int candidateClicks, String outcome, long timestamp) {
        this(queryId, liveVersion, candidateVersion, liveClicks, candidateClicks, outcome, timestamp, null);
    }

    public InterleavingOutcome {
        Objects.requireNonNull(queryId, "queryId");
        Objects.requireNonNull(liveVersion, "liveVersion");
        Objects.requireNonNull(candidateVersion, "candidateVersion");
        if (liveClicks < 0 || candidateClicks < 0) {
            throw new IllegalArgumentException("click counts must be at least 0");
        }
        String expected = candidateClicks > liveClicks ? WIN : candidateClicks < liveClicks ? LOSS : TIE;
        if (!expected.equals(outcome)) {
            throw new IllegalArgumentException("outcome must be " + expected + " for " + candidateClicks + " vs "
                    + liveClicks + " clicks, was " + outcome);
        }
    }

    /**
     * Attributes the clicks of one interleaved impression to teams.
     *
     * @param teams the team of each shown result, by rank (index 0 = rank 1): {@link #LIVE_TEAM},
     *     {@link #CANDIDATE_TEAM} or {@link #BOTH_TEAMS} (credits neither)
     * @param clickedRanks the ranks (from 1) that were clicked; each rank counts once however often it was clicked
     * @param queryKey {@link Queries#key} of the searched query, or null
     */
    public static InterleavingOutcome of(String queryId, String liveVersion, String candidateVersion,
            List<String> teams, Collection<Integer> clickedRanks, long timestamp, String queryKey) {
        int live = 0;
        int candidate = 0;
        for (int rank : new java.util.TreeSet<>(clickedRanks)) {
            if (rank < 1 || rank > teams.size()) {
                continue; // not a shown result: no team to credit
            }
            if (CANDIDATE_TEAM.equals(teams.get(rank - 1))) {
                candidate++;
            } else if (LIVE_TEAM.equals(teams.get(rank - 1))) {
                live++;
            }
        }
        String outcome = candidate > live ? WIN : candidate < live ? LOSS : TIE;
        return new InterleavingOutcome(queryId, liveVersion, candidateVersion, live, candidate, outcome, timestamp,
                queryKey);
    }

    /** Whether the user preferred one side. */
    public boolean hasPreference() {
        return !TIE.equals(outcome);
    }
}
