package dev.embedloop.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.embedloop.model.AdapterMode;
import dev.embedloop.model.LinearAdapter;
import dev.embedloop.train.AdapterTrainer.Loss;
import dev.embedloop.train.AdapterTrainer.Options;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * End-to-end behaviour of trainer plus gate on synthetic feedback: learnable relevance must be
 * learned and promoted, noise must not be promoted.
 */
class SyntheticTaskTest {

    private static final int DIM = 64;
    private final Gate gate = new Gate(Gate.Options.defaults().withHoldoutFraction(0.2));

    private Gate.Decision trainAndGate(List<Synthetic.Timed> data, Options options) {
        Gate.Split<Synthetic.Timed> split = gate.split(data, Synthetic.Timed::timestamp);
        LinearAdapter candidate = new AdapterTrainer(options).train(DIM, Synthetic.triples(split.train())).adapter();
        Gate.Decision decision = gate.decide(LinearAdapter.identity(DIM), candidate, Synthetic.triples(split.holdout()));
        System.out.printf("%s %s: live %s | candidate %s | %s%n", options.loss(), options.mode(),
                decision.live(), decision.candidate(), decision.promote() ? "PROMOTE" : "keep");
        return decision;
    }

    @Test
    void shouldLearnHiddenSubspaceAndPromote() {
        List<Synthetic.Timed> data = Synthetic.subspaceTask(1, DIM, DIM / 4, 1000, 2000, 3, 1.5, false);
        Gate.Decision decision = trainAndGate(data, Options.defaults().withEpochs(3));
        assertThat(decision.promote()).isTrue();
        assertThat(decision.candidate().mrr()).isGreaterThan(decision.live().mrr() + 0.3);
        assertThat(decision.candidate().recall().get(5)).isGreaterThan(decision.live().recall().get(5));
    }

    @Test
    void shouldLearnHiddenSubspaceWithTripletLoss() {
        List<Synthetic.Timed> data = Synthetic.subspaceTask(1, DIM, DIM / 4, 1000, 2000, 3, 1.5, false);
        Gate.Decision decision = trainAndGate(data, Options.defaults().withLoss(Loss.TRIPLET).withEpochs(3));
        assertThat(decision.promote()).isTrue();
        assertThat(decision.candidate().mrr()).isGreaterThan(decision.live().mrr() + 0.1);
    }

    @Test
    void shouldUndoHiddenRotationOnQueriesOnly() {
        // A rotation of the queries cannot be undone by one W on both sides, but W = Aᵀ on the
        // query side does it: the query-only mode's reason to exist (and it needs no re-index).
        List<Synthetic.Timed> data = Synthetic.rotationTask(2, DIM, 1000, 2000, 3, 0.5);
        Gate.Decision decision = trainAndGate(data, Options.defaults().withMode(AdapterMode.QUERY_ONLY).withEpochs(3));
        assertThat(decision.promote()).isTrue();
        assertThat(decision.candidate().mrr()).isGreaterThan(decision.live().mrr() + 0.5);
    }

    @Test
    void shouldNotPromoteWhenFeedbackIsNoise() {
        // Positives unrelated to their queries: whatever W learns from them cannot rank later
        // clicks better. More epochs than usual, so the trainer has every chance to overfit.
        List<Synthetic.Timed> data = Synthetic.subspaceTask(3, DIM, DIM / 4, 1000, 2000, 3, 1.5, true);
        Gate.Decision decision = trainAndGate(data, Options.defaults().withEpochs(5));
        assertThat(decision.promote()).isFalse();
        assertThat(decision.reason()).contains("not better");
        assertThat(Math.abs(decision.improvement())).isLessThan(gate.options().margin());
    }
}
