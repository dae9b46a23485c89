package dev.embedloop.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.embedloop.eval.Metrics.Gain;
import dev.embedloop.eval.Metrics.Scored;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Hand-computed values; log2(3) = 1.5849625, log2(6) = 2.5849625. */
class MetricsTest {

    private static final double EPS = 1e-9;

    /** d5 is judged with a negative grade, d4 with 0, dX is unjudged: none of them is relevant. */
    private static final Map<String, Integer> GRADED = Map.of("d1", 3, "d2", 2, "d3", 1, "d4", 0, "d5", -1);
    private static final List<String> RANKING = List.of("d4", "d1", "d3", "dX", "d2", "d5");

    @Test
    void shouldComputeNdcgWithLinearGainsAsTrecEvalDoes() {
        // DCG  = 3/log2(3) + 1/log2(4) + 2/log2(6)          = 3.16649488
        // IDCG = 3/log2(2) + 2/log2(3) + 1/log2(4)          = 4.76185951
        assertThat(Metrics.ndcg(10, RANKING, GRADED, Gain.LINEAR)).isCloseTo(0.6649702433332251, within(EPS));
    }

    @Test
    void shouldComputeNdcgWithExponentialGains() {
        // gains 7, 3, 1: DCG = 7/log2(3) + 1/2 + 3/log2(6) = 6.0770667; IDCG = 7 + 3/log2(3) + 1/2 = 9.3927893
        assertThat(Metrics.ndcg(10, RANKING, GRADED, Gain.EXPONENTIAL)).isCloseTo(0.646992765197165, within(EPS));
    }

    @Test
    void shouldCountOnlyTheTopKInDcgButAllJudgedRelevantDocumentsInTheIdeal() {
        // top 2: only d1 at rank 2 counts: 3/log2(3) = 1.89278926; the ideal still has 3, 2
        double expected = (3 / log2(3)) / (3 + 2 / log2(3));
        assertThat(Metrics.ndcg(2, RANKING, GRADED, Gain.LINEAR)).isCloseTo(expected, within(EPS));
        // a relevant document that was never retrieved still lowers nDCG: 1 / (1 + 1/log2(3))
        assertThat(Metrics.ndcg(10, List.of("a"), Map.of("a", 1, "b", 1), Gain.LINEAR))
                .isCloseTo(0.6131471927654584, within(EPS));
    }

    @Test
    void shouldGivePerfectScoresToAnIdealRanking() {
        Map<String, Integer> twelveRelevant = new LinkedHashMap<>();
        IntStream.rangeClosed(1, 12).forEach(i -> twelveRelevant.put("d" + i, 1));
        List<String> ranking = List.copyOf(twelveRelevant.keySet());
        assertThat(Metrics.ndcg(10, ranking, twelveRelevant, Gain.LINEAR)).isCloseTo(1.0, within(EPS));
        assertThat(Metrics.ndcg(10, List.of("d1", "d2", "d3"), Map.of("d1", 3, "d2", 2, "d3", 1), Gain.EXPONENTIAL))
                .isCloseTo(1.0, within(EPS));
        assertThat(Metrics.recall(100, ranking, twelveRelevant)).isEqualTo(1.0);
        assertThat(Metrics.reciprocalRank(10, ranking, twelveRelevant)).isEqualTo(1.0);
    }

    @Test
    void shouldComputeRecallOverRelevantDocumentsOnly() {
        assertThat(Metrics.recall(100, RANKING, GRADED)).isEqualTo(1.0);
        assertThat(Metrics.recall(3, RANKING, GRADED)).isCloseTo(2.0 / 3, within(EPS));
        assertThat(Metrics.recall(1, RANKING, GRADED)).isZero();
    }

    @Test
    void shouldComputeReciprocalRankOfTheFirstRelevantDocumentWithinTheCutoff() {
        assertThat(Metrics.reciprocalRank(10, RANKING, GRADED)).isEqualTo(0.5);
        assertThat(Metrics.reciprocalRank(1, RANKING, GRADED)).isZero();
        List<String> lateHit = IntStream.rangeClosed(1, 11).mapToObj(i -> i == 11 ? "rel" : "x" + i).toList();
        assertThat(Metrics.reciprocalRank(10, lateHit, Map.of("rel", 2))).isZero();
        assertThat(Metrics.ndcg(10, lateHit, Map.of("rel", 2), Gain.LINEAR)).isZero();
        assertThat(Metrics.recall(100, lateHit, Map.of("rel", 2))).isEqualTo(1.0);
    }

    @Test
    void shouldScoreZeroWhenNoRelevantDocumentIsRetrieved() {
        List<String> ranking = List.of("a", "b", "c");
        Map<String, Integer> judgements = Map.of("x", 2, "a", 0, "b", -1);
        assertThat(Metrics.ndcg(10, ranking, judgements, Gain.LINEAR)).isZero();
        assertThat(Metrics.recall(100, ranking, judgements)).isZero();
        assertThat(Metrics.reciprocalRank(10, ranking, judgements)).isZero();
        assertThat(Metrics.ndcg(10, List.of(), judgements, Gain.LINEAR)).isZero();
    }

    @Test
    void shouldScoreZeroForAQueryWithoutAnyRelevantJudgement() {
        Map<String, Integer> onlyNegative = Map.of("a", 0, "b", -1);
        assertThat(Metrics.score("q", 10, 100, List.of("a", "b"), onlyNegative))
                .isEqualTo(new Metrics.QueryScores("q", 0, 0, 0, 0));
    }

    @Test
    void shouldBreakScoreTiesByDescendingDocumentIdAsTrecEvalDoes() {
        List<String> ranked = Metrics.rank(List.of(new Scored("b", 0.5), new Scored("a", 0.5), new Scored("c", 0.9),
                new Scored("d10", 0.1), new Scored("d9", 0.1)));
        assertThat(ranked).containsExactly("c", "b", "a", "d9", "d10");
        // the engine's order of equal scores does not matter: the relevant 'a' is third either way
        List<String> other = Metrics.rank(List.of(new Scored("a", 0.5), new Scored("c", 0.9), new Scored("b", 0.5)));
        assertThat(other).containsExactly("c", "b", "a");
        assertThat(Metrics.reciprocalRank(10, other, Map.of("a", 1))).isCloseTo(1.0 / 3, within(EPS));
    }

    @Test
    void shouldRejectADocumentRankedTwice() {
        assertThatThrownBy(() -> Metrics.rank(List.of(new Scored("a", 0.5), new Scored("a", 0.4))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'a'");
        assertThatThrownBy(() -> Metrics.ndcg(0, RANKING, GRADED, Gain.LINEAR))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldAverageOverEvaluatedQueries() {
        Metrics.QueryScores perfect = Metrics.score("q1", 10, 100, List.of("a"), Map.of("a", 2));
        Metrics.QueryScores graded = Metrics.score("q2", 10, 100, RANKING, GRADED);
        Metrics.Summary s = Metrics.average(10, 100, List.of(perfect, graded));
        assertThat(s.queries()).isEqualTo(2);
        assertThat(s.ndcg()).isCloseTo((1 + 0.6649702433332251) / 2, within(EPS));
        assertThat(s.ndcgExp()).isCloseTo((1 + 0.646992765197165) / 2, within(EPS));
        assertThat(s.recall()).isCloseTo(1.0, within(EPS));
        assertThat(s.mrr()).isCloseTo(0.75, within(EPS));
        assertThat(Metrics.average(10, 100, List.of())).isEqualTo(new Metrics.Summary(10, 100, 0, 0, 0, 0, 0));
    }

    @Test
    void shouldTreatNonPositiveGradesAsNoGain() {
        assertThat(Gain.LINEAR.of(4)).isEqualTo(4);
        assertThat(Gain.EXPONENTIAL.of(4)).isEqualTo(15);
        assertThat(Gain.LINEAR.of(0)).isZero();
        assertThat(Gain.EXPONENTIAL.of(-1)).isZero();
    }

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }
}
