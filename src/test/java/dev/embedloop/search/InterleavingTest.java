package dev.embedloop.search;

import static org.assertj.core.api.Assertions.assertThat;

import dev.embedloop.events.InterleavingOutcome;
import dev.embedloop.search.Interleaving.Pick;
import dev.embedloop.search.Interleaving.Team;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class InterleavingTest {

    private static List<String> docs(String prefix, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add(prefix + i);
        }
        return out;
    }

    @Test
    void shouldGiveEachTeamHalfOfTheTopKEveryTimeAndTheFirstPickHalfOfTheTime() {
        int firstLive = 0;
        int runs = 2000;
        for (int s = 0; s < runs; s++) {
            List<Pick<String>> p = Interleaving.teamDraft(docs("a", 10), docs("b", 10), 10, Function.identity(),
                    new SplittableRandom(s));
            assertThat(p).hasSize(10);
            for (int k = 1; k <= 10; k++) {
                long live = p.subList(0, k).stream().filter(x -> x.team() == Team.LIVE).count();
                // after every prefix the teams differ by at most one pick
                assertThat(Math.abs(2 * live - k)).isLessThanOrEqualTo(1);
            }
            if (p.get(0).team() == Team.LIVE) {
                firstLive++;
            }
        }
        assertThat((double) firstLive / runs).isBetween(0.45, 0.55);
    }

    @Test
    void shouldDrawAnImpressionsCoinsFromItsSessionAndNormalisedQueryAndStayFairAcrossSessions() {
        List<Pick<String>> once = Interleaving.teamDraft(docs("a", 10), docs("b", 10), 10, Function.identity(),
                Interleaving.impressionRandom("s-1", "Wing lift"));
        List<Pick<String>> again = Interleaving.teamDraft(docs("a", 10), docs("b", 10), 10, Function.identity(),
                Interleaving.impressionRandom("s-1", "  wing   LIFT "));
        assertThat(again).as("the same session repeating the query").isEqualTo(once);
        // any text a request may carry: a lone surrogate, nothing left after normalising
        for (String odd : new String[] {"wing \ud800 lift", "   ", "\u0000"}) {
            assertThat(Interleaving.teamDraft(docs("a", 10), docs("b", 10), 10, Function.identity(),
                    Interleaving.impressionRandom("s-\udfff", odd))).hasSize(10);
        }
        int firstLive = 0;
        int sessions = 2000;
        Set<List<Pick<String>>> pages = new HashSet<>();
        for (int s = 0; s < sessions; s++) {
            List<Pick<String>> p = Interleaving.teamDraft(docs("a", 10), docs("b", 10), 10, Function.identity(),
                    Interleaving.impressionRandom("user-" + s, "wing lift"));
            pages.add(p);
            if (p.get(0).team() == Team.LIVE) {
                firstLive++;
            }
        }
        // Binomial(2000, 0.5): 1000 ± 22; outside [900, 1100] with probability below 1e-5
        assertThat(firstLive).isBetween(900, 1100);
        // five coin flips (one per pair of picks): all 32 pages appear
        assertThat(pages).hasSize(32);
    }

    @Test
    void shouldShowADocumentBothRankingsHoldOnceCreditedToTheTeamThatPlacedIt() {
        List<String> live = List.of("x", "y", "z", "l4");
        List<String> cand = List.of("x", "z", "c3", "c4");
        for (int s = 0; s < 50; s++) {
            List<Pick<String>> p = Interleaving.teamDraft(live, cand, 6, Function.identity(), new SplittableRandom(s));
            Set<String> seen = new HashSet<>();
            p.forEach(x -> assertThat(seen.add(x.item())).as("shown once").isTrue());
            assertThat(p.get(0).item()).isEqualTo("x"); // both rank it first: whoever picks first places it
            assertThat(p).hasSize(6);
            // the other team, picking next, skips x and takes its next document
            Pick<String> second = p.get(1);
            assertThat(second.team()).isNotEqualTo(p.get(0).team());
            assertThat(second.item()).isEqualTo(second.team() == Team.LIVE ? "y" : "z");
        }
    }

    @Test
    void shouldLetTheOtherTeamPickWhenOneRankingIsUsedUp() {
        List<Pick<String>> p = Interleaving.teamDraft(List.of("a"), docs("b", 5), 4, Function.identity(),
                new SplittableRandom(3));
        assertThat(p).extracting(Pick::item).contains("a", "b1", "b2");
        assertThat(p).hasSize(4);
        assertThat(Interleaving.teamDraft(List.of("same"), List.of("same"), 5, Function.identity(),
                new SplittableRandom(1))).hasSize(1);
    }

    @Test
    void shouldAttributeClicksToTeamsPerImpression() {
        List<String> teams = List.of("live", "candidate", "candidate", "live");
        InterleavingOutcome win = InterleavingOutcome.of("q", "a1", "a2", teams, List.of(2, 3, 3), 5, null);
        assertThat(win.candidateClicks()).isEqualTo(2);
        assertThat(win.liveClicks()).isZero();
        assertThat(win.outcome()).isEqualTo(InterleavingOutcome.WIN);
        assertThat(InterleavingOutcome.of("q", "a1", "a2", teams, List.of(1, 2), 5, null).outcome())
                .isEqualTo(InterleavingOutcome.TIE);
        assertThat(InterleavingOutcome.of("q", "a1", "a2", teams, List.of(1), 5, null).outcome())
                .isEqualTo(InterleavingOutcome.LOSS);
        assertThat(InterleavingOutcome.of("q", "a1", "a2", teams, List.of(), 5, null).hasPreference()).isFalse();
        assertThat(InterleavingOutcome.of("q", "a1", "a2", teams, List.of(9), 5, null).hasPreference())
                .as("a rank that was not shown credits nobody").isFalse();
    }

    /** Users who click at random (position-biased, whatever the documents) prefer neither team on average. */
    @Test
    void shouldGiveTiesOnAverageForRandomClicks() {
        Random rnd = new Random(11);
        int wins = 0;
        int losses = 0;
        for (int s = 0; s < 4000; s++) {
            List<Pick<String>> p = Interleaving.teamDraft(docs("a", 10), docs("b", 10), 10, Function.identity(),
                    new SplittableRandom(s));
            List<Integer> clicks = new ArrayList<>();
            for (int r = 1; r <= 10; r++) {
                if (rnd.nextDouble() < Math.pow(1.0 / r, 0.7) * 0.3) {
                    clicks.add(r);
                }
            }
            InterleavingOutcome o = InterleavingOutcome.of("q" + s, "l", "c",
                    p.stream().map(x -> x.team().wire()).toList(), clicks, s, null);
            if (o.outcome().equals(InterleavingOutcome.WIN)) {
                wins++;
            } else if (o.outcome().equals(InterleavingOutcome.LOSS)) {
                losses++;
            }
        }
        assertThat(dev.embedloop.train.OnlineGate.signTestP(wins, losses)).isGreaterThan(0.01);
    }
}
