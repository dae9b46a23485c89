package dev.embedloop.train;

import dev.embedloop.events.InterleavingOutcome;
import dev.embedloop.lineage.ModelUpdate;
import java.time.Duration;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;

/**
 * The running online comparison of one candidate under test against its parent (the live model):
 * counts the interleaving outcomes of that pair, each impression once, and asks the
 * {@link OnlineGate}. Outcomes of other candidates, or of this one against another live model, are
 * not counted. Not thread-safe (the trainer's loop owns it).
 */
final class OnlineComparison {

    private final ModelUpdate candidate;
    private final Set<String> counted = new HashSet<>();
    private int wins;
    private int losses;
    private int ties;

    /** @param candidate the {@code under_test} record: its version, parent and the time it went under test */
    OnlineComparison(ModelUpdate candidate) {
        this.candidate = Objects.requireNonNull(candidate, "candidate");
        if (!candidate.underTest()) {
            throw new IllegalArgumentException(candidate.version() + " is not under test but " + candidate.status());
        }
    }

    ModelUpdate candidate() {
        return candidate;
    }

    /** Counts {@code o} when it compares this candidate with its parent and was not counted before. */
    boolean add(InterleavingOutcome o) {
        if (!o.candidateVersion().equals(candidate.version()) || !o.liveVersion().equals(candidate.parent())
                || !counted.add(o.queryId())) {
            return false;
        }
        switch (o.outcome()) {
            case InterleavingOutcome.WIN -> wins++;
            case InterleavingOutcome.LOSS -> losses++;
            default -> ties++;
        }
        return true;
    }

    /** The gate's decision on the counts so far, at {@code now} (epoch ms; the budget runs from the under_test record). */
    OnlineGate.Decision decide(OnlineGate gate, long now) {
        return gate.decide(wins, losses, ties, Duration.ofMillis(Math.max(0, now - candidate.promotedAt())));
    }
}
