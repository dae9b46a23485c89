package dev.embedloop.train;

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
 * {@link Options#minHoldout()} held-out examples. Holding out the most recent examples (rather
 * than a random sample) measures what matters: whether a model trained on the past ranks the
 * clicks that came after it better.
 *
 * <p>Ranking task per held-out example: its query against its own positive, its own hard
 * negatives and the other held-out examples' positives. A candidate equal to the positive's
 * vector (the same document) is left out. Ties with the positive count against it, so that a
 * degenerate model that scores everything alike gets no credit.
 */
public final class Gate {

    /**
     * Gate options; validated on construction.
     *
     * @param holdoutFraction fraction of examples (the most recent) held out, in (0, 1)
     * @param minHoldout least number held out, and least number needed to promote, at least 1
     * @param recallAt the k values for recall@k, each at least 1
     * @param margin the MRR improvement required to promote, at least 0
     */
    public record Options(double holdoutFraction, int minHoldout, List<Integer> recallAt, double margin) {
        public Options {
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
        }

        /** 10% held out, at least 50, recall@1 and @5, margin 0.01 MRR. */
        public static Options defaults() {
            return new Options(0.1, 50, List.of(1, 5), 0.01);
        }

        public Options withHoldoutFraction(double v) {
            return new Options(v, minHoldout, recallAt, margin);
        }

        public Options withMinHoldout(int v) {
            return new Options(holdoutFraction, v, recallAt, margin);
        }

        public Options withRecallAt(List<Integer> v) {
            return new Options(holdoutFraction, minHoldout, v, margin);
        }

        public Options withMargin(double v) {
            return new Options(holdoutFraction, minHoldout, recallAt, v);
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
     */
    public record Decision(Metrics live, Metrics candidate, boolean promote, double improvement, String reason) {
        public Decision {
            Objects.requireNonNull(live, "live");
            Objects.requireNonNull(candidate, "candidate");
            Objects.requireNonNull(reason, "reason");
        }
    }

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

    /** Ranks each held-out example's positive with {@code model} (use {@link LinearAdapter#identity} for the base encoder). */
    public Metrics evaluate(LinearAdapter model, List<TrainingTriple> holdout) {
        Objects.requireNonNull(model, "model");
        int n = holdout.size();
        // Transform every document once; the slice's positives are shared by all queries.
        float[][] pos = new float[n][];
        int[] posHash = new int[n];
        for (int i = 0; i < n; i++) {
            pos[i] = model.applyDocument(holdout.get(i).positive());
            posHash[i] = Arrays.hashCode(holdout.get(i).positive());
        }
        double rrSum = 0;
        List<Integer> ks = options.recallAt();
        int[] hits = new int[ks.size()];
        for (int i = 0; i < n; i++) {
            TrainingTriple t = holdout.get(i);
            float[] q = model.applyQuery(t.query());
            double sPos = dot(q, pos[i]);
            int above = 0;
            for (float[] neg : t.hardNegatives()) {
                if (!Arrays.equals(neg, t.positive()) && dot(q, model.applyDocument(neg)) >= sPos) {
                    above++;
                }
            }
            for (int j = 0; j < n; j++) {
                if (j != i && !(posHash[j] == posHash[i] && Arrays.equals(holdout.get(j).positive(), t.positive()))
                        && dot(q, pos[j]) >= sPos) {
                    above++;
                }
            }
            int rank = above + 1;
            rrSum += 1.0 / rank;
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

    /** Evaluates both models on the same held-out triples and decides with {@link Options#margin()}. */
    public Decision decide(LinearAdapter live, LinearAdapter candidate, List<TrainingTriple> holdout) {
        return decide(evaluate(live, holdout), evaluate(candidate, holdout), options.margin());
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
