package dev.embedloop.eval;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Simulated users on the real search API: in each round, every query is searched once per session
 * ({@code GET /search}, which makes an impression), the {@link ClickModel} decides which results
 * of the served page the user clicks, and each click is reported ({@code POST /clicks}). The feedback
 * topology downstream turns these into training pairs exactly as it would for people.
 *
 * <p>Queries and sessions run in a fixed order (session by session, every query in each), one
 * request at a time, and each session draws
 * from its own generator ({@link ClickModel#sessionRandom}), so the same seed and the same served
 * pages give the same clicks.
 */
public final class ClickSimulator {

    /** Results per page, as a user sees them. */
    public static final int PAGE_SIZE = 10;

    private final SearchClient client;
    private final ClickModel model;
    private final long seed;
    private final String runTag;
    private final PrintStream progress;

    /**
     * @param runTag prefix of the session ids, so that the sessions of two runs never mix
     * @param progress where per-round lines go, null for none
     */
    public ClickSimulator(SearchClient client, ClickModel model, long seed, String runTag, PrintStream progress) {
        this.client = Objects.requireNonNull(client, "client");
        this.model = Objects.requireNonNull(model, "model");
        this.seed = seed;
        this.runTag = Objects.requireNonNull(runTag, "runTag");
        this.progress = progress;
    }

    /** A query the simulated users type, with the judgements that decide their clicks. */
    public record SimQuery(String id, String text, Map<String, Integer> judgements) {
        public SimQuery {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(text, "text");
            judgements = Map.copyOf(judgements);
        }
    }

    /**
     * What one round did.
     *
     * @param impressions searches served (one impression each)
     * @param clicks clicks reported
     * @param servedNdcg mean nDCG@10 (linear gains) of the served pages: how good the ranking users saw was
     * @param modelVersions the model versions that served the round's pages
     */
    @JsonPropertyOrder({"round", "impressions", "clicks", "served_ndcg@10", "seconds", "model_versions"})
    public record RoundReport(
            @JsonProperty("round") int round,
            @JsonProperty("impressions") long impressions,
            @JsonProperty("clicks") long clicks,
            @JsonProperty("served_ndcg@10") double servedNdcg,
            @JsonProperty("seconds") double seconds,
            @JsonProperty("model_versions") List<String> modelVersions) {

        public String describe() {
            return String.format(Locale.ROOT, "round %d: %d impressions, %d clicks, served nDCG@10 %.4f, %.1f s, model %s",
                    round, impressions, clicks, servedNdcg, seconds, String.join(",", modelVersions));
        }
    }

    /** Runs {@code rounds} rounds of {@code sessions} sessions per query. */
    public List<RoundReport> run(List<SimQuery> queries, int rounds, int sessions) {
        if (rounds < 1 || sessions < 1) {
            throw new IllegalArgumentException("rounds and sessions must be at least 1, were " + rounds + " and " + sessions);
        }
        List<RoundReport> reports = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            RoundReport report = round(round, queries, sessions);
            reports.add(report);
            if (progress != null) {
                progress.println("[clicks] " + report.describe());
            }
        }
        return reports;
    }

    /** One round: every query, every session. */
    public RoundReport round(int round, List<SimQuery> queries, int sessions) {
        try {
            return round(round, queries, sessions, session -> { });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** What runs after each session pass of a round: every query has been searched once more. */
    @FunctionalInterface
    public interface AfterSession {
        void after(int session) throws InterruptedException;
    }

    /**
     * One round, session by session: in session s every query is searched once (as another user
     * would), then {@code afterSession} runs with s. Clicks depend only on the seed, round, query,
     * session and the page served, not on this order.
     */
    public RoundReport round(int round, List<SimQuery> queries, int sessions, AfterSession afterSession)
            throws InterruptedException {
        long t0 = System.nanoTime();
        long impressions = 0;
        long clicks = 0;
        double ndcgSum = 0;
        TreeSet<String> versions = new TreeSet<>();
        for (int session = 1; session <= sessions; session++) {
            for (SimQuery query : queries) {
                String sessionId = runTag + "-r" + round + "-q" + query.id() + "-s" + session;
                SearchClient.SearchPage page = client.search(query.text(), PAGE_SIZE, sessionId);
                impressions++;
                if (page.modelVersion() != null) {
                    versions.add(page.modelVersion());
                }
                List<String> shown = page.docIds();
                ndcgSum += Metrics.ndcg(PAGE_SIZE, shown, query.judgements(), Metrics.Gain.LINEAR);
                for (ClickModel.SimulatedClick click : model.session(shown, query.judgements(),
                        ClickModel.sessionRandom(seed, round, query.id(), session))) {
                    client.click(page, click.docId(), click.dwellMs());
                    clicks++;
                }
            }
            afterSession.after(session);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new RoundReport(round, impressions, clicks, impressions == 0 ? 0 : ndcgSum / impressions, seconds,
                List.copyOf(versions));
    }
}
