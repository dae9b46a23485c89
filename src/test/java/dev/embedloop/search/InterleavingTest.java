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
    void shouldShowADocumentBothRankingsProposeInTheSameRoundOnceCreditedToNeither() {
        List<String> live = List.of("x", "y", "z", "l4");
        List<String> cand = List.of("x", "z", "c3", "c4");
        Set<List<Pick<String>>> pages = new HashSet<>();
        for (int s = 0; s < 50; s++) {
            List<Pick<String>> p = Interleaving.teamDraft(live, cand, 6, Function.identity(), new SplittableRandom(s));
            pages.add(p);
            Set<String> seen = new HashSet<>();
            p.forEach(x -> assertThat(seen.add(x.item())).as("shown once").isTrue());
            assertThat(p).hasSize(6);
            // both rank x first: shown first, credited to neither
            assertThat(p.get(0)).isEqualTo(new Pick<>("x", Team.BOTH));
            // then they disagree: y for live and z for the candidate, in the order of the coin
            assertThat(p.subList(1, 3)).containsExactlyInAnyOrder(new Pick<>("y", Team.LIVE), new Pick<>("z", Team.CANDIDATE));
            // z is shown: live's next is l4, the candidate's c3; then live is used up and the candidate keeps picking
            assertThat(p.subList(3, 5)).containsExactlyInAnyOrder(new Pick<>("l4", Team.LIVE), new Pick<>("c3", Team.CANDIDATE));
            assertThat(p.get(5)).isEqualTo(new Pick<>("c4", Team.CANDIDATE));
        }
        assertThat(pages).as("two coins, four pages").hasSize(4);
    }

    @Test
    void shouldCreditADocumentBothRankingsHoldAtDifferentRoundsToTheTeamThatPlacedItFirst() {
        // a and b are in both lists but never proposed together: each is credited to whoever placed it
        for (int s = 0; s < 20; s++) {
            List<Pick<String>> p = Interleaving.teamDraft(List.of("a", "b", "c", "d"), List.of("b", "a", "c", "e"), 10,
                    Function.identity(), new SplittableRandom(s));
            assertThat(p.subList(0, 2)).containsExactlyInAnyOrder(new Pick<>("a", Team.LIVE), new Pick<>("b", Team.CANDIDATE));
            // they agree again on c, later in the lists: neutral
            assertThat(p.get(2)).isEqualTo(new Pick<>("c", Team.BOTH));
            assertThat(p.subList(3, 5)).containsExactlyInAnyOrder(new Pick<>("d", Team.LIVE), new Pick<>("e", Team.CANDIDATE));
            assertThat(p).hasSize(5);
        }
    }

    @Test
    void shouldCreditNeitherTeamWhenBothRankingsAreTheSame() {
        List<Pick<String>> p = Interleaving.teamDraft(docs("a", 10), docs("a", 10), 10, Function.identity(),
                new SplittableRandom(5));
        assertThat(p).extracting(Pick::item).containsExactlyElementsOf(docs("a", 10));
        assertThat(p).extracting(Pick::team).containsOnly(Team.BOTH);
        InterleavingOutcome o = InterleavingOutcome.of("q", "l", "c", p.stream().map(x -> x.team().wire()).toList(),
                List.of(1, 2, 5), 1, null);
        assertThat(o.outcome()).isEqualTo(InterleavingOutcome.TIE);
        assertThat(o.liveClicks() + o.candidateClicks()).isZero();
    }

    @Test
    void shouldLetTheOtherTeamPickWhenOneRankingIsUsedUp() {
        List<Pick<String>> p = Interleaving.teamDraft(List.of("a"), docs("b", 5), 4, Function.identity(),
                new SplittableRandom(3));
        assertThat(p).extracting(Pick::item).contains("a", "b1", "b2");
        assertThat(p).hasSize(4);
        assertThat(Interleaving.teamDraft(List.of("same"), List.of("same"), 5, Function.identity(),
                new SplittableRandom(1))).containsExactly(new Pick<>("same", Team.BOTH));
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
        List<String> withShared = List.of("both", "live", "candidate");
        InterleavingOutcome shared = InterleavingOutcome.of("q", "a1", "a2", withShared, List.of(1, 3), 5, null);
        assertThat(shared.candidateClicks()).as("a result both proposed credits neither").isEqualTo(1);
        assertThat(shared.liveClicks()).isZero();
        assertThat(shared.outcome()).isEqualTo(InterleavingOutcome.WIN);
    }

    /**
     * Users who click at random (position-biased, whatever the documents) prefer neither team on
     * average: with disjoint rankings, and with rankings that share documents, in the same places
     * (neutral) or elsewhere (credited to the team that placed them first).
     */
    @Test
    void shouldGiveTiesOnAverageForRandomClicks() {
        Random rnd = new Random(11);
        int wins = 0;
        int losses = 0;
        int neutral = 0;
        List<String> pool = docs("d", 14);
        for (int s = 0; s < 8000; s++) {
            List<String> live = docs("a", 10);
            List<String> cand = docs("b", 10);
            if (s % 2 == 1) {
                // two rankings drawn from one pool of 14: they share 6 to 10 documents, some in the same rounds
                List<String> shuffled = new ArrayList<>(pool);
                java.util.Collections.shuffle(shuffled, new Random(s));
                live = shuffled.subList(0, 10);
                List<String> other = new ArrayList<>(live.subList(0, 3 + s % 4));
                List<String> rest = new ArrayList<>(shuffled.subList(3 + s % 4, 14));
                java.util.Collections.shuffle(rest, new Random(-s));
                other.addAll(rest);
                cand = other.subList(0, 10);
            }
            List<Pick<String>> p = Interleaving.teamDraft(live, cand, 10, Function.identity(), new SplittableRandom(s));
            neutral += (int) p.stream().filter(x -> x.team() == Team.BOTH).count();
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
        assertThat(neutral).as("the shared rankings put neutral results on the pages").isGreaterThan(4000);
        assertThat(wins + losses).isGreaterThan(3000);
        assertThat(dev.embedloop.train.OnlineGate.signTestP(wins, losses)).isGreaterThan(0.01);
    }
}
