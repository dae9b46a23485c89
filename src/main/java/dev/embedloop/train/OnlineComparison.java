package dev.embedloop.train;

import dev.embedloop.events.InterleavingOutcome;
import dev.embedloop.lineage.ModelUpdate;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The running online comparison of one candidate under test against its parent (the live model):
 * counts the interleaving outcomes of that pair, each impression once, and asks the
 * {@link OnlineGate}. Outcomes of other candidates, or of this one against another live model, are
 * not counted.
 *
 * <p>Nor are outcomes of queries the candidate was trained on (its {@code training_window} lists
 * their {@link dev.embedloop.events.Queries#key keys} as {@value ModelUpdate#TRAINED_QUERIES}):
 * users who repeat a query prefer a candidate that memorised its clicks, which says nothing of the
 * queries nobody has clicked yet (issue #15). Those impressions spend the budget but are no evidence.
 * The counted ones are grouped by query, so the gate weighs each query once however often it
 * repeats. Not thread-safe (the trainer's loop owns it).
 */
final class OnlineComparison {

    private final ModelUpdate candidate;
    /** Keys of the queries the candidate was trained on; null when its record does not say (every outcome counts). */
    private final Set<String> trained;
    private final Set<String> seen = new HashSet<>();
    private final Map<String, Integer> netByQuery = new HashMap<>();
    private int wins;
    private int losses;
    private int ties;
    private int notCounted;
    /** The query of every counted win or loss, in arrival order, and whether it was a win: for the looks. */
    private final java.util.List<String> preferenceQueries = new java.util.ArrayList<>();
    private final java.util.BitSet preferenceWins = new java.util.BitSet();
    /** Looks taken so far. */
    private int looks;
    /** The decision of the look that found a significant result; final. */
    private OnlineGate.Decision settled;

    /** @param candidate the {@code under_test} record: its version, parent, the time it went under test, its window */
    OnlineComparison(ModelUpdate candidate) {
        this.candidate = Objects.requireNonNull(candidate, "candidate");
        if (!candidate.underTest()) {
            throw new IllegalArgumentException(candidate.version() + " is not under test but " + candidate.status());
        }
        this.trained = candidate.trainedQueryKeys();
    }

    ModelUpdate candidate() {
        return candidate;
    }

    /**
     * Counts {@code o} when it compares this candidate with its parent, was not seen before, and its
     * query is not one the candidate was trained on (an outcome without a query key counts only
     * when the candidate's record lists no trained queries).
     *
     * @return whether it was counted as evidence
     */
    boolean add(InterleavingOutcome o) {
        if (!o.candidateVersion().equals(candidate.version()) || !o.liveVersion().equals(candidate.parent())
                || !seen.add(o.queryId())) {
            return false;
        }
        if (trained != null && (o.queryKey() == null || trained.contains(o.queryKey()))) {
            notCounted++;
            return false;
        }
        // without a key, each impression is its own query
        String query = o.queryKey() == null ? "impression:" + o.queryId() : o.queryKey();
        switch (o.outcome()) {
            case InterleavingOutcome.WIN -> {
                wins++;
                netByQuery.merge(query, 1, Integer::sum);
                preferenceWins.set(preferenceQueries.size());
                preferenceQueries.add(query);
            }
            case InterleavingOutcome.LOSS -> {
                losses++;
                netByQuery.merge(query, -1, Integer::sum);
                preferenceQueries.add(query);
            }
            default -> {
                ties++;
                netByQuery.putIfAbsent(query, 0);
            }
        }
        return true;
    }

    /** Interleaved impressions of this pair that were not counted: queries the candidate was trained on. */
    int notCounted() {
        return notCounted;
    }

    /**
     * The gate's decision at {@code now} (epoch ms; the budget runs from the under_test record). Each
     * checkpoint the counted preferences have reached is looked at once, on the outcomes up to it
     * ({@link OnlineGate#look}), however often this is called and however the outcomes were batched;
     * a significant look settles the comparison. Between looks only the futility rule and the budgets
     * apply ({@link OnlineGate#otherwise}).
     */
    OnlineGate.Decision decide(OnlineGate gate, long now) {
        while (settled == null && gate.checkpoint(looks) <= preferenceQueries.size()) {
            int at = (int) gate.checkpoint(looks);
            Map<String, Integer> nets = new HashMap<>();
            int w = 0;
            for (int i = 0; i < at; i++) {
                boolean win = preferenceWins.get(i);
                w += win ? 1 : 0;
                nets.merge(preferenceQueries.get(i), win ? 1 : -1, Integer::sum);
            }
            OnlineGate.Decision look = gate.look(looks, w, at - w, ties,
                    nets.values().stream().mapToInt(Integer::intValue).toArray(), notCounted);
            if (look != null) {
                // the look's figures in the reason; the counts are the test's so far
                settled = new OnlineGate.Decision(look.verdict(), wins, losses, ties, look.pValue(), look.reason()
                        + "; so far wins " + wins + ", losses " + losses + ", ties " + ties
                        + OnlineGate.notCounted(notCounted));
            }
            looks++;
        }
        if (settled != null) {
            return settled;
        }
        int[] nets = netByQuery.values().stream().mapToInt(Integer::intValue).toArray();
        return gate.otherwise(wins, losses, ties, nets, notCounted,
                Duration.ofMillis(Math.max(0, now - candidate.promotedAt())));
    }
}
