package dev.embedloop.eval;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * A position-biased click model for simulated users: the result at rank r is examined with
 * probability (1/r)^eta, and an examined result is clicked when its judgement grade is &gt; 0. Pure:
 * all randomness comes from the generator the caller passes, so a seed fixes every click.
 *
 * <p>Each shown rank consumes exactly one draw, relevant or not, so the examinations of a session
 * depend only on its generator and the page length, not on the judgements.
 */
public final class ClickModel {

    public static final double DEFAULT_ETA = 0.7;
    public static final long DEFAULT_DWELL_MS = 30_000;

    private final double eta;
    private final long dwellMs;

    /**
     * @param eta position-bias exponent, ≥ 0 (0: every result is examined)
     * @param dwellMs dwell time reported with each click, ≥ 0
     */
    public ClickModel(double eta, long dwellMs) {
        if (!(eta >= 0) || Double.isInfinite(eta)) {
            throw new IllegalArgumentException("eta must be a finite number ≥ 0, was " + eta);
        }
        if (dwellMs < 0) {
            throw new IllegalArgumentException("dwell must be ≥ 0 ms, was " + dwellMs);
        }
        this.eta = eta;
        this.dwellMs = dwellMs;
    }

    public double eta() {
        return eta;
    }

    public long dwellMs() {
        return dwellMs;
    }

    /** (1/rank)^eta: 1 for the first result. */
    public double examinationProbability(int rank) {
        if (rank < 1) {
            throw new IllegalArgumentException("rank must be at least 1, was " + rank);
        }
        return Math.pow(1.0 / rank, eta);
    }

    /** One draw: whether the user examines the result at {@code rank}. */
    public boolean examines(int rank, RandomGenerator random) {
        return random.nextDouble() < examinationProbability(rank);
    }

    /** A simulated click on the result shown at {@code rank}. */
    public record SimulatedClick(String docId, int rank, long dwellMs) {}

    /**
     * One user session on one result page.
     *
     * @param shown document ids in the order shown (rank 1 first)
     * @param judgements the query's grades; grade &gt; 0 is relevant
     * @return the clicks, top to bottom
     */
    public List<SimulatedClick> session(List<String> shown, Map<String, Integer> judgements, RandomGenerator random) {
        List<SimulatedClick> clicks = new ArrayList<>();
        for (int i = 0; i < shown.size(); i++) {
            int rank = i + 1;
            boolean examined = examines(rank, random);
            if (examined && judgements.getOrDefault(shown.get(i), 0) > 0) {
                clicks.add(new SimulatedClick(shown.get(i), rank, dwellMs));
            }
        }
        return clicks;
    }

    /**
     * The generator of one simulated session, derived from the run's seed and the session's
     * coordinates: sessions are independent of each other and of the order they run in.
     */
    public static RandomGenerator sessionRandom(long seed, int round, String queryId, int session) {
        long h = mix(seed);
        h = mix(h ^ round);
        h = mix(h ^ fnv1a64(queryId));
        h = mix(h ^ session);
        return new SplittableRandom(h);
    }

    /** SplitMix64's finaliser: spreads every input bit over the whole word. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    private static long fnv1a64(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }
}
