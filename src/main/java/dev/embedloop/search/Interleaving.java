package dev.embedloop.search;

import dev.embedloop.events.InterleavingOutcome;
import dev.embedloop.events.Queries;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.random.RandomGenerator;

/**
 * Team-draft interleaving (Radlinski, Kurup &amp; Joachims, CIKM 2008): two rankings, the live
 * model's (team {@link Team#LIVE}) and the candidate's ({@link Team#CANDIDATE}), are merged the way
 * captains pick players. In each round the team with fewer picks so far picks next (a fair coin
 * decides when both have as many); the picking team adds its highest-ranked document that is not
 * shown yet, and that document is credited to it. A document both rankings hold is credited to
 * whichever team placed it first; it is shown once. When one team's ranking is used up, the other
 * keeps picking.
 *
 * <p>Agreement is neutral: when, at the start of a round (both teams with as many picks), both
 * rankings' next unshown document is the same one, it is shown as {@link Team#BOTH} and credited to
 * neither, and no coin is drawn. Plain team-draft would credit it to whichever team the coin sent
 * first, so a click on it (on the shared top result, most often) is a coin toss that adds only
 * noise to the test; crediting only the documents the rankings disagree on keeps the comparison
 * where the preference is (measured in README, "Under test, decided by users").
 *
 * <p>Fairness: with equal picks decided by a coin, each team holds half of the credited results
 * in expectation (exactly ⌊m/2⌋ or ⌈m/2⌉ of the first m credited every time), so a user who clicks
 * at random credits both teams alike, and only a preference for one ranking's documents makes a
 * team win. Pure: the caller supplies the
 * random source: the search service draws an impression's coins from its session and query
 * ({@link #impressionRandom}), or at random when the request names no session.
 */
public final class Interleaving {

    /** Which ranking a shown result came from. */
    public enum Team {
        LIVE, CANDIDATE,
        /** Both rankings proposed it in the same round: shown once, credited to neither. */
        BOTH;

        /** The spelling on impressions: {@code live}, {@code candidate} or {@code both}. */
        public String wire() {
            return switch (this) {
                case LIVE -> InterleavingOutcome.LIVE_TEAM;
                case CANDIDATE -> InterleavingOutcome.CANDIDATE_TEAM;
                case BOTH -> InterleavingOutcome.BOTH_TEAMS;
            };
        }
    }

    /** One shown result and the team that placed it. */
    public record Pick<T>(T item, Team team) {
        public Pick {
            Objects.requireNonNull(item, "item");
            Objects.requireNonNull(team, "team");
        }
    }

    private Interleaving() {}

    /**
     * The coin flips of one impression, derived from its session id and normalised query: a user who
     * repeats a query within a session is shown the same page, and a run that replays the same
     * sessions ({@code eval}) is shown the same pages, so its online tests repeat. The coins depend on
     * neither ranking nor any click, so each team's expected share of the top k stays k/2 across
     * sessions.
     */
    public static RandomGenerator impressionRandom(String sessionId, String query) {
        Objects.requireNonNull(sessionId, "sessionId");
        UUID h = UUID.nameUUIDFromBytes((sessionId + '\u0000' + Queries.normalise(query))
                .getBytes(StandardCharsets.UTF_8));
        return new SplittableRandom(h.getMostSignificantBits() ^ h.getLeastSignificantBits());
    }

    /**
     * The team-draft interleaving of {@code live} and {@code candidate}, at most {@code k} results.
     *
     * @param key identifies a result across the two lists (documents: their id)
     */
    public static <T> List<Pick<T>> teamDraft(List<T> live, List<T> candidate, int k,
            java.util.function.Function<? super T, ?> key, RandomGenerator random) {
        return teamDraft(live, candidate, k, key, random, true);
    }

    /**
     * {@link #teamDraft(List, List, int, java.util.function.Function, RandomGenerator)}, or with
     * {@code neutralAgreement} false plain team-draft as Radlinski et al. describe it (a document both
     * propose in the same round goes to the team the coin sends first): for comparing the two.
     */
    public static <T> List<Pick<T>> teamDraft(List<T> live, List<T> candidate, int k,
            java.util.function.Function<? super T, ?> key, RandomGenerator random, boolean neutralAgreement) {
        List<Pick<T>> out = new ArrayList<>();
        Set<Object> shown = new HashSet<>();
        int liveNext = 0;
        int candidateNext = 0;
        int livePicks = 0;
        int candidatePicks = 0;
        while (out.size() < k) {
            liveNext = skipShown(live, liveNext, shown, key);
            candidateNext = skipShown(candidate, candidateNext, shown, key);
            boolean liveLeft = liveNext < live.size();
            boolean candidateLeft = candidateNext < candidate.size();
            if (!liveLeft && !candidateLeft) {
                break;
            }
            if (neutralAgreement && liveLeft && candidateLeft && livePicks == candidatePicks
                    && key.apply(live.get(liveNext)).equals(key.apply(candidate.get(candidateNext)))) {
                T item = live.get(liveNext++);
                candidateNext++;
                shown.add(key.apply(item));
                out.add(new Pick<>(item, Team.BOTH));
                continue;
            }
            boolean livePicks1 = livePicks < candidatePicks || (livePicks == candidatePicks && random.nextBoolean());
            if (!candidateLeft) {
                livePicks1 = true;
            } else if (!liveLeft) {
                livePicks1 = false;
            }
            T item = livePicks1 ? live.get(liveNext++) : candidate.get(candidateNext++);
            shown.add(key.apply(item));
            out.add(new Pick<>(item, livePicks1 ? Team.LIVE : Team.CANDIDATE));
            if (livePicks1) {
                livePicks++;
            } else {
                candidatePicks++;
            }
        }
        return out;
    }

    private static <T> int skipShown(List<T> list, int from, Set<Object> shown,
            java.util.function.Function<? super T, ?> key) {
        int i = from;
        while (i < list.size() && shown.contains(key.apply(list.get(i)))) {
            i++;
        }
        return i;
    }
}
