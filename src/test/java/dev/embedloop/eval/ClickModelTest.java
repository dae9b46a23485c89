package dev.embedloop.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.embedloop.eval.ClickModel.SimulatedClick;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ClickModelTest {

    private static final ClickModel MODEL = new ClickModel(0.7, 30_000);
    private static final List<String> PAGE = IntStream.rangeClosed(1, 10).mapToObj(i -> "d" + i).toList();

    @Test
    void shouldExamineWithProbabilityOneOverRankToTheEta() {
        assertThat(MODEL.examinationProbability(1)).isEqualTo(1.0);
        assertThat(MODEL.examinationProbability(2)).isCloseTo(0.6155722066724582, within(1e-12));
        assertThat(MODEL.examinationProbability(3)).isCloseTo(0.4634630567719698, within(1e-12));
        assertThat(new ClickModel(0, 0).examinationProbability(10)).isEqualTo(1.0);
        assertThatThrownBy(() -> MODEL.examinationProbability(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldAlwaysExamineRankOneAndRankTwoAboutSixtyTwoPercentOfTheTime() {
        RandomGenerator random = new SplittableRandom(7);
        int draws = 100_000;
        int rank1 = 0;
        int rank2 = 0;
        int rank5 = 0;
        for (int i = 0; i < draws; i++) {
            rank1 += MODEL.examines(1, random) ? 1 : 0;
            rank2 += MODEL.examines(2, random) ? 1 : 0;
            rank5 += MODEL.examines(5, random) ? 1 : 0;
        }
        assertThat(rank1).isEqualTo(draws);
        // binomial standard deviation at 100k draws is about 0.0015; the seed makes it deterministic
        assertThat(rank2 / (double) draws).isCloseTo(0.6156, within(0.005));
        assertThat(rank5 / (double) draws).isCloseTo(Math.pow(0.2, 0.7), within(0.005));
    }

    @Test
    void shouldClickExaminedRelevantResultsAtTheRatesOfThePositionBias() {
        Map<String, Integer> allRelevant = PAGE.stream().collect(Collectors.toMap(d -> d, d -> 1));
        int sessions = 50_000;
        int[] clicksAt = new int[11];
        for (int s = 0; s < sessions; s++) {
            for (SimulatedClick c : MODEL.session(PAGE, allRelevant, ClickModel.sessionRandom(11, 1, "q", s))) {
                clicksAt[c.rank()]++;
                assertThat(c.dwellMs()).isEqualTo(30_000);
                assertThat(c.docId()).isEqualTo("d" + c.rank());
            }
        }
        assertThat(clicksAt[1]).isEqualTo(sessions);
        for (int r = 2; r <= 10; r++) {
            assertThat(clicksAt[r] / (double) sessions).as("click rate at rank %d", r)
                    .isCloseTo(MODEL.examinationProbability(r), within(0.01));
        }
    }

    @Test
    void shouldNeverClickWhatIsNotJudgedRelevant() {
        Map<String, Integer> judgements = Map.of("d1", 0, "d2", -1, "d3", 2, "d11", 4);
        for (int s = 0; s < 1000; s++) {
            List<SimulatedClick> clicks = MODEL.session(PAGE, judgements, ClickModel.sessionRandom(3, 1, "q", s));
            assertThat(clicks).allSatisfy(c -> assertThat(c.docId()).isEqualTo("d3"));
        }
    }

    @Test
    void shouldBeDeterministicForASeedAndVaryWithSessionCoordinates() {
        Map<String, Integer> judgements = Map.of("d2", 1, "d4", 1, "d6", 2, "d9", 1);
        assertThat(clicks(42, judgements)).isEqualTo(clicks(42, judgements));
        assertThat(clicks(42, judgements)).isNotEqualTo(clicks(43, judgements));
        assertThat(ClickModel.sessionRandom(1, 1, "q1", 1).nextLong())
                .isEqualTo(ClickModel.sessionRandom(1, 1, "q1", 1).nextLong())
                .isNotEqualTo(ClickModel.sessionRandom(1, 2, "q1", 1).nextLong())
                .isNotEqualTo(ClickModel.sessionRandom(1, 1, "q2", 1).nextLong())
                .isNotEqualTo(ClickModel.sessionRandom(1, 1, "q1", 2).nextLong());
    }

    @Test
    void shouldRejectBadParameters() {
        assertThatThrownBy(() -> new ClickModel(-0.1, 0)).hasMessageContaining("eta");
        assertThatThrownBy(() -> new ClickModel(Double.NaN, 0)).hasMessageContaining("eta");
        assertThatThrownBy(() -> new ClickModel(0.7, -1)).hasMessageContaining("dwell");
    }

    private static List<List<SimulatedClick>> clicks(long seed, Map<String, Integer> judgements) {
        List<List<SimulatedClick>> out = new ArrayList<>();
        for (int s = 1; s <= 200; s++) {
            out.add(MODEL.session(PAGE, judgements, ClickModel.sessionRandom(seed, 1, "q7", s)));
        }
        return out;
    }
}
