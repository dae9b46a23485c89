package dev.embedloop.train;

import dev.embedloop.model.LinearAdapter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.ToLongFunction;

/**
 * The evaluation gate between a trained candidate adapter and the live one.
 *
 * <p>In: examples (split by time with {@link #split}), then a live and a candidate adapter and
 * the held-out triples. Out: {@link Metrics} for each and a {@link Decision}: promote only when
 * the candidate's MRR beats the live one's by at least {@link Options#margin()} on at least
 * {@link Options#minHoldout()} held-out examples and, when both models are ranked on the same
 * examples, the improvement is significant: a one-sided paired bootstrap over the held-out
 * examples' reciprocal ranks must put the chance of "no improvement" below
 * {@link Options#alpha()}. A fixed margin alone is thin against noise: on a small slice, a
 * candidate that learned nothing can beat it by luck; the bootstrap scales the bar with the
 * spread of the per-example differences.
 *
 * <p><b>Guard against the live model's own selection.</b> Hard negatives are skip-above
 * negatives: the live model ranked them above the click, by construction. Against them any model
 * that merely reorders the live model's top results gains, and a candidate trained on random
 * clicks learns exactly that (demote what the live model put first) and wins there, significantly
 * (measured on Cranfield: +0.06 to +0.15 MRR on hard negatives alone from random clicks). The
 * slice's other positives carry no such selection, so with per-example ranks the candidate must
 * also not lose significantly (beyond the margin, and beyond chance by the same one-sided paired
 * bootstrap) on the ranking against the other positives alone (random
 * clicks lose 0.06 to 0.11 there; clicks that follow relevance gain 0.02 to 0.09 on the queries
 * they were trained on, but lose about 0.03 on queries they were not, so the online screen only
 * reports it, see {@link #screen}). Holding out the most recent examples (rather
 * than a random sample) measures what matters: whether a model trained on the past ranks the
 * clicks that came after it better.
 *
 * <p>Ranking task per held-out example: its query against its own positive, its own hard
 * negatives and the other held-out examples' positives. A candidate equal to the positive's
 * vector (the same document) is left out, and so is the positive of another example of the same
 * query (same query vector): it is relevant to this query too. Ties with the positive count
 * against it, so that a degenerate model that scores everything alike gets no credit.
 */
public final class Gate {

    /**
     * Gate options; validated on construction.
     *
     * @param holdoutFraction fraction of examples (the most recent) held out, in (0, 1)
     * @param minHoldout least number held out, and least number needed to promote, at least 1
     * @param recallAt the k values for recall@k, each at least 1
     * @param margin the MRR improvement required to promote, at least 0
     * @param alpha significance level of the paired bootstrap, in (0, 1]; 1 turns the test off
     * @param minHoldoutQueries least number of distinct queries held out: examples of one query are
     *     not independent (under repeated queries, dozens of them may come from a handful of queries),
     *     and generalisation is only measured across queries
     */
    public record Options(double holdoutFraction, int minHoldout, List<Integer> recallAt, double margin,
            double alpha, int minHoldoutQueries) {
        public Options {
            if (minHoldoutQueries < 1) {
                throw new IllegalArgumentException("minHoldoutQueries must be at least 1, was " + minHoldoutQueries);
            }
            if (!(holdoutFraction > 0 && holdoutFraction < 1)) {
                throw new IllegalArgumentException("holdoutFraction must be in (0, 1), was " + holdoutFraction);
            }
            if (minHoldout < 1) {
                throw new IllegalArgumentException("minHoldout must be at least 1, was " + minHoldout);
            }
            recallAt = List.copyOf(Objects.requireNonNull(recallAt, "recallAt"));
            for (int k : recallAt) {
                if (k < 1) {
                    throw new IllegalArgumentException("recall@k needs k >= 1, was " + k);
                }
            }
            if (!(margin >= 0) || Double.isInfinite(margin)) {
                throw new IllegalArgumentException("margin must be finite and at least 0, was " + margin);
            }
            if (!(alpha > 0 && alpha <= 1)) {
                throw new IllegalArgumentException("alpha must be in (0, 1], was " + alpha);
            }
        }

        /** With the default significance level {@link #DEFAULT_ALPHA}. */
        public Options(double holdoutFraction, int minHoldout, List<Integer> recallAt, double margin) {
            this(holdoutFraction, minHoldout, recallAt, margin, DEFAULT_ALPHA);
        }

        /** Without a least number of distinct held-out queries (1). */
        public Options(double holdoutFraction, int minHoldout, List<Integer> recallAt, double margin, double alpha) {
            this(holdoutFraction, minHoldout, recallAt, margin, alpha, 1);
        }

        /** The default significance level of the paired bootstrap. */
        public static final double DEFAULT_ALPHA = 0.05;

        /** 10% held out, at least 50, recall@1 and @5, margin 0.01 MRR, alpha 0.05. */
        public static Options defaults() {
            return new Options(0.1, 50, List.of(1, 5), 0.01, DEFAULT_ALPHA);
        }

        public Options withHoldoutFraction(double v) {
            return new Options(v, minHoldout, recallAt, margin, alpha, minHoldoutQueries);
        }

        public Options withMinHoldout(int v) {
            return new Options(holdoutFraction, v, recallAt, margin, alpha, minHoldoutQueries);
        }

        public Options withRecallAt(List<Integer> v) {
            return new Options(holdoutFraction, minHoldout, v, margin, alpha, minHoldoutQueries);
        }

        public Options withMargin(double v) {
            return new Options(holdoutFraction, minHoldout, recallAt, v, alpha, minHoldoutQueries);
        }

        public Options withMinHoldoutQueries(int v) {
            return new Options(holdoutFraction, minHoldout, recallAt, margin, alpha, v);
        }

        public Options withAlpha(double v) {
            return new Options(holdoutFraction, minHoldout, recallAt, margin, v, minHoldoutQueries);
        }
    }

    /** Examples split by time: {@code train} (older) and {@code holdout} (the most recent), each oldest first. */
    public record Split<T>(List<T> train, List<T> holdout) {
        public Split {
            train = List.copyOf(train);
            holdout = List.copyOf(holdout);
        }
    }

    /**
     * Ranking quality on a held-out slice.
     *
     * @param examples how many examples were ranked
     * @param mrr mean reciprocal rank of the positive, in [0, 1]
     * @param recall k → fraction of examples with the positive in the top k
     */
    public record Metrics(int examples, double mrr, SortedMap<Integer, Double> recall) {
        public Metrics {
            recall = Collections.unmodifiableSortedMap(new TreeMap<>(recall));
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "n=%d MRR=%.4f", examples, mrr));
            for (Map.Entry<Integer, Double> e : recall.entrySet()) {
                sb.append(String.format(Locale.ROOT, " R@%d=%.4f", e.getKey(), e.getValue()));
            }
            return sb.toString();
        }
    }

    /**
     * The gate's verdict.
     *
     * @param live metrics of the live model
     * @param candidate metrics of the candidate
     * @param promote whether the candidate should replace the live model
     * @param improvement candidate MRR minus live MRR
     * @param reason a one-line explanation for logs and the model-updates record
     * @param pValue one-sided paired-bootstrap estimate of the chance that the candidate is not
     *     better; NaN when the test did not run (metrics without per-example ranks, or the margin
     *     already failed)
     * @param sliceImprovement candidate MRR minus live MRR when ranking against the slice's other
     *     positives only (the guard, see the class comment); NaN when not computed
     */
    public record Decision(Metrics live, Metrics candidate, boolean promote, double improvement, String reason,
            double pValue, double sliceImprovement) {
        public Decision {
            Objects.requireNonNull(live, "live");
            Objects.requireNonNull(candidate, "candidate");
            Objects.requireNonNull(reason, "reason");
        }

        /** The same figures with another verdict and reason (a rule outside the gate overrides it). */
        public Decision withVerdict(boolean newPromote, String newReason) {
            return new Decision(live, candidate, newPromote, improvement, newReason, pValue, sliceImprovement);
        }

        /** A decision on aggregate metrics alone: no significance test, no guard. */
        public Decision(Metrics live, Metrics candidate, boolean promote, double improvement, String reason) {
            this(live, candidate, promote, improvement, reason, Double.NaN, Double.NaN);
        }
    }

    /** Bootstrap resamples of the paired test; enough for p-values near 0.05 to be stable to about ±0.005. */
    static final int BOOTSTRAP_SAMPLES = 4000;
    private static final long BOOTSTRAP_SEED = 0x5EED_6A7EL;

    private final Options options;

    public Gate(Options options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    public Options options() {
        return options;
    }

    /**
     * Splits off the most recent examples: {@code max(minHoldout, ceil(fraction · n))} of them,
     * at most n. Ties in time keep input order (a stable sort), so the split is deterministic.
     */
    public <T> Split<T> split(List<T> examples, ToLongFunction<? super T> timestamp) {
        List<T> sorted = new ArrayList<>(examples);
        sorted.sort(Comparator.comparingLong(timestamp));
        int n = sorted.size();
        int hold = Math.min(n, Math.max(options.minHoldout(), (int) Math.ceil(options.holdoutFraction() * n)));
        return new Split<>(sorted.subList(0, n - hold), sorted.subList(n - hold, n));
    }

    /** How many of {@code n} examples the gate holds out: {@code max(minHoldout, ceil(fraction · n))}, at most n. */
    public int holdoutTarget(int n) {
        return Math.min(n, Math.max(options.minHoldout(), (int) Math.ceil(options.holdoutFraction() * n)));
    }

    /** Ranks each held-out example's positive with {@code model} (use {@link LinearAdapter#identity} for the base encoder). */
    public Metrics evaluate(LinearAdapter model, List<TrainingTriple> holdout) {
        return metrics(reciprocalRanks(model, holdout));
    }

    /** The metrics of per-example reciprocal ranks (recall@k from the ranks they imply). */
    public Metrics metrics(double[] reciprocalRanks) {
        int n = reciprocalRanks.length;
        double rrSum = 0;
        List<Integer> ks = options.recallAt();
        int[] hits = new int[ks.size()];
        for (double rr : reciprocalRanks) {
            rrSum += rr;
            long rank = Math.round(1.0 / rr);
            for (int k = 0; k < ks.size(); k++) {
                if (rank <= ks.get(k)) {
                    hits[k]++;
                }
            }
        }
        SortedMap<Integer, Double> recall = new TreeMap<>();
        for (int k = 0; k < ks.size(); k++) {
            recall.put(ks.get(k), n == 0 ? 0.0 : (double) hits[k] / n);
        }
        return new Metrics(n, n == 0 ? 0.0 : rrSum / n, recall);
    }

    /**
     * The reciprocal rank of each held-out example's positive under {@code model}, in input order:
     * its query against its own positive, its own hard negatives and the other examples' positives.
     */
    public double[] reciprocalRanks(LinearAdapter model, List<TrainingTriple> holdout) {
        return reciprocalRanks(model, holdout, true, true);
    }

    /** Reciprocal ranks against the hard negatives, the slice's other positives, or both. */
    double[] reciprocalRanks(LinearAdapter model, List<TrainingTriple> holdout, boolean hardNegatives,
            boolean slicePositives) {
        Objects.requireNonNull(model, "model");
        int n = holdout.size();
        // Transform every document once; the slice's positives are shared by all queries.
        float[][] pos = new float[n][];
        int[] posHash = new int[n];
        for (int i = 0; i < n; i++) {
            pos[i] = model.applyDocument(holdout.get(i).positive());
            posHash[i] = Arrays.hashCode(holdout.get(i).positive());
        }
        double[] rr = new double[n];
        for (int i = 0; i < n; i++) {
            TrainingTriple t = holdout.get(i);
            float[] q = model.applyQuery(t.query());
            double sPos = dot(q, pos[i]);
            int above = 0;
            for (float[] neg : hardNegatives ? t.hardNegatives() : List.<float[]>of()) {
                if (!Arrays.equals(neg, t.positive()) && dot(q, model.applyDocument(neg)) >= sPos) {
                    above++;
                }
            }
            for (int j = 0; j < (slicePositives ? n : 0); j++) {
                if (j != i && !(posHash[j] == posHash[i] && Arrays.equals(holdout.get(j).positive(), t.positive()))
                        && !AdapterTrainer.sameQuery(holdout.get(j), t)
                        && dot(q, pos[j]) >= sPos) {
                    above++;
                }
            }
            rr[i] = 1.0 / (above + 1);
        }
        return rr;
    }

    /** Evaluates both models on the same held-out triples and decides with the margin and the paired test. */
    public Decision decide(LinearAdapter live, LinearAdapter candidate, List<TrainingTriple> holdout) {
        return decide(live, holdout, candidate, holdout);
    }

    /**
     * Evaluates each model on its own view of the same held-out examples and decides with the
     * margin, the paired test and the guard. The views differ when the models see documents
     * differently (the live model's documents carry its document adapter, a symmetric candidate's
     * are base vectors); example i of both lists must be the same example.
     *
     * @throws IllegalArgumentException when the lists differ in length
     */
    public Decision decide(LinearAdapter live, List<TrainingTriple> liveHoldout, LinearAdapter candidate,
            List<TrainingTriple> candidateHoldout) {
        return onRanks(live, liveHoldout, candidate, candidateHoldout, this::decide);
    }

    /** A decision rule on paired reciprocal ranks (full ranking, then against the slice's positives) and query clusters. */
    private interface RankRule {
        Decision apply(double[] liveRr, double[] candidateRr, double[] liveSliceRr, double[] candidateSliceRr,
                int[] clusters);
    }

    /** Ranks the same held-out examples with each model on its own view of them and applies {@code rule}. */
    private Decision onRanks(LinearAdapter live, List<TrainingTriple> liveHoldout, LinearAdapter candidate,
            List<TrainingTriple> candidateHoldout, RankRule rule) {
        if (liveHoldout.size() != candidateHoldout.size()) {
            throw new IllegalArgumentException("paired evaluation needs the same examples: " + liveHoldout.size()
                    + " live, " + candidateHoldout.size() + " candidate");
        }
        return rule.apply(reciprocalRanks(live, liveHoldout), reciprocalRanks(candidate, candidateHoldout),
                reciprocalRanks(live, liveHoldout, false, true), reciprocalRanks(candidate, candidateHoldout, false, true),
                queryClusters(candidateHoldout));
    }

    /**
     * The decision rule on per-example reciprocal ranks of the same examples: the full ranking
     * (hard negatives and the slice's other positives), then the slice's other positives alone.
     */
    public Decision decide(double[] liveRr, double[] candidateRr, double[] liveSliceRr, double[] candidateSliceRr) {
        return decide(liveRr, candidateRr, liveSliceRr, candidateSliceRr, null);
    }

    /**
     * As {@link #decide(double[], double[], double[], double[])}, with the examples' queries:
     * {@code clusters[i]} numbers example i's query, and the bootstrap resamples whole queries
     * (examples of one query are not independent); null: every example on its own.
     */
    public Decision decide(double[] liveRr, double[] candidateRr, double[] liveSliceRr, double[] candidateSliceRr,
            int[] clusters) {
        int n = liveRr.length;
        if (candidateRr.length != n || liveSliceRr.length != n || candidateSliceRr.length != n) {
            throw new IllegalArgumentException("paired reciprocal ranks differ in length");
        }
        Decision byMargin = decide(metrics(liveRr), metrics(candidateRr), options.margin());
        double slice = mean(candidateSliceRr) - mean(liveSliceRr);
        if (!byMargin.promote()) {
            return new Decision(byMargin.live(), byMargin.candidate(), false, byMargin.improvement(),
                    byMargin.reason(), Double.NaN, slice);
        }
        String sliceText = String.format(Locale.ROOT, "; against other clicks only MRR %.4f -> %.4f (%+.4f)",
                mean(liveSliceRr), mean(candidateSliceRr), slice);
        // the loss against other clicks must be beyond the margin and, when testing, beyond chance:
        // real feedback on few held-out examples can dip a little here by luck; random clicks lose a lot
        boolean sliceLoss = slice + 1e-12 < -options.margin()
                && (options.alpha() >= 1 || pairedBootstrapP(candidateSliceRr, liveSliceRr, clusters) < options.alpha());
        if (sliceLoss) {
            return new Decision(byMargin.live(), byMargin.candidate(), false, byMargin.improvement(),
                    byMargin.reason().replace("candidate better", "candidate not better against other queries' clicks")
                            + sliceText + ", significantly worse: its gain is against the live model's own result pages only",
                    Double.NaN, slice);
        }
        if (options.alpha() >= 1) {
            return new Decision(byMargin.live(), byMargin.candidate(), true, byMargin.improvement(),
                    byMargin.reason() + sliceText, Double.NaN, slice);
        }
        double p = pairedBootstrapP(liveRr, candidateRr, clusters);
        String test = String.format(Locale.ROOT, "; paired bootstrap p=%.4f, alpha %.4f", p, options.alpha());
        if (p < options.alpha()) {
            return new Decision(byMargin.live(), byMargin.candidate(), true, byMargin.improvement(),
                    byMargin.reason() + sliceText + test, p, slice);
        }
        return new Decision(byMargin.live(), byMargin.candidate(), false, byMargin.improvement(),
                byMargin.reason().replace("candidate better", "candidate not better beyond chance") + sliceText + test,
                p, slice);
    }

    /**
     * The offline gate as the safety check before an online test ({@code train.online-gate}): the
     * candidate passes unless its MRR on the held-out queries is below the live model's by more than
     * the margin and beyond chance (one-sided paired bootstrap by query at {@link Options#alpha()}),
     * and it needs at least {@link Options#minHoldout()} held-out examples. Its MRR against the
     * slice's other positives alone (the guard of the class comment) is reported, not weighed.
     *
     * <p>Why so little: the held-out queries are the ones the interleaving counts (no candidate
     * trains on them, and search services interleave only queries the candidate did not train on),
     * and offline they are judged by clicks on the live model's own top ten. A candidate that lifts
     * relevant documents from below the top ten looks worse there than it is (on Cranfield's unseen
     * queries, +0.03 MRR and −0.03 against other clicks for a candidate 0.04 nDCG@10 better on the
     * test split), and a random-click candidate looks like a good one (a gain on the full ranking,
     * a loss against other clicks). The users tell them apart on the same queries without that
     * bias; this check only spares them a candidate that is clearly worse.
     *
     * @throws IllegalArgumentException when the lists differ in length
     */
    public Decision screen(LinearAdapter live, List<TrainingTriple> liveHoldout, LinearAdapter candidate,
            List<TrainingTriple> candidateHoldout) {
        return onRanks(live, liveHoldout, candidate, candidateHoldout, this::screen);
    }

    /** {@link #screen(LinearAdapter, List, LinearAdapter, List)} on per-example reciprocal ranks of the same examples. */
    public Decision screen(double[] liveRr, double[] candidateRr, double[] liveSliceRr, double[] candidateSliceRr) {
        return screen(liveRr, candidateRr, liveSliceRr, candidateSliceRr, null);
    }

    /** As {@link #screen(double[], double[], double[], double[])}, resampling whole queries ({@code clusters}, may be null). */
    public Decision screen(double[] liveRr, double[] candidateRr, double[] liveSliceRr, double[] candidateSliceRr,
            int[] clusters) {
        int n = liveRr.length;
        if (candidateRr.length != n || liveSliceRr.length != n || candidateSliceRr.length != n) {
            throw new IllegalArgumentException("paired reciprocal ranks differ in length");
        }
        Metrics live = metrics(liveRr);
        Metrics candidate = metrics(candidateRr);
        double improvement = candidate.mrr() - live.mrr();
        double slice = mean(candidateSliceRr) - mean(liveSliceRr);
        String figures = String.format(Locale.ROOT,
                "MRR %.4f -> %.4f (%+.4f, margin %.4f); against other clicks only %.4f -> %.4f (%+.4f)",
                live.mrr(), candidate.mrr(), improvement, options.margin(), mean(liveSliceRr), mean(candidateSliceRr),
                slice);
        if (candidate.examples() < options.minHoldout()) {
            return new Decision(live, candidate, false, improvement,
                    "held out " + candidate.examples() + " examples, need " + options.minHoldout() + "; " + figures,
                    Double.NaN, slice);
        }
        boolean beyondMargin = improvement + 1e-12 < -options.margin();
        double p = beyondMargin ? pairedBootstrapP(candidateRr, liveRr, clusters) : 1.0;
        String test = String.format(Locale.ROOT, "bootstrap p=%.4f, alpha %.4f", p, options.alpha());
        if (beyondMargin && (options.alpha() >= 1 || p < options.alpha())) {
            return new Decision(live, candidate, false, improvement, "candidate worse on held-out queries than the"
                    + " model it is compared with (beyond the margin and chance; " + test + "): " + figures, p, slice);
        }
        return new Decision(live, candidate, true, improvement, "candidate not significantly worse on held-out"
                + " queries, to be judged online (" + test + "): " + figures, p, slice);
    }

    /** Numbers the examples' queries (examples of one query share its vector). */
    static int[] queryClusters(List<TrainingTriple> holdout) {
        int[] out = new int[holdout.size()];
        List<float[]> seen = new ArrayList<>();
        for (int i = 0; i < holdout.size(); i++) {
            float[] q = holdout.get(i).query();
            int id = -1;
            for (int j = 0; j < seen.size() && id < 0; j++) {
                if (Arrays.equals(seen.get(j), q)) {
                    id = j;
                }
            }
            if (id < 0) {
                id = seen.size();
                seen.add(q);
            }
            out[i] = id;
        }
        return out;
    }

    private static double mean(double[] xs) {
        double s = 0;
        for (double x : xs) {
            s += x;
        }
        return xs.length == 0 ? 0 : s / xs.length;
    }

    /**
     * One-sided paired bootstrap: resample the examples with replacement and count how often the
     * mean of (candidate − live) is at most 0. Seeded, so the same ranks give the same p.
     */
    static double pairedBootstrapP(double[] liveRr, double[] candidateRr) {
        return pairedBootstrapP(liveRr, candidateRr, null);
    }

    /**
     * The paired bootstrap over clusters (queries): each resample draws whole queries with
     * replacement and compares the mean difference over their examples. With {@code clusters}
     * null, every example is its own cluster.
     */
    static double pairedBootstrapP(double[] liveRr, double[] candidateRr, int[] clusters) {
        int n = liveRr.length;
        if (n == 0) {
            return 1.0;
        }
        Map<Integer, double[]> byCluster = new java.util.LinkedHashMap<>(); // cluster -> {sum of differences, examples}
        for (int i = 0; i < n; i++) {
            double[] c = byCluster.computeIfAbsent(clusters == null ? i : clusters[i], k -> new double[2]);
            c[0] += candidateRr[i] - liveRr[i];
            c[1]++;
        }
        double[][] cs = byCluster.values().toArray(new double[0][]);
        int k = cs.length;
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(BOOTSTRAP_SEED);
        int notBetter = 0;
        for (int b = 0; b < BOOTSTRAP_SAMPLES; b++) {
            double sum = 0;
            for (int i = 0; i < k; i++) {
                sum += cs[rnd.nextInt(k)][0];
            }
            if (sum <= 1e-12) {
                notBetter++;
            }
        }
        // (k + 1) / (B + 1): never exactly 0, the usual Monte Carlo p-value
        return (notBetter + 1.0) / (BOOTSTRAP_SAMPLES + 1.0);
    }

    /** The decision rule alone, for metrics computed elsewhere. */
    public Decision decide(Metrics live, Metrics candidate, double margin) {
        double improvement = candidate.mrr() - live.mrr();
        String delta = String.format(Locale.ROOT, "MRR %.4f -> %.4f (%+.4f, margin %.4f)",
                live.mrr(), candidate.mrr(), improvement, margin);
        if (candidate.examples() < options.minHoldout()) {
            return new Decision(live, candidate, false, improvement,
                    "held out " + candidate.examples() + " examples, need " + options.minHoldout() + "; " + delta);
        }
        // A tiny epsilon so that an improvement of exactly the margin is not lost to rounding.
        if (improvement + 1e-12 >= margin) {
            return new Decision(live, candidate, true, improvement, "candidate better: " + delta);
        }
        return new Decision(live, candidate, false, improvement, "candidate not better by the margin: " + delta);
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }
}
