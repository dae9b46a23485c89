package dev.embedloop.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.embedloop.model.AdapterMode;
import dev.embedloop.model.LinearAdapter;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class GateTest {

    private final Gate gate = new Gate(new Gate.Options(0.25, 2, List.of(1, 2), 0.01));

    private record Event(String name, long timestamp) {
    }

    private static float[] v(float... xs) {
        return xs;
    }

    @Test
    void shouldHoldOutMostRecentExamples() {
        List<Event> events = List.of(new Event("c", 30), new Event("a", 10), new Event("e", 50),
                new Event("b", 20), new Event("d", 40), new Event("f", 60), new Event("g", 70), new Event("h", 80));
        Gate.Split<Event> split = gate.split(events, Event::timestamp);
        assertThat(split.train()).extracting(Event::name).containsExactly("a", "b", "c", "d", "e", "f");
        assertThat(split.holdout()).extracting(Event::name).containsExactly("g", "h");
    }

    @Test
    void shouldHoldOutAtLeastMinimumAndAtMostAll() {
        Gate g = new Gate(Gate.Options.defaults().withHoldoutFraction(0.1).withMinHoldout(3));
        List<Event> ten = java.util.stream.IntStream.range(0, 10).mapToObj(i -> new Event("e" + i, i)).toList();
        assertThat(g.split(ten, Event::timestamp).holdout()).hasSize(3);
        assertThat(g.split(ten.subList(0, 2), Event::timestamp).holdout()).hasSize(2);
        assertThat(g.split(ten.subList(0, 2), Event::timestamp).train()).isEmpty();
        List<Event> sameTime = List.of(new Event("x", 5), new Event("y", 5), new Event("z", 5), new Event("w", 5));
        assertThat(g.split(sameTime, Event::timestamp).holdout()).extracting(Event::name).containsExactly("y", "z", "w");
    }

    @Test
    void shouldRankPositiveAmongHardNegativesAndOtherPositives() {
        // Example 0: query (1,0); its positive (0.8,0.6) scores 0.8; its hard negative (1,0)
        // scores 1.0; the other positive (0,1) scores 0 -> rank 2.
        // Example 1: query (0,1); its positive (0,1) scores 1 -> rank 1.
        List<TrainingTriple> holdout = List.of(
                new TrainingTriple(v(1, 0), v(0.8f, 0.6f), List.of(v(1, 0))),
                new TrainingTriple(v(0, 1), v(0, 1), List.of()));
        Gate.Metrics m = gate.evaluate(LinearAdapter.identity(2), holdout);
        assertThat(m.examples()).isEqualTo(2);
        assertThat(m.mrr()).isCloseTo((0.5 + 1.0) / 2, within(1e-12));
        assertThat(m.recall()).containsEntry(1, 0.5).containsEntry(2, 1.0);
    }

    @Test
    void shouldNotCountSameDocumentAsNegativeAndCountTiesAgainst() {
        float[] shared = v(1, 0);
        List<TrainingTriple> holdout = List.of(
                new TrainingTriple(v(1, 0), shared, List.of()),
                new TrainingTriple(v(1, 0.1f), shared.clone(), List.of(v(1, 0.1f))));
        Gate.Metrics m = gate.evaluate(LinearAdapter.identity(2), holdout);
        // Example 0: the other positive is the same document -> rank 1.
        // Example 1: its hard negative scores higher -> rank 2.
        assertThat(m.mrr()).isCloseTo(0.75, within(1e-12));

        List<TrainingTriple> tie = List.of(new TrainingTriple(v(1, 0), v(1, 1), List.of(v(1, -1))),
                new TrainingTriple(v(0, 1), v(-1, 1), List.of()));
        // Example 0: (1,-1) ties with (1,1) -> rank 2 (ties count against the positive).
        assertThat(gate.evaluate(LinearAdapter.identity(2), tie).recall()).containsEntry(1, 0.0);
    }

    @Test
    void shouldEvaluateQueryOnlyAdapterOnUntransformedDocuments() {
        // W swaps the axes of the query; documents stay put, so query (0,1) finds document (1,0).
        LinearAdapter swap = LinearAdapter.of(2, new float[] {0, 1, 1, 0}, AdapterMode.QUERY_ONLY, true);
        List<TrainingTriple> holdout = List.of(
                new TrainingTriple(v(0, 1), v(1, 0), List.of(v(0, 1))),
                new TrainingTriple(v(1, 0), v(0, 1), List.of(v(1, 0))));
        assertThat(gate.evaluate(swap, holdout).mrr()).isEqualTo(1.0);
        assertThat(gate.evaluate(LinearAdapter.identity(2), holdout).mrr()).isLessThan(1.0);
        assertThat(gate.decide(LinearAdapter.identity(2), swap, holdout).promote()).isTrue();
    }

    private static Gate.Metrics metrics(int n, double mrr) {
        return new Gate.Metrics(n, mrr, new TreeMap<>(Map.of(1, mrr)));
    }

    @Test
    void shouldPromoteOnlyWhenMarginIsMet() {
        assertThat(gate.decide(metrics(100, 0.50), metrics(100, 0.51), 0.01).promote()).isTrue();
        assertThat(gate.decide(metrics(100, 0.50), metrics(100, 0.509), 0.01).promote()).isFalse();
        assertThat(gate.decide(metrics(100, 0.50), metrics(100, 0.40), 0.01).promote()).isFalse();
        Gate.Decision d = gate.decide(metrics(100, 0.50), metrics(100, 0.60), 0.01);
        assertThat(d.improvement()).isCloseTo(0.1, within(1e-12));
        assertThat(d.reason()).contains("0.5000 -> 0.6000");
    }

    @Test
    void shouldNotPromoteOnTooFewHeldOutExamples() {
        Gate.Decision d = gate.decide(metrics(1, 0.1), metrics(1, 1.0), 0.01);
        assertThat(d.promote()).isFalse();
        assertThat(d.reason()).contains("need 2");
        Gate.Decision empty = gate.decide(LinearAdapter.identity(2), LinearAdapter.identity(2), List.of());
        assertThat(empty.promote()).isFalse();
        assertThat(empty.candidate().mrr()).isZero();
    }

    @Test
    void shouldValidateOptions() {
        Gate.Options d = Gate.Options.defaults();
        assertThat(d.margin()).isEqualTo(0.01);
        assertThatThrownBy(() -> d.withHoldoutFraction(1.0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.withMinHoldout(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.withRecallAt(List.of(0))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.withMargin(-0.1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldNotCountAnotherPositiveOfTheSameQueryAsNegative() {
        float[] q = v(1, 0);
        List<TrainingTriple> holdout = List.of(
                new TrainingTriple(q, v(0.9f, 0.1f), List.of()),
                new TrainingTriple(q.clone(), v(1, 0), List.of()),
                new TrainingTriple(v(0, 1), v(0, 1), List.of()));
        // Example 0 would rank below example 1's positive, but that is a positive of the same query.
        assertThat(gate.evaluate(LinearAdapter.identity(2), holdout).mrr()).isEqualTo(1.0);
    }

    private static double[] repeat(int n, double... pattern) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = pattern[i % pattern.length];
        }
        return out;
    }

    @Test
    void shouldRequireSignificantImprovementOnPairedExamples() {
        Gate g = new Gate(Gate.Options.defaults().withMinHoldout(10));
        // consistent gain on every example: significant
        double[] live = repeat(60, 0.5, 0.25, 1.0);
        double[] better = repeat(60, 1.0, 0.5, 1.0);
        Gate.Decision d = g.decide(live, better, live, better);
        assertThat(d.promote()).isTrue();
        assertThat(d.pValue()).isLessThan(0.01);
        assertThat(d.reason()).contains("paired bootstrap");

        // a gain of 0.05 on average, from one big win and one big loss in every five: within chance
        double[] l3 = repeat(30, 0.25, 1.0, 0.5, 0.5, 0.5);
        double[] c3 = repeat(30, 1.0, 0.5, 0.5, 0.5, 0.5);
        Gate.Decision chance = g.decide(l3, c3, l3, c3);
        assertThat(chance.improvement()).isGreaterThan(g.options().margin());
        assertThat(chance.promote()).as(chance.reason()).isFalse();
        assertThat(chance.pValue()).isGreaterThanOrEqualTo(0.05);
        assertThat(chance.reason()).contains("not better beyond chance");

        // alpha 1 turns the test off: the margin alone decides
        Gate off = new Gate(Gate.Options.defaults().withMinHoldout(10).withAlpha(1.0));
        assertThat(off.decide(l3, c3, l3, c3).promote()).isTrue();
    }

    @Test
    void shouldRejectGainsThatExistOnlyAgainstHardNegatives() {
        Gate g = new Gate(Gate.Options.defaults().withMinHoldout(10));
        double[] live = repeat(60, 0.5, 0.25);
        double[] cand = repeat(60, 1.0, 0.5);
        // against the other clicks only, the candidate is clearly worse
        double[] liveSlice = repeat(60, 1.0, 1.0);
        double[] candSlice = repeat(60, 0.5, 1.0);
        Gate.Decision d = g.decide(live, cand, liveSlice, candSlice);
        assertThat(d.promote()).isFalse();
        assertThat(d.sliceImprovement()).isCloseTo(-0.25, within(1e-12));
        assertThat(d.reason()).contains("not better against other queries' clicks");
        // a loss within the margin is tolerated
        double[] candSliceClose = repeat(60, 1.0, 0.99);
        assertThat(g.decide(live, cand, liveSlice, candSliceClose).promote()).isTrue();
    }

    @Test
    void shouldDecideOnEachModelsOwnViewOfTheSameExamples() {
        // the live model sees documents through its document adapter (here: already swapped), the
        // candidate sees base documents and swaps them itself; both rank every positive first
        LinearAdapter swap = LinearAdapter.of(2, new float[] {0, 1, 1, 0}, AdapterMode.SYMMETRIC, true);
        List<TrainingTriple> base = List.of(
                new TrainingTriple(v(0, 1), v(0, 1), List.of(v(1, 0))),
                new TrainingTriple(v(1, 0), v(1, 0), List.of(v(0, 1))));
        List<TrainingTriple> liveView = List.of(
                new TrainingTriple(v(0, 1), v(1, 0), List.of(v(0, 1))),
                new TrainingTriple(v(1, 0), v(0, 1), List.of(v(1, 0))));
        Gate.Decision d = gate.decide(swap.withMode(AdapterMode.QUERY_ONLY), liveView, swap, base);
        assertThat(d.live().mrr()).isEqualTo(1.0);
        assertThat(d.candidate().mrr()).isEqualTo(1.0);
        assertThat(d.promote()).isFalse();
        assertThatThrownBy(() -> gate.decide(swap, liveView, swap, base.subList(0, 1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldScreenOutOnlyCandidatesThatAreWorseBeyondTheMarginAndChance() {
        Gate g = new Gate(Gate.Options.defaults().withMinHoldout(10));
        double[] live = repeat(60, 0.5, 0.25, 1.0);
        // no better, no worse: passes (interleaving decides), although decide() would not promote it
        assertThat(g.screen(live, live, live, live).promote()).isTrue();
        assertThat(g.decide(live, live, live, live).promote()).isFalse();
        // consistently worse on every example: screened out
        double[] worse = repeat(60, 0.25, 0.125, 0.5);
        Gate.Decision d = g.screen(live, worse, live, live);
        assertThat(d.promote()).as(d.reason()).isFalse();
        assertThat(d.pValue()).isLessThan(0.01);
        assertThat(d.reason()).contains("candidate worse on held-out queries");
        // worse only against the slice's other positives: reported, not weighed (a good candidate that lifts
        // documents the live model never showed looks like that on clicks from the live model's pages)
        Gate.Decision sliceOnly = g.screen(live, live, live, worse);
        assertThat(sliceOnly.promote()).as(sliceOnly.reason()).isTrue();
        assertThat(sliceOnly.reason()).contains("judged online").contains("against other clicks only");
        assertThat(g.screen(live, repeat(60, 0.505, 0.255, 1.0), live, worse).promote()).isTrue();
        // better on the full ranking, worse against the other positives: the users decide
        Gate.Decision split = g.screen(live, repeat(60, 0.55, 0.3, 1.0), live, worse);
        assertThat(split.promote()).as(split.reason()).isTrue();
        // a loss beyond the margin and beyond chance (two big losses and one win in every five, -0.15 on
        // average over 150 examples): screened out
        double[] c3 = repeat(30, 0.5, 0.5, 0.5, 0.5, 0.5);
        double[] l3 = repeat(30, 1.0, 1.0, 0.25, 0.5, 0.5);
        Gate.Decision loss = g.screen(l3, c3, l3, l3);
        assertThat(loss.improvement()).isLessThan(-g.options().margin());
        assertThat(loss.pValue()).isLessThan(g.options().alpha());
        assertThat(loss.promote()).as(loss.reason()).isFalse();
        // one big loss and one big win in every five (-0.05 on average): beyond the margin, within chance, so
        // it passes; the users will see whether the loss is real
        double[] l5 = repeat(30, 1.0, 0.25, 0.5, 0.5, 0.5);
        Gate.Decision luck = g.screen(l5, c3, l5, l5);
        assertThat(luck.improvement()).isLessThan(-g.options().margin());
        assertThat(luck.pValue()).isGreaterThan(g.options().alpha());
        assertThat(luck.promote()).as(luck.reason()).isTrue();
        // a loss within the margin passes
        assertThat(g.screen(live, repeat(60, 0.495, 0.245, 0.995), live, live).promote()).isTrue();
        // too few held-out examples: nothing goes under test
        assertThat(g.screen(repeat(5, 1.0), repeat(5, 1.0), repeat(5, 1.0), repeat(5, 1.0)).promote()).isFalse();
    }

    @Test
    void shouldResampleWholeQueriesSoThatOneQuerysManyExamplesDoNotMakeAGainSignificant() {
        // 60 held-out examples from 3 queries: one gains 0.5 on each of its 20 examples, two lose 0.1
        double[] live = repeat(60, 0.5);
        double[] cand = new double[60];
        int[] clusters = new int[60];
        for (int i = 0; i < 60; i++) {
            clusters[i] = i / 20;
            cand[i] = clusters[i] == 0 ? 1.0 : 0.4;
        }
        assertThat(Gate.pairedBootstrapP(live, cand)).as("examples as if independent").isLessThan(0.01);
        assertThat(Gate.pairedBootstrapP(live, cand, clusters)).as("whole queries").isGreaterThan(0.2);
        Gate g = new Gate(Gate.Options.defaults().withMinHoldout(10));
        assertThat(g.decide(live, cand, live, live).promote()).isTrue();
        assertThat(g.decide(live, cand, live, live, clusters).promote()).isFalse();
        // examples of one query share its vector: that is how the gate finds the clusters
        List<TrainingTriple> holdout = List.of(new TrainingTriple(v(1, 0), v(1, 0), List.of()),
                new TrainingTriple(v(0, 1), v(0, 1), List.of()), new TrainingTriple(v(1, 0), v(0.8f, 0.6f), List.of()));
        assertThat(Gate.queryClusters(holdout)).containsExactly(0, 1, 0);
    }
}
