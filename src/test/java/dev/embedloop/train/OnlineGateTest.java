package dev.embedloop.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class OnlineGateTest {

    private final OnlineGate gate = new OnlineGate(new OnlineGate.Options(0.05, 20, 2000, Duration.ofHours(1)));

    @Test
    void shouldComputeTheExactTwoSidedSignTest() {
        assertThat(OnlineGate.signTestP(0, 0)).isEqualTo(1.0);
        assertThat(OnlineGate.signTestP(5, 5)).isEqualTo(1.0);
        // 10 vs 0: 2 / 2^10
        assertThat(OnlineGate.signTestP(10, 0)).isCloseTo(2.0 / 1024, within(1e-12));
        assertThat(OnlineGate.signTestP(0, 10)).isCloseTo(2.0 / 1024, within(1e-12));
        // 15 vs 5: 2 · P(X ≤ 5), X ~ Bin(20, ½) = 2 · 21700 / 2^20
        assertThat(OnlineGate.signTestP(15, 5)).isCloseTo(2 * 21700.0 / (1 << 20), within(1e-12));
        assertThat(OnlineGate.signTestP(600, 400)).isLessThan(1e-9).isGreaterThan(0);
    }

    @Test
    void shouldPromoteOnASignificantWinAndAbandonOnASignificantLoss() {
        assertThat(gate.decide(16, 4, 30, Duration.ZERO).verdict()).isEqualTo(OnlineGate.Verdict.PROMOTE);
        assertThat(gate.decide(4, 16, 30, Duration.ZERO).verdict()).isEqualTo(OnlineGate.Verdict.ABANDON);
        assertThat(gate.decide(9, 1, 0, Duration.ZERO).verdict()).as("below the minimum count")
                .isEqualTo(OnlineGate.Verdict.CONTINUE);
        assertThat(gate.decide(11, 10, 0, Duration.ZERO).verdict()).isEqualTo(OnlineGate.Verdict.CONTINUE);
    }

    @Test
    void shouldAbandonWhenTheBudgetIsSpent() {
        assertThat(gate.decide(500, 500, 1000, Duration.ZERO).verdict()).isEqualTo(OnlineGate.Verdict.ABANDON);
        assertThat(gate.decide(11, 10, 0, Duration.ofHours(2)).verdict()).isEqualTo(OnlineGate.Verdict.ABANDON);
    }

    /** Random clicks give ties on average: the sequential test, checked after every impression, must rarely promote. */
    @Test
    void shouldRarelyPromoteOnRandomPreferences() {
        SplittableRandom rnd = new SplittableRandom(1);
        int promoted = 0;
        int runs = 400;
        for (int run = 0; run < runs; run++) {
            int w = 0;
            int l = 0;
            for (int i = 0; i < 300; i++) {
                if (rnd.nextBoolean()) {
                    w++;
                } else {
                    l++;
                }
                // decided every 50 impressions (as the trainer does per batch of outcomes), not after each one
                if ((i + 1) % 50 == 0) {
                    OnlineGate.Decision d = gate.decide(w, l, 0, Duration.ZERO);
                    if (d.verdict() != OnlineGate.Verdict.CONTINUE) {
                        if (d.verdict() == OnlineGate.Verdict.PROMOTE) {
                            promoted++;
                        }
                        break;
                    }
                }
            }
        }
        // six looks at alpha 0.05 two-sided: at most ~ 6 · 0.025 per side in the worst case
        assertThat((double) promoted / runs).isLessThan(0.1);
    }

    @Test
    void shouldReduceTheSignFlipTestToTheSignTestWhenEveryQueryIsSearchedOnce() {
        for (int[] wl : new int[][] {{0, 0}, {5, 5}, {10, 0}, {0, 10}, {15, 5}, {3, 9}, {40, 25}}) {
            int[] nets = new int[wl[0] + wl[1]];
            java.util.Arrays.fill(nets, 0, wl[0], 1);
            java.util.Arrays.fill(nets, wl[0], nets.length, -1);
            assertThat(OnlineGate.signFlipP(nets)).as(wl[0] + " vs " + wl[1])
                    .isCloseTo(OnlineGate.signTestP(wl[0], wl[1]), within(1e-12));
        }
    }

    @Test
    void shouldComputeTheExactSignFlipTestOnQueryNets() {
        // nets 3 and 1: sums ±3 ±1 ∈ {4, 2, −2, −4}, each ¼; |Σ| = 4 is reached by two of them
        assertThat(OnlineGate.signFlipP(new int[] {3, 1})).isCloseTo(0.5, within(1e-12));
        assertThat(OnlineGate.signFlipP(new int[] {3, -1})).isCloseTo(1.0, within(1e-12));
        // zero nets (ties only, or as many wins as losses) change nothing
        assertThat(OnlineGate.signFlipP(new int[] {3, 1, 0, 0})).isCloseTo(0.5, within(1e-12));
        // 8 queries, each won twice: 2 / 2^8
        assertThat(OnlineGate.signFlipP(new int[] {2, 2, 2, 2, 2, 2, 2, 2})).isCloseTo(2.0 / 256, within(1e-12));
    }

    /** One popular query repeated a hundred times is one query's evidence, not a hundred users'. */
    @Test
    void shouldNotPromoteOnOneRepeatedQuery() {
        assertThat(OnlineGate.signTestP(100, 20)).as("by impression").isLessThan(1e-10);
        int[] nets = {80, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, 0};
        // |80 ± …| ≥ 80 whenever the ten ±1 do not sum below zero: P = (1 + C(10,5)/2^10) / 2
        assertThat(OnlineGate.signFlipP(nets)).as("by query").isCloseTo((1 + 252.0 / 1024) / 2, within(1e-12));
        OnlineGate.Decision d = gate.decide(85, 5, 1, nets, 0, Duration.ZERO);
        assertThat(d.verdict()).as(d.reason()).isEqualTo(OnlineGate.Verdict.CONTINUE);
        assertThat(d.reason()).contains("11 queries with a preference");
    }

    @Test
    void shouldSpendTheImpressionBudgetOnImpressionsItDidNotCount() {
        OnlineGate.Decision d = gate.decide(5, 5, 0, new int[] {1, 1, 1, 1, 1, -1, -1, -1, -1, -1}, 1990,
                Duration.ZERO);
        assertThat(d.verdict()).isEqualTo(OnlineGate.Verdict.ABANDON);
        assertThat(d.reason()).startsWith("impression budget spent")
                .contains("1990 impressions of queries the candidate trained on not counted");
    }

    /** Random clicks on a few repeated queries: by query, the gate promotes no more often than alpha allows. */
    @Test
    void shouldRarelyPromoteOnRandomPreferencesOverRepeatedQueries() {
        SplittableRandom rnd = new SplittableRandom(7);
        int promoted = 0;
        int runs = 300;
        for (int run = 0; run < runs; run++) {
            int[] nets = new int[12];
            int w = 0;
            int l = 0;
            for (int i = 0; i < 600; i++) {
                // a skewed popularity: query 0 gets a third of the traffic
                int q = rnd.nextInt(3) == 0 ? 0 : 1 + rnd.nextInt(11);
                if (rnd.nextBoolean()) {
                    w++;
                    nets[q]++;
                } else {
                    l++;
                    nets[q]--;
                }
                if ((i + 1) % 100 == 0) {
                    OnlineGate.Decision d = gate.decide(w, l, 0, nets.clone(), 0, Duration.ZERO);
                    if (d.verdict() != OnlineGate.Verdict.CONTINUE) {
                        if (d.verdict() == OnlineGate.Verdict.PROMOTE) {
                            promoted++;
                        }
                        break;
                    }
                }
            }
        }
        assertThat((double) promoted / runs).isLessThan(0.1);
    }
}
