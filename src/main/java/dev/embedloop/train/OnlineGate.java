package dev.embedloop.train;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * The online gate: decides a candidate under test from interleaving outcomes (one per impression
 * with a preference; ties carry no information and are only counted).
 *
 * <p>The unit of evidence is the query, not the impression. Each query contributes its net
 * preference {@code d = wins − losses} over all of its impressions, and the p-value is that of a
 * two-sided sign-flip (randomisation) test on {@code Σ d}: under "no preference" each query's
 * {@code d} is as likely negative as positive, so every assignment of signs to the {@code |d|} is
 * equally likely; the p-value is the share of them with {@code |Σ ±|d|| ≥ |Σ d|}, computed exactly.
 * When every query is searched once this is the classic sign test ({@link #signTestP}). Under
 * repeated queries it stops one popular query, repeated a hundred times, from passing for a
 * hundred independent users: impressions of one query share its two rankings, so they are not
 * independent evidence.
 *
 * <p>The test is sequential: the trainer looks as outcomes arrive, and a fixed level at every look
 * would promote random clicks far more often than alpha/2 (about 11 % over the first 200 queries,
 * looked at after each). So significance is tested at checkpoints only, when the impressions with
 * a preference reach {@code minPreferences · 2^k}, and each look the impression budget allows
 * spends an equal share of alpha ({@link #alphaAt}); the levels sum to alpha.
 *
 * <p>The candidate is promoted when it wins significantly at a look (at least
 * {@code minPreferences} impressions with a preference), abandoned when it loses significantly,
 * when it is still not ahead once {@code futilityQueries} queries have a preference (a futility
 * rule: a candidate that 70 % of queries prefer is behind or level after 30 of them with
 * probability about 2 %; one that is not better frees the trainer for a candidate trained on more
 * clicks), or when the budget of interleaved impressions (every one shown, counted or not) or of
 * time is spent. Users who click at random prefer neither side in expectation, so they give p-values that
 * are uniform at best, and promote a candidate with probability at most alpha/2 per decision.
 */
public final class OnlineGate {

    /**
     * @param alpha significance level of the two-sided sign test, in (0, 1)
     * @param minPreferences least number of impressions with a preference before any decision
     * @param maxImpressions budget: abandon after this many interleaved impressions without a decision
     * @param maxDuration budget: abandon after this long under test without a decision
     * @param futilityQueries abandon a candidate that is not ahead (its wins do not exceed its
     *     losses) once this many counted queries have a preference; 0: never
     */
    public record Options(double alpha, int minPreferences, int maxImpressions, Duration maxDuration,
            int futilityQueries) {
        public Options {
            if (!(alpha > 0 && alpha < 1)) {
                throw new IllegalArgumentException("alpha must be in (0, 1), was " + alpha);
            }
            if (minPreferences < 1 || maxImpressions < 1) {
                throw new IllegalArgumentException("minPreferences and maxImpressions must be positive");
            }
            if (minPreferences > maxImpressions) {
                throw new IllegalArgumentException("minPreferences (" + minPreferences + ") must not exceed maxImpressions ("
                        + maxImpressions + "): no look would ever be taken");
            }
            if (futilityQueries < 0) {
                throw new IllegalArgumentException("futilityQueries must not be negative, was " + futilityQueries);
            }
            Objects.requireNonNull(maxDuration, "maxDuration");
        }

        /** Without the futility rule. */
        public Options(double alpha, int minPreferences, int maxImpressions, Duration maxDuration) {
            this(alpha, minPreferences, maxImpressions, maxDuration, 0);
        }
    }

    /** How the reason of a significant loss at a look begins. */
    static final String LOST = "live model preferred at ";
    /** How the reason of a futility abandonment begins. */
    static final String FUTILE = "candidate not ahead after ";
    /** How the reason of a superseded candidate begins ({@link TrainerService}). */
    static final String SUPERSEDED = "superseded: ";
    /** The reason prefix of a candidate abandoned because a rollback came after it was put under test. */
    static final String ROLLED_BACK = "put under test before a rollback: ";

    /** What to do with the candidate. */
    public enum Verdict { PROMOTE, ABANDON, CONTINUE }

    /** The decision and its figures. */
    public record Decision(Verdict verdict, int wins, int losses, int ties, double pValue, String reason) {}

    private final Options options;

    public OnlineGate(Options options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    public Options options() {
        return options;
    }

    /** Decides on the counts so far, {@code elapsed} after the candidate went under test; each impression its own query. */
    public Decision decide(int wins, int losses, int ties, Duration elapsed) {
        int[] nets = new int[wins + losses];
        java.util.Arrays.fill(nets, 0, wins, 1);
        java.util.Arrays.fill(nets, wins, wins + losses, -1);
        return decide(wins, losses, ties, nets, 0, elapsed);
    }

    /**
     * Decides on the counts so far, {@code elapsed} after the candidate went under test, as one look:
     * significance at the level of the look that {@code wins + losses} falls in ({@link #lookOf}),
     * then {@link #otherwise}. Looking at every new outcome spends more than alpha; a caller that
     * looks repeatedly should test significance once per checkpoint ({@link #look}), as
     * {@link OnlineComparison} does.
     *
     * @param wins impressions the candidate won, over the counted queries
     * @param losses impressions the live model won
     * @param ties impressions without a preference
     * @param queryNets each counted query's wins − losses
     * @param notCounted interleaved impressions shown but not counted (queries the candidate was
     *     trained on): they spend the impression budget, they are no evidence
     */
    public Decision decide(int wins, int losses, int ties, int[] queryNets, int notCounted, Duration elapsed) {
        int n = wins + losses;
        Decision significant = n >= options.minPreferences()
                ? look(lookOf(n), wins, losses, ties, queryNets, notCounted) : null;
        return significant != null ? significant : otherwise(wins, losses, ties, queryNets, notCounted, elapsed);
    }

    /**
     * The number of impressions with a preference at which look {@code k} (from 0) is taken:
     * {@code minPreferences · 2^k}, so a test of the default 5,000 impressions looks at most about
     * eight times.
     */
    public long checkpoint(int k) {
        return k >= 40 ? Long.MAX_VALUE : (long) options.minPreferences() << k;
    }

    /** The look whose band {@code [checkpoint(k), checkpoint(k + 1))} holds {@code n} (n at least minPreferences). */
    public int lookOf(long n) {
        int k = 0;
        while (checkpoint(k + 1) <= n) {
            k++;
        }
        return k;
    }

    /**
     * How many looks the impression budget allows: the checkpoints {@code minPreferences · 2^k} up
     * to {@code maxImpressions} (impressions with a preference never outnumber the interleaved
     * impressions, and the budget abandons the candidate when those reach it); 8 with the defaults.
     */
    public int looks() {
        int k = 0;
        while (checkpoint(k) <= options.maxImpressions()) {
            k++;
        }
        return k;
    }

    /**
     * The significance level look {@code k} spends: {@code alpha / looks()} for each look the budget
     * allows (0.00625 of 0.05 with the defaults), 0 past them. They sum to alpha, so however long a
     * candidate is tested, users who click at random promote it with probability at most alpha/2
     * (Bonferroni over the looks). An equal share, not one that shrinks look by look: the evidence
     * of a test lies in its later looks, and a first look at 20 preferences needs no level of its own
     * to promote a candidate every query prefers.
     */
    public double alphaAt(int k) {
        int looks = looks();
        return k < looks ? options.alpha() / looks : 0;
    }

    /** The level of the next look after {@code preferences} impressions with a preference (0 after the last look). */
    public double nextLookLevel(long preferences) {
        return alphaAt(preferences < checkpoint(0) ? 0 : lookOf(preferences) + 1);
    }

    /**
     * Look {@code k}: the significance test alone, on the counts at its checkpoint.
     *
     * @return a promotion or an abandonment when the sign-flip p-value is below {@link #alphaAt(int)},
     *     null otherwise
     */
    public Decision look(int k, int wins, int losses, int ties, int[] queryNets, int notCounted) {
        double p = signFlipP(queryNets);
        if (!(p < alphaAt(k))) {
            return null;
        }
        String figures = String.format(Locale.ROOT, "look %d at %d preferences (wins %d, losses %d; %d queries with a"
                + " preference; sign-flip test by query p=%.4f, level %.4f of alpha %.3f)", k + 1, wins + losses, wins,
                losses, java.util.Arrays.stream(queryNets).filter(d -> d != 0).count(), p, alphaAt(k), options.alpha());
        return wins > losses
                ? new Decision(Verdict.PROMOTE, wins, losses, ties, p, "candidate preferred at " + figures)
                : new Decision(Verdict.ABANDON, wins, losses, ties, p, LOST + figures);
    }

    /**
     * Between looks: abandons a candidate that is not ahead after {@code futilityQueries} queries with
     * a preference, or whose budget is spent; otherwise it stays under test. Never promotes.
     */
    public Decision otherwise(int wins, int losses, int ties, int[] queryNets, int notCounted, Duration elapsed) {
        double p = signFlipP(queryNets);
        long queries = java.util.Arrays.stream(queryNets).filter(d -> d != 0).count();
        String figures = String.format(Locale.ROOT, "wins %d, losses %d, ties %d; %d queries with a preference%s;"
                + " sign-flip test by query p=%.4f (alpha %.3f)", wins, losses, ties, queries, notCounted(notCounted),
                p, options.alpha());
        if (options.futilityQueries() > 0 && queries >= options.futilityQueries() && wins <= losses) {
            return new Decision(Verdict.ABANDON, wins, losses, ties, p, FUTILE + options.futilityQueries()
                    + " queries with a preference: " + figures);
        }
        if ((long) wins + losses + ties + notCounted >= options.maxImpressions()) {
            return new Decision(Verdict.ABANDON, wins, losses, ties, p, "impression budget spent: " + figures);
        }
        if (elapsed.compareTo(options.maxDuration()) >= 0) {
            return new Decision(Verdict.ABANDON, wins, losses, ties, p, "time budget spent: " + figures);
        }
        return new Decision(Verdict.CONTINUE, wins, losses, ties, p, "under test: " + figures);
    }

    /** The figures' clause on impressions not counted (empty when there are none). */
    static String notCounted(int notCounted) {
        return notCounted == 0 ? "" : ", " + notCounted + " impressions of queries the candidate trained on not counted";
    }

    /**
     * Two-sided exact sign-flip test of {@code Σ nets = 0}: the probability, over independent fair
     * signs s, that {@code |Σ s·|d|| ≥ |Σ d|}. Exact by dynamic programming over the attainable sums
     * (at most {@code Σ|d|}, the number of impressions with a preference, per step).
     */
    public static double signFlipP(int[] nets) {
        long observed = 0;
        int total = 0;
        for (int d : nets) {
            observed += d;
            total += Math.abs(d);
        }
        if (observed == 0) {
            return 1.0;
        }
        if (total == java.util.Arrays.stream(nets).filter(d -> d != 0).count()) {
            // every query won or lost once: the sign test, in O(n)
            return signTestP((int) (total + observed) / 2, (int) (total - observed) / 2);
        }
        // dist[s + total] = P(Σ s·|d| = s) over the queries seen so far
        double[] dist = new double[2 * total + 1];
        double[] next = new double[dist.length];
        dist[total] = 1.0;
        int reach = 0;
        for (int d : nets) {
            int a = Math.abs(d);
            if (a == 0) {
                continue;
            }
            java.util.Arrays.fill(next, total - reach - a, total + reach + a + 1, 0.0);
            for (int s = -reach; s <= reach; s++) {
                double q = dist[s + total];
                if (q != 0) {
                    next[s + a + total] += 0.5 * q;
                    next[s - a + total] += 0.5 * q;
                }
            }
            double[] swap = dist;
            dist = next;
            next = swap;
            reach += a;
        }
        long t = Math.abs(observed);
        double tail = 0;
        for (int s = -total; s <= total; s++) {
            if (Math.abs(s) >= t) {
                tail += dist[s + total];
            }
        }
        return Math.min(1.0, tail);
    }

    /** Two-sided exact sign test: {@code min(1, 2·P(X ≤ min(wins, losses)))}, X ~ Binomial(wins + losses, ½). */
    public static double signTestP(int wins, int losses) {
        int n = wins + losses;
        if (n == 0) {
            return 1.0;
        }
        int m = Math.min(wins, losses);
        // sum of C(n, i) / 2^n for i ≤ m, in logs to stay finite for large n
        double logHalfN = n * Math.log(0.5);
        double sum = 0;
        double logC = 0; // log C(n, 0)
        for (int i = 0; i <= m; i++) {
            if (i > 0) {
                logC += Math.log(n - i + 1) - Math.log(i);
            }
            sum += Math.exp(logC + logHalfN);
        }
        return Math.min(1.0, 2 * sum);
    }
}
