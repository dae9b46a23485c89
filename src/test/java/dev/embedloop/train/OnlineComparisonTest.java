package dev.embedloop.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.embedloop.events.InterleavingOutcome;
import dev.embedloop.events.Queries;
import dev.embedloop.lineage.ModelLineage;
import dev.embedloop.lineage.ModelUpdate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The trainer's online phase without a broker: counting a candidate's outcomes, its verdicts, and holding training. */
class OnlineComparisonTest {

    private static final long UNDER_TEST_AT = 1_000_000L;
    private static final OnlineGate GATE = new OnlineGate(new OnlineGate.Options(0.05, 20, 500, Duration.ofHours(1)));

    private static ModelUpdate candidate(String version, String parent) {
        return new ModelUpdate(version, "/m/" + version, "query-only", parent, null, "fake-1", "fake-1", UNDER_TEST_AT,
                ModelUpdate.UNDER_TEST);
    }

    private static InterleavingOutcome outcome(String queryId, String live, String cand, int liveClicks,
            int candClicks) {
        String o = candClicks > liveClicks ? InterleavingOutcome.WIN
                : candClicks < liveClicks ? InterleavingOutcome.LOSS : InterleavingOutcome.TIE;
        return new InterleavingOutcome(queryId, live, cand, liveClicks, candClicks, o, UNDER_TEST_AT + 1);
    }

    @Test
    void shouldCountOnlyThisCandidateAgainstItsParentAndEachImpressionOnce() {
        OnlineComparison c = new OnlineComparison(candidate("fake-1-a2", "fake-1"));

        assertThat(c.add(outcome("q1", "fake-1", "fake-1-a2", 0, 1))).isTrue();
        assertThat(c.add(outcome("q1", "fake-1", "fake-1-a2", 0, 1))).as("the same impression again").isFalse();
        assertThat(c.add(outcome("q2", "fake-1", "fake-1-a3", 1, 0))).as("another candidate").isFalse();
        assertThat(c.add(outcome("q3", "fake-1-a1", "fake-1-a2", 1, 0))).as("against another live model").isFalse();
        assertThat(c.add(outcome("q4", "fake-1", "fake-1-a2", 1, 0))).isTrue();
        assertThat(c.add(outcome("q5", "fake-1", "fake-1-a2", 1, 1))).isTrue();

        OnlineGate.Decision d = c.decide(GATE, UNDER_TEST_AT + 1);
        assertThat(List.of(d.wins(), d.losses(), d.ties())).containsExactly(1, 1, 1);
        assertThat(d.verdict()).isEqualTo(OnlineGate.Verdict.CONTINUE);
    }

    @Test
    void shouldPromoteAClearWinnerAndAbandonAClearLoser() {
        OnlineComparison better = new OnlineComparison(candidate("fake-1-a2", "fake-1"));
        OnlineComparison worse = new OnlineComparison(candidate("fake-1-a3", "fake-1"));
        for (int i = 0; i < 30; i++) {
            boolean usual = i % 10 != 0; // nine in ten impressions go the clear way
            better.add(outcome("b" + i, "fake-1", "fake-1-a2", usual ? 0 : 1, usual ? 1 : 0));
            worse.add(outcome("w" + i, "fake-1", "fake-1-a3", usual ? 1 : 0, usual ? 0 : 1));
        }

        OnlineGate.Decision win = better.decide(GATE, UNDER_TEST_AT + 60_000);
        OnlineGate.Decision loss = worse.decide(GATE, UNDER_TEST_AT + 60_000);

        assertThat(win.verdict()).as(win.reason()).isEqualTo(OnlineGate.Verdict.PROMOTE);
        // decided at the first look, on the first 20 preferences (18 wins, 2 losses, p = 0.0004 below
        // 0.05/5: the budget of 500 allows five looks); the counts are the test's
        assertThat(win.wins()).isEqualTo(27);
        assertThat(win.reason()).contains("look 1 at 20 preferences (wins 18, losses 2;");
        assertThat(win.pValue()).isLessThan(0.05);
        assertThat(loss.verdict()).as(loss.reason()).isEqualTo(OnlineGate.Verdict.ABANDON);
        assertThat(loss.reason()).startsWith("live model preferred");
    }

    private static ModelUpdate trainedOn(String version, String... queries) {
        com.fasterxml.jackson.databind.node.ObjectNode window = dev.embedloop.events.Json.MAPPER.createObjectNode();
        var keys = window.putArray(ModelUpdate.TRAINED_QUERIES);
        for (String q : queries) {
            keys.add(Queries.key(q));
        }
        return candidate(version, "fake-1").withTrainingWindow(window);
    }

    private static InterleavingOutcome outcome(String queryId, String query, int liveClicks, int candClicks) {
        InterleavingOutcome o = outcome(queryId, "fake-1", "fake-1-a2", liveClicks, candClicks);
        return new InterleavingOutcome(o.queryId(), o.liveVersion(), o.candidateVersion(), liveClicks, candClicks,
                o.outcome(), o.timestamp(), query == null ? null : Queries.key(query));
    }

    @Test
    void shouldNotCountQueriesTheCandidateWasTrainedOn() {
        OnlineComparison c = new OnlineComparison(trainedOn("fake-1-a2", "wing flutter", "shock waves"));

        // the candidate memorised its training queries' clicks: it wins them every time, and that is no evidence
        for (int i = 0; i < 40; i++) {
            assertThat(c.add(outcome("m" + i, i % 2 == 0 ? "Wing  Flutter" : "shock waves", 0, 1))).isFalse();
        }
        assertThat(c.add(outcome("nokey", null, 0, 1))).as("no key: cannot tell, not counted").isFalse();
        assertThat(c.add(outcome("u1", "boundary layer", 1, 0))).isTrue();
        assertThat(c.add(outcome("u2", "heat transfer", 0, 0))).isTrue();

        OnlineGate.Decision d = c.decide(GATE, UNDER_TEST_AT + 1);
        assertThat(List.of(d.wins(), d.losses(), d.ties())).containsExactly(0, 1, 1);
        assertThat(c.notCounted()).isEqualTo(41);
        assertThat(d.verdict()).isEqualTo(OnlineGate.Verdict.CONTINUE);
    }

    @Test
    void shouldWeighEachQueryOnceHoweverOftenItRepeats() {
        OnlineComparison repeated = new OnlineComparison(trainedOn("fake-1-a2"));
        OnlineComparison distinct = new OnlineComparison(trainedOn("fake-1-a2"));
        for (int i = 0; i < 30; i++) {
            boolean usual = i % 10 != 0;
            // the same one query searched 30 times, or 30 different queries
            repeated.add(outcome("r" + i, "wing flutter", usual ? 0 : 1, usual ? 1 : 0));
            distinct.add(outcome("d" + i, "query " + i, usual ? 0 : 1, usual ? 1 : 0));
        }

        OnlineGate.Decision one = repeated.decide(GATE, UNDER_TEST_AT + 1);
        OnlineGate.Decision many = distinct.decide(GATE, UNDER_TEST_AT + 1);
        assertThat(one.wins()).isEqualTo(many.wins()).isEqualTo(27);
        assertThat(one.verdict()).as(one.reason()).isEqualTo(OnlineGate.Verdict.CONTINUE);
        assertThat(one.pValue()).isEqualTo(1.0);
        assertThat(many.verdict()).as(many.reason()).isEqualTo(OnlineGate.Verdict.PROMOTE);
    }

    @Test
    void shouldAbandonWhenTheTimeBudgetFromTheUnderTestRecordIsSpent() {
        OnlineComparison c = new OnlineComparison(candidate("fake-1-a2", "fake-1"));
        c.add(outcome("q1", "fake-1", "fake-1-a2", 0, 1));

        assertThat(c.decide(GATE, UNDER_TEST_AT + Duration.ofMinutes(59).toMillis()).verdict())
                .isEqualTo(OnlineGate.Verdict.CONTINUE);
        OnlineGate.Decision late = c.decide(GATE, UNDER_TEST_AT + Duration.ofHours(1).toMillis());
        assertThat(late.verdict()).isEqualTo(OnlineGate.Verdict.ABANDON);
        assertThat(late.reason()).startsWith("time budget spent");
    }

    @Test
    void shouldRefuseARecordThatIsNotUnderTest() {
        ModelUpdate promoted = new ModelUpdate("fake-1-a2", "/m", "query-only", "fake-1", null, "fake-1", "fake-1", 1,
                ModelUpdate.PROMOTED);
        assertThatThrownBy(() -> new OnlineComparison(promoted)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldHoldTrainingWhileACandidateIsUnderTestOnlyWithAnOnlinePhase() {
        ModelLineage testing = ModelLineage.base("fake-1").with(candidate("fake-1-a2", "fake-1"));

        assertThat(TrainerService.underTestHold(testing, true)).get().asString()
                .contains("fake-1-a2 is under test");
        assertThat(TrainerService.underTestHold(testing, false)).isEmpty();
        ModelLineage decided = testing.with(candidate("fake-1-a2", "fake-1").withStatus(ModelUpdate.ABANDONED, 2));
        assertThat(TrainerService.underTestHold(decided, true)).isEmpty();
        assertThat(decided.liveVersion()).isEqualTo("fake-1");
    }

    /**
     * Significance is tested once per checkpoint, on the outcomes up to it: a result that becomes
     * significant between looks waits for the next look, and the decision does not depend on how
     * often the trainer asks.
     */
    @Test
    void shouldTestSignificanceOnlyAtCheckpointsWhateverTheBatching() {
        // level (10 to 10) at the first look; then 18 wins in a row: 28 to 10 after 38 preferences is
        // p = 0.005, which a fixed level of 0.05 looked at every time would promote; the second look
        // comes at 40 preferences (28 to 12, p = 0.017, above its level 0.05/5: the budget of 500 allows five looks)
        List<InterleavingOutcome> outcomes = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            outcomes.add(outcome("a" + i, "query " + i, i % 2 == 0 ? 0 : 1, i % 2 == 0 ? 1 : 0));
        }
        for (int i = 0; i < 20; i++) {
            outcomes.add(outcome("b" + i, "query b" + i, i < 18 ? 0 : 1, i < 18 ? 1 : 0));
        }
        for (int i = 0; i < 40; i++) {
            outcomes.add(outcome("c" + i, "query c" + i, i % 5 == 0 ? 1 : 0, i % 5 == 0 ? 0 : 1));
        }
        OnlineComparison eager = new OnlineComparison(trainedOn("fake-1-a2"));
        OnlineComparison lazy = new OnlineComparison(trainedOn("fake-1-a2"));
        OnlineGate.Decision last = null;
        for (int i = 0; i < outcomes.size(); i++) {
            eager.add(outcomes.get(i));
            lazy.add(outcomes.get(i));
            OnlineGate.Decision d = eager.decide(GATE, UNDER_TEST_AT + 1);
            if (i + 1 < 40) {
                assertThat(d.verdict()).as("before the second look, at %d: %s", i + 1, d.reason())
                        .isEqualTo(OnlineGate.Verdict.CONTINUE);
            }
            last = last != null && last.verdict() != OnlineGate.Verdict.CONTINUE ? last : d;
        }
        // the third look, at 80 preferences (60 to 20), is far below its level 0.01
        OnlineGate.Decision once = lazy.decide(GATE, UNDER_TEST_AT + 1);
        assertThat(once.verdict()).as(once.reason()).isEqualTo(OnlineGate.Verdict.PROMOTE);
        assertThat(last.verdict()).isEqualTo(once.verdict());
        assertThat(last.reason()).startsWith("candidate preferred at look 3 at 80 preferences (wins 60, losses 20;");
        assertThat(once.reason()).startsWith("candidate preferred at look 3 at 80 preferences (wins 60, losses 20;");
    }
}
