package dev.embedloop.train;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * The online gate: decides a candidate under test from interleaving outcomes (one per impression
 * with a preference; ties carry no information and are only counted). Two-sided sign test:
 * under "no preference" the candidate's wins among the n impressions with a preference are
 * Binomial(n, ½); the p-value is {@code min(1, 2·P(X ≤ min(wins, losses)))}. The candidate is
 * promoted when it wins significantly ({@code p < alpha}, at least {@code minPreferences}),
 * abandoned when it loses significantly, or when the budget of impressions or time is spent.
 * Users who click at random prefer neither side in expectation, so they give p-values that are
 * uniform at best, and promote a candidate with probability at most alpha/2 per decision.
 */
public final class OnlineGate {

    /**
     * @param alpha significance level of the two-sided sign test, in (0, 1)
     * @param minPreferences least number of impressions with a preference before any decision
     * @param maxImpressions budget: abandon after this many interleaved impressions without a decision
     * @param maxDuration budget: abandon after this long under test without a decision
     */
    public record Options(double alpha, int minPreferences, int maxImpressions, Duration maxDuration) {
        public Options {
            if (!(alpha > 0 && alpha < 1)) {
                throw new IllegalArgumentException("alpha must be in (0, 1), was " + alpha);
            }
            if (minPreferences < 1 || maxImpressions < 1) {
                throw new IllegalArgumentException("minPreferences and maxImpressions must be positive");
            }
            Objects.requireNonNull(maxDuration, "maxDuration");
        }
    }

    /** What to do with the candidate. */
    public enum Verdict { PROMOTE, ABANDON, CONTINUE }

    /** The decision and its figures. */
    public record Decision(Verdict verdict, int wins, int losses, int ties, double pValue, String reason) {}

    private final Options options;

    public OnlineGate(Options options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    /** Decides on the counts so far, {@code elapsed} after the candidate went under test. */
    public Decision decide(int wins, int losses, int ties, Duration elapsed) {
        int n = wins + losses;
        double p = signTestP(wins, losses);
        String figures = String.format(Locale.ROOT, "wins %d, losses %d, ties %d, sign test p=%.4f (alpha %.3f)",
                wins, losses, ties, p, options.alpha());
        if (n >= options.minPreferences() && p < options.alpha()) {
            return wins > losses
                    ? new Decision(Verdict.PROMOTE, wins, losses, ties, p, "candidate preferred: " + figures)
                    : new Decision(Verdict.ABANDON, wins, losses, ties, p, "live model preferred: " + figures);
        }
        if (wins + losses + ties >= options.maxImpressions()) {
            return new Decision(Verdict.ABANDON, wins, losses, ties, p, "impression budget spent: " + figures);
        }
        if (elapsed.compareTo(options.maxDuration()) >= 0) {
            return new Decision(Verdict.ABANDON, wins, losses, ties, p, "time budget spent: " + figures);
        }
        return new Decision(Verdict.CONTINUE, wins, losses, ties, p, "under test: " + figures);
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
