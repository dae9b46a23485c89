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
        // 17 to 3 is p = 0.0026, below 0.05/7 (the budget of 2,000 allows seven looks); 16 to 4 (p = 0.012) is not
        assertThat(gate.decide(17, 3, 30, Duration.ZERO).verdict()).isEqualTo(OnlineGate.Verdict.PROMOTE);
        assertThat(gate.decide(3, 17, 30, Duration.ZERO).verdict()).isEqualTo(OnlineGate.Verdict.ABANDON);
        assertThat(gate.decide(16, 4, 30, Duration.ZERO).verdict()).isEqualTo(OnlineGate.Verdict.CONTINUE);
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

    @Test
    void shouldAbandonACandidateThatIsNotAheadAfterTheFutilityQueries() {
        OnlineGate futile = new OnlineGate(new OnlineGate.Options(0.05, 20, 2000, Duration.ofHours(1), 30));
        // 29 queries, level: too early to call
        assertThat(futile.decide(14, 15, 3, nets(14, 15), 0, Duration.ZERO).verdict())
                .isEqualTo(OnlineGate.Verdict.CONTINUE);
        // 30 queries, level or behind (not significantly): abandoned, and said why
        OnlineGate.Decision level = futile.decide(15, 15, 3, nets(15, 15), 0, Duration.ZERO);
        assertThat(level.verdict()).isEqualTo(OnlineGate.Verdict.ABANDON);
        assertThat(level.reason()).contains("not ahead after 30 queries");
        assertThat(futile.decide(13, 17, 0, nets(13, 17), 0, Duration.ZERO).verdict())
                .isEqualTo(OnlineGate.Verdict.ABANDON);
        // ahead but not yet significantly: goes on
        assertThat(futile.decide(18, 12, 0, nets(18, 12), 0, Duration.ZERO).verdict())
                .isEqualTo(OnlineGate.Verdict.CONTINUE);
        // queries without a preference do not count towards the 30
        assertThat(futile.decide(10, 10, 0, nets(10, 10, 20), 0, Duration.ZERO).verdict())
                .isEqualTo(OnlineGate.Verdict.CONTINUE);
        // off by default for the old constructor
        assertThat(gate.decide(15, 15, 3, nets(15, 15), 0, Duration.ZERO).verdict())
                .isEqualTo(OnlineGate.Verdict.CONTINUE);
    }

    /**
     * The futility rule looked at after every query: a candidate that 70 % of queries prefer is
     * rarely abandoned by it, and one that nobody prefers is abandoned in most runs (freeing the
     * trainer) and promoted as rarely as without the rule.
     */
    @Test
    void shouldRarelyAbandonAGoodCandidateForFutility() {
        OnlineGate futile = new OnlineGate(new OnlineGate.Options(0.05, 20, 100_000, Duration.ofHours(1), 30));
        SplittableRandom rnd = new SplittableRandom(3);
        int runs = 2000;
        int goodAbandoned = 0;
        int goodPromoted = 0;
        int randomPromoted = 0;
        int randomAbandoned = 0;
        for (int run = 0; run < runs; run++) {
            OnlineGate.Verdict good = sequential(futile, rnd, 0.7, 200);
            goodAbandoned += good == OnlineGate.Verdict.ABANDON ? 1 : 0;
            goodPromoted += good == OnlineGate.Verdict.PROMOTE ? 1 : 0;
            OnlineGate.Verdict random = sequential(futile, rnd, 0.5, 200);
            randomPromoted += random == OnlineGate.Verdict.PROMOTE ? 1 : 0;
            randomAbandoned += random == OnlineGate.Verdict.ABANDON ? 1 : 0;
        }
        System.out.printf("futility at 30 queries: 70 %% candidate promoted %d, abandoned %d; 50 %% candidate"
                + " promoted %d, abandoned %d (of %d)%n", goodPromoted, goodAbandoned, randomPromoted, randomAbandoned, runs);
        assertThat((double) goodAbandoned / runs).isLessThan(0.04);
        assertThat((double) goodPromoted / runs).isGreaterThan(0.9);
        assertThat((double) randomAbandoned / runs).isGreaterThan(0.5);
        assertThat((double) randomPromoted / runs).isLessThan(0.035);
    }

    /**
     * Queries with a preference one at a time, the candidate preferred with probability {@code p};
     * decided after each as the trainer does: significance at the checkpoints, futility and budget
     * in between.
     */
    private static OnlineGate.Verdict sequential(OnlineGate g, SplittableRandom rnd, double p, int maxQueries) {
        int w = 0;
        int l = 0;
        int look = 0;
        for (int i = 0; i < maxQueries; i++) {
            if (rnd.nextDouble() < p) {
                w++;
            } else {
                l++;
            }
            OnlineGate.Decision d = null;
            if (w + l == g.checkpoint(look)) {
                d = g.look(look++, w, l, 0, nets(w, l), 0);
            }
            if (d == null && g.options().futilityQueries() > 0) {
                // (without a futility rule and with these budgets nothing else can end the test)
                d = g.otherwise(w, l, 0, nets(w, l), 0, Duration.ZERO);
            }
            if (d == null) {
                continue;
            }
            if (d.verdict() != OnlineGate.Verdict.CONTINUE) {
                return d.verdict();
            }
        }
        return OnlineGate.Verdict.CONTINUE;
    }

    /**
     * The looks the impression budget allows share alpha equally, and no look past them spends any;
     * random clicks over 2,000 queries stay under alpha/2.
     */
    @Test
    void shouldSpendAtMostAlphaOverAllLooks() {
        OnlineGate defaults = new OnlineGate(new OnlineGate.Options(0.05, 20, 5000, Duration.ofHours(1)));
        // 20, 40, …, 2560: the eighth checkpoint, 5120, is past the budget
        assertThat(defaults.looks()).isEqualTo(8);
        assertThat(defaults.alphaAt(0)).isEqualTo(0.05 / 8);
        assertThat(defaults.alphaAt(7)).isEqualTo(0.05 / 8);
        assertThat(defaults.alphaAt(8)).isZero();
        assertThat(new OnlineGate(new OnlineGate.Options(0.05, 20, 20, Duration.ofHours(1))).looks()).isEqualTo(1);
        OnlineGate g = new OnlineGate(new OnlineGate.Options(0.05, 20, 1_000_000, Duration.ofHours(1)));
        assertThat(g.checkpoint(0)).isEqualTo(20);
        assertThat(g.checkpoint(3)).isEqualTo(160);
        assertThat(g.lookOf(20)).isZero();
        assertThat(g.lookOf(159)).isEqualTo(2);
        assertThat(g.looks()).isEqualTo(16);
        double sum = 0;
        for (int k = 0; k < 100_000; k++) {
            sum += g.alphaAt(k);
        }
        assertThat(sum).isCloseTo(0.05, org.assertj.core.data.Offset.offset(1e-12));
        SplittableRandom rnd = new SplittableRandom(5);
        int promoted = 0;
        int runs = 2000;
        for (int run = 0; run < runs; run++) {
            promoted += sequential(g, rnd, 0.5, 2000) == OnlineGate.Verdict.PROMOTE ? 1 : 0;
        }
        System.out.printf("random clicks, 2000 queries, looks at 20·2^k: promoted %d of %d%n", promoted, runs);
        assertThat((double) promoted / runs).isLessThan(0.035);
    }

    /** Nets of {@code w} queries won once, {@code l} lost once and {@code zero} level. */
    private static int[] nets(int w, int l, int... zero) {
        int z = zero.length == 0 ? 0 : zero[0];
        int[] out = new int[w + l + z];
        java.util.Arrays.fill(out, 0, w, 1);
        java.util.Arrays.fill(out, w, w + l, -1);
        return out;
    }

    /** Every way a test ends has its word on the verdicts metric. */
    @Test
    void shouldNameHowATestEnded() {
        OnlineGate g = new OnlineGate(new OnlineGate.Options(0.05, 20, 100, Duration.ofHours(1), 30));
        assertThat(TrainerStats.verdict(g.look(0, 20, 0, 0, nets(20, 0), 0))).isEqualTo("promoted");
        assertThat(TrainerStats.verdict(g.look(0, 0, 20, 0, nets(0, 20), 0))).isEqualTo("lost");
        assertThat(TrainerStats.verdict(g.otherwise(15, 15, 0, nets(15, 15), 0, Duration.ZERO))).isEqualTo("futile");
        assertThat(TrainerStats.verdict(g.otherwise(5, 4, 100, nets(5, 4), 0, Duration.ZERO))).isEqualTo("budget");
        assertThat(TrainerStats.verdict(g.otherwise(5, 4, 0, nets(5, 4), 0, Duration.ofHours(2)))).isEqualTo("budget");
        assertThat(TrainerStats.verdict(new OnlineGate.Decision(OnlineGate.Verdict.ABANDON, 0, 0, 0, 1.0,
                "superseded: 10 examples arrived"))).isEqualTo("superseded");
    }

    /** What keeps a leading candidate from being superseded: a p-value below its next look's level, not alpha. */
    @Test
    void shouldGiveTheLevelOfTheNextLookAfterAnyNumberOfPreferences() {
        // looks at 20, 40, …, 1280 preferences (seven within the 2,000 budget), each at 0.05 / 7
        assertThat(gate.looks()).isEqualTo(7);
        double level = 0.05 / 7;
        assertThat(gate.nextLookLevel(0)).isEqualTo(level);
        assertThat(gate.nextLookLevel(19)).isEqualTo(level);
        assertThat(gate.nextLookLevel(38)).isEqualTo(level);
        assertThat(gate.nextLookLevel(1279)).isEqualTo(level);
        assertThat(gate.nextLookLevel(1280)).as("no look after the last one").isZero();
        // 26 of 38 queries prefer the candidate: below alpha, above the level: superseding it throws away no promotion
        assertThat(OnlineGate.signFlipP(nets(26, 12))).isBetween(level, 0.05);
    }
}
