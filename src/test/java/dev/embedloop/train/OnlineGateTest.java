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
}
