package dev.embedloop.feedback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.embedloop.events.Click;
import dev.embedloop.events.Impression;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class PairingRulesTest {

    private static final PairingRules RULES = new PairingRules(5_000, false, PropensityModel.powerLaw(0.7), 10, 10);

    static Impression impression(String query, String... docIds) {
        List<Impression.Result> results = new ArrayList<>();
        for (int i = 0; i < docIds.length; i++) {
            results.add(new Impression.Result(docIds[i], i + 1, 1.0 - i * 0.01));
        }
        return new Impression("q1", query, "u1", "s1", "m@1", results, 1000);
    }

    static Click click(String docId, int rank, Long dwellMs) {
        return new Click("q1", docId, rank, dwellMs, 2000);
    }

    private static List<String> positives(PairingRules.Pairing p) {
        return p.pairs().stream().map(x -> x.positive().docId()).toList();
    }

    private static List<String> negatives(PairingRules.Pair p) {
        return p.negatives().stream().map(Impression.Result::docId).toList();
    }

    @Nested
    class Positives {
        @Test
        void shouldCountAClickWithEnoughDwellAsPositive() {
            PairingRules.Pairing p = RULES.pair(impression("q", "a", "b", "c"), List.of(click("b", 2, 5_000L)), Set.of());
            assertThat(positives(p)).containsExactly("b");
        }

        @Test
        void shouldCountAClickWithoutDwellAsPositive() {
            PairingRules.Pairing p = RULES.pair(impression("q", "a", "b"), List.of(click("b", 2, null)), Set.of());
            assertThat(positives(p)).containsExactly("b");
        }

        @Test
        void shouldNotCountAShortDwellClickAsPositive() {
            PairingRules.Pairing p = RULES.pair(impression("q", "a", "b"), List.of(click("b", 2, 4_999L)), Set.of());
            assertThat(p.pairs()).isEmpty();
        }

        @Test
        void shouldProduceNothingWithoutClicks() {
            assertThat(RULES.pair(impression("q", "a", "b"), List.of(), Set.of()).pairs()).isEmpty();
        }

        @Test
        void shouldIgnoreClicksOnDocumentsNotShown() {
            PairingRules.Pairing p = RULES.pair(impression("q", "a", "b"), List.of(click("zzz", 9, null)), Set.of());
            assertThat(p.pairs()).isEmpty();
        }

        @Test
        void shouldEmitOneExamplePerPositiveInRankOrder() {
            PairingRules.Pairing p = RULES.pair(impression("q", "a", "b", "c", "d"),
                    List.of(click("d", 4, null), click("b", 2, 60_000L)), Set.of());
            assertThat(positives(p)).containsExactly("b", "d");
        }

        @Test
        void shouldMergeRepeatedClicksSoAnyQualifyingClickMakesAPositive() {
            PairingRules.Pairing p = RULES.pair(impression("q", "a", "b"),
                    List.of(click("b", 2, 100L), click("b", 2, 30_000L)), Set.of());
            assertThat(positives(p)).containsExactly("b");
        }

        @Test
        void shouldUseTheImpressionsRankNotTheClicksReportedRank() {
            PairingRules.Pairing p = RULES.pair(impression("q", "a", "b", "c"), List.of(click("c", 1, null)), Set.of());
            assertThat(p.pairs()).singleElement().satisfies(x -> {
                assertThat(x.positive().rank()).isEqualTo(3);
                assertThat(negatives(x)).containsExactly("a", "b");
            });
        }
    }

    @Nested
    class Negatives {
        @Test
        void shouldUseUnclickedResultsAboveTheLowestClick() {
            PairingRules.Pairing p = RULES.pair(impression("q", "a", "b", "c", "d", "e"),
                    List.of(click("c", 3, null)), Set.of());
            assertThat(negatives(p.pairs().get(0))).containsExactly("a", "b");
        }

        @Test
        void shouldShareTheImpressionsNegativesAcrossItsPositivesAndNeverUseAClickedResult() {
            PairingRules.Pairing p = RULES.pair(impression("q", "a", "b", "c", "d", "e", "f"),
                    List.of(click("b", 2, null), click("d", 4, 10L), click("e", 5, 9_000L)), Set.of());
            // d was clicked briefly: neither positive nor negative; f is below the lowest click
            assertThat(positives(p)).containsExactly("b", "e");
            assertThat(p.pairs()).allSatisfy(x -> assertThat(negatives(x)).containsExactly("a", "c"));
        }

        @Test
        void shouldLetAShortClickMarkHowFarTheUserLooked() {
            PairingRules.Pairing p = RULES.pair(impression("q", "a", "b", "c", "d"),
                    List.of(click("a", 1, null), click("d", 4, 1L)), Set.of());
            assertThat(positives(p)).containsExactly("a");
            assertThat(negatives(p.pairs().get(0))).containsExactly("b", "c");
        }

        @Test
        void shouldHaveNoNegativesWhenTheTopResultIsTheOnlyClick() {
            PairingRules.Pairing p = RULES.pair(impression("q", "a", "b", "c"), List.of(click("a", 1, null)), Set.of());
            assertThat(p.pairs()).singleElement().satisfies(x -> assertThat(x.negatives()).isEmpty());
        }

        @Test
        void shouldAddTheUnclickedResultBelowAClickOnlyWhenConfigured() {
            PairingRules below = new PairingRules(5_000, true, PropensityModel.powerLaw(0.7), 10, 10);
            Impression imp = impression("q", "a", "b", "c", "d", "e");
            List<Click> clicks = List.of(click("b", 2, null), click("c", 3, null));
            assertThat(negatives(RULES.pair(imp, clicks, Set.of()).pairs().get(0))).containsExactly("a");
            assertThat(negatives(below.pair(imp, clicks, Set.of()).pairs().get(0))).containsExactly("a", "d");
        }

        @Test
        void shouldNotAddAResultBelowTheLastShownResult() {
            PairingRules below = new PairingRules(5_000, true, PropensityModel.powerLaw(0.7), 10, 10);
            PairingRules.Pairing p = below.pair(impression("q", "a", "b"), List.of(click("b", 2, null)), Set.of());
            assertThat(negatives(p.pairs().get(0))).containsExactly("a");
        }

        @Test
        void shouldFollowShownOrderWhenRanksHaveGaps() {
            PairingRules below = new PairingRules(5_000, true, PropensityModel.powerLaw(0.7), 10, 10);
            Impression imp = new Impression("q1", "q", null, null, "m", List.of(
                    new Impression.Result("a", 1, 0.0), new Impression.Result("b", 4, 0.0), new Impression.Result("c", 9, 0.0)),
                    0);
            PairingRules.Pairing p = below.pair(imp, List.of(click("b", 4, null)), Set.of());
            assertThat(negatives(p.pairs().get(0))).containsExactly("a", "c");
        }

        @Test
        void shouldNeverUseARecentPositiveOfTheSameQueryAsNegative() {
            PairingRules.Pairing p = RULES.pair(impression("q", "a", "b", "c", "d"),
                    List.of(click("d", 4, null)), Set.of("b"));
            assertThat(negatives(p.pairs().get(0))).containsExactly("a", "c");
            assertThat(p.excludedAsRecentPositive()).isEqualTo(1);
        }

        @Test
        void shouldKeepTheBestRankedNegativesUpToTheLimit() {
            PairingRules two = new PairingRules(5_000, false, PropensityModel.powerLaw(0.7), 10, 2);
            PairingRules.Pairing p = two.pair(impression("q", "a", "b", "c", "d", "e"),
                    List.of(click("e", 5, null)), Set.of("a"));
            assertThat(negatives(p.pairs().get(0))).containsExactly("b", "c");
            assertThat(p.excludedAsRecentPositive()).isEqualTo(1);
            assertThat(p.excludedOverLimit()).isEqualTo(1);
        }

        @Test
        void shouldAllowZeroNegativesAsPairsOnly() {
            PairingRules none = new PairingRules(5_000, false, PropensityModel.powerLaw(0.7), 10, 0);
            PairingRules.Pairing p = none.pair(impression("q", "a", "b"), List.of(click("b", 2, null)), Set.of());
            assertThat(p.pairs()).singleElement().satisfies(x -> assertThat(x.negatives()).isEmpty());
            assertThat(p.excludedOverLimit()).isEqualTo(1);
        }

        @Test
        void shouldTreatADocumentShownTwiceAsShownAtItsBestRank() {
            Impression imp = new Impression("q1", "q", null, null, "m", List.of(
                    new Impression.Result("a", 1, 0.0), new Impression.Result("b", 2, 0.0), new Impression.Result("a", 3, 0.0),
                    new Impression.Result("c", 4, 0.0)), 0);
            PairingRules.Pairing p = RULES.pair(imp, List.of(click("c", 4, null)), Set.of());
            assertThat(p.pairs().get(0).negatives()).extracting(Impression.Result::docId, Impression.Result::rank)
                    .containsExactly(org.assertj.core.api.Assertions.tuple("a", 1),
                            org.assertj.core.api.Assertions.tuple("b", 2));
        }
    }

    @Nested
    class Weights {
        @Test
        void shouldWeightByInversePowerLawPropensity() {
            assertThat(RULES.weight(1)).isEqualTo(1.0);
            assertThat(RULES.weight(2)).isCloseTo(Math.pow(2, 0.7), within(1e-12));
            assertThat(RULES.weight(10)).isCloseTo(5.0119, within(1e-4));
        }

        @Test
        void shouldClipTheWeight() {
            // 27^0.7 = 10.04 > 10
            assertThat(RULES.weight(27)).isEqualTo(10.0);
            assertThat(RULES.weight(26)).isLessThan(10.0);
            PairingRules clip3 = new PairingRules(0, false, PropensityModel.powerLaw(1.0), 3, 10);
            assertThat(clip3.weight(2)).isEqualTo(2.0);
            assertThat(clip3.weight(5)).isEqualTo(3.0);
        }

        @Test
        void shouldWeighEveryRankOneWithoutAPropensityModel() {
            PairingRules none = new PairingRules(0, false, PropensityModel.none(), 10, 10);
            assertThat(none.weight(1)).isEqualTo(1.0);
            assertThat(none.weight(50)).isEqualTo(1.0);
        }

        @Test
        void shouldCarryThePositivesWeightOnItsExample() {
            PairingRules.Pairing p = RULES.pair(impression("q", "a", "b", "c"),
                    List.of(click("a", 1, null), click("c", 3, null)), Set.of());
            assertThat(p.pairs()).extracting(PairingRules.Pair::weight).containsExactly(1.0, Math.pow(3, 0.7));
        }

        @Test
        void shouldParsePropensityModels() {
            assertThat(PropensityModel.parse("power-law", 0.5)).isEqualTo(PropensityModel.powerLaw(0.5));
            assertThat(PropensityModel.parse(" NONE ", 0.5)).isEqualTo(PropensityModel.none());
            assertThat(PropensityModel.powerLaw(0.7).propensity(4)).isCloseTo(Math.pow(0.25, 0.7), within(1e-12));
            assertThatThrownBy(() -> PropensityModel.parse("cascade", 1)).hasMessageContaining("cascade");
            assertThatThrownBy(() -> PropensityModel.powerLaw(-0.1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> PropensityModel.powerLaw(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> PropensityModel.none().propensity(0)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Nested
    class Helpers {
        @Test
        void shouldMergeClicksKeepingTheStrongest() {
            Click shortDwell = click("a", 1, 10L);
            Click longDwell = click("a", 1, 20_000L);
            Click noDwell = click("a", 1, null);
            assertThat(PairingRules.merge(null, shortDwell)).isSameAs(shortDwell);
            assertThat(PairingRules.merge(shortDwell, longDwell)).isSameAs(longDwell);
            assertThat(PairingRules.merge(longDwell, shortDwell)).isSameAs(longDwell);
            assertThat(PairingRules.merge(longDwell, noDwell)).isSameAs(noDwell);
            Click same = click("a", 1, 10L);
            assertThat(PairingRules.merge(shortDwell, same)).isSameAs(shortDwell);
            assertThatThrownBy(() -> PairingRules.merge(shortDwell, click("b", 2, null)))
                    .isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void shouldNormaliseQueries() {
            assertThat(PairingRules.normaliseQuery("  Wing\tFLUTTER \n")).isEqualTo("wing flutter");
            assertThat(PairingRules.normaliseQuery("ｗｉｎｇ")).isEqualTo("wing");
            assertThat(PairingRules.normaliseQuery("a\u0000b")).isEqualTo("a b");
            assertThat(PairingRules.queryKey("Wing  Flutter")).isEqualTo(PairingRules.queryKey("wing flutter"))
                    .hasSize(64).matches("[0-9a-f]+");
            assertThat(PairingRules.queryKey("wing flutter")).isNotEqualTo(PairingRules.queryKey("wing flutters"));
        }

        @Test
        void shouldTellTheIdentityToCapUnder() {
            assertThat(PairingRules.identity(new Impression("q", "x", "u7", "s1", "m", List.of(), 0)))
                    .contains("u:u7");
            assertThat(PairingRules.identity(new Impression("q", "x", " ", "s1", "m", List.of(), 0)))
                    .contains("s:s1");
            assertThat(PairingRules.identity(new Impression("q", "x", null, null, "m", List.of(), 0))).isEmpty();
        }

        @Test
        void shouldTruncateWithoutSplittingASurrogatePair() {
            assertThat(PairingRules.truncate("hello", 10)).isEqualTo("hello");
            assertThat(PairingRules.truncate("hello", 4)).isEqualTo("hell");
            String emoji = "ab\uD83D\uDE00cd";
            assertThat(PairingRules.truncate(emoji, 3)).isEqualTo("ab");
            assertThat(PairingRules.truncate(emoji, 4)).isEqualTo("ab\uD83D\uDE00");
            assertThatThrownBy(() -> PairingRules.truncate("x", 0)).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void shouldAdmitUpToTheCapPerWindowThenStartANewWindow() {
            Optional<PairingRules.CapWindow> first = PairingRules.admit(null, 100, 2, 50);
            assertThat(first).contains(new PairingRules.CapWindow(150, 1));
            Optional<PairingRules.CapWindow> second = PairingRules.admit(first.get(), 120, 2, 50);
            assertThat(second).contains(new PairingRules.CapWindow(150, 2));
            assertThat(PairingRules.admit(second.get(), 149, 2, 50)).isEmpty();
            assertThat(PairingRules.admit(second.get(), 150, 2, 50)).contains(new PairingRules.CapWindow(200, 1));
        }
    }

    @Test
    void shouldRejectBadRuleParameters() {
        assertThatThrownBy(() -> new PairingRules(-1, false, PropensityModel.none(), 10, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PairingRules(0, false, PropensityModel.none(), 0.5, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PairingRules(0, false, PropensityModel.none(), 10, -1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PairingRules(0, false, null, 10, 1)).isInstanceOf(NullPointerException.class);
    }
}
