package dev.embedloop.train;

import dev.embedloop.model.AdapterMode;
import dev.embedloop.model.LinearAdapter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the trainer's settings for one candidate on a validation slice of its own training
 * window, never on test data: a small search over learning rate and identity pull (lambda) as a
 * grid, then temperature, then warm start (from the live adapter) vs. cold start (identity), with the
 * number of epochs chosen by the best validation score at epochs 1, 2, 3, 5, 8, 12, 18, 27, …
 * ({@link #scored}); a configuration stops training at the first of those that does not improve
 * on its best (early stopping: the scored epochs are spaced ever wider). The learning rates and
 * epochs span both mild steps and the strong ones of a 30-epoch, 0.05 learning-rate adapter, so the
 * validation slice, not a default, decides how far a window's clicks move the model.
 *
 * <p>In: fitting triples and validation queries (split by query with {@link QuerySplit}, so no
 * validation query was trained on), the documents of the window as a small corpus, and the live
 * model. Out: a {@link Choice}: the chosen options and epochs and the validation figures of the
 * choice and of the live model. The validation score is nDCG@10 (binary gain: the query's clicked
 * documents are relevant) of each validation query against every document of the window, which,
 * unlike the gate's rank among the clicked page, also sees relevant documents rise from below the
 * top ten.
 */
public final class Tuning {

    private static final Logger LOG = LoggerFactory.getLogger(Tuning.class);

    /**
     * What the search tries.
     *
     * @param validationFraction fraction of the training examples (whole queries, the most recent)
     *     held out for validation, in (0, 1)
     * @param minValidation fewest validation examples; with fewer, the configured options are used as they are
     * @param temperatures softmax temperatures tried
     * @param lambdas identity pulls tried
     * @param learningRates Adam learning rates tried
     * @param maxEpochs most epochs; the best epoch count up to it is chosen
     * @param warmStart also try starting from the live adapter
     * @param maxExamples most fitting examples the search trains each configuration on: a larger
     *     window is sampled down to this many (a fixed seed) and the chosen epoch count scaled to as
     *     many optimiser steps on the whole window, so the search costs the same however large the
     *     window grows
     * @param minValidationQueries fewest validation queries (at most half of the window's): queries
     *     are held out until there are this many, however many examples each has. The search ranks
     *     settings by validation nDCG@10 averaged over queries; per-query differences between two
     *     settings spread by about 0.15–0.2, so over 11 queries (Cranfield under repeated traffic, by
     *     the fraction alone) a setting's mean is uncertain by ±0.05, more than the gains chosen
     *     between, and over 30 by about ±0.03
     */
    public record Options(double validationFraction, int minValidation, List<Double> temperatures,
            List<Double> lambdas, List<Double> learningRates, int maxEpochs, boolean warmStart, int maxExamples,
            int minValidationQueries) {

        /** Without a cap on the examples searched. */
        public Options(double validationFraction, int minValidation, List<Double> temperatures, List<Double> lambdas,
                List<Double> learningRates, int maxEpochs, boolean warmStart) {
            this(validationFraction, minValidation, temperatures, lambdas, learningRates, maxEpochs, warmStart,
                    Integer.MAX_VALUE);
        }

        /** Without a least number of validation queries beyond one. */
        public Options(double validationFraction, int minValidation, List<Double> temperatures, List<Double> lambdas,
                List<Double> learningRates, int maxEpochs, boolean warmStart, int maxExamples) {
            this(validationFraction, minValidation, temperatures, lambdas, learningRates, maxEpochs, warmStart,
                    maxExamples, 1);
        }

        public Options {
            if (maxExamples < 1) {
                throw new IllegalArgumentException("maxExamples must be positive, was " + maxExamples);
            }
            if (minValidationQueries < 1) {
                throw new IllegalArgumentException("minValidationQueries must be positive, was " + minValidationQueries);
            }
            if (!(validationFraction > 0 && validationFraction < 1)) {
                throw new IllegalArgumentException("validationFraction must be in (0, 1), was " + validationFraction);
            }
            if (minValidation < 1 || maxEpochs < 1) {
                throw new IllegalArgumentException("minValidation and maxEpochs must be positive");
            }
            temperatures = List.copyOf(temperatures);
            lambdas = List.copyOf(lambdas);
            learningRates = List.copyOf(learningRates);
            if (temperatures.isEmpty() || lambdas.isEmpty() || learningRates.isEmpty()) {
                throw new IllegalArgumentException("every searched list needs at least one value");
            }
        }

        /**
         * The number of trainings one search runs: every learning rate with every lambda, then the
         * other temperatures, then (with a live adapter) the warm start.
         */
        public int configurations() {
            return learningRates.size() * lambdas.size() + temperatures.size() - 1 + (warmStart ? 1 : 0);
        }
    }

    /**
     * The chosen settings.
     *
     * @param options the trainer options to train the candidate with (epochs included)
     * @param warmStart whether to start from the live adapter
     * @param validationNdcg the choice's validation nDCG@10
     * @param liveValidationNdcg the live model's on the same queries
     * @param untrainedValidationNdcg the identity's (no adapter trained: the cold start) on the same queries
     * @param fitExamples examples trained on during the search
     * @param validationExamples validation examples
     * @param validationQueries validation queries
     * @param tried configurations tried
     * @param millis time the search took
     * @param searched false when there was too little data to search (the configured options are kept)
     */
    public record Choice(AdapterTrainer.Options options, boolean warmStart, double validationNdcg,
            double liveValidationNdcg, int fitExamples, int validationExamples, int validationQueries, int tried,
            long millis, boolean searched, double untrainedValidationNdcg) {

        public Choice(AdapterTrainer.Options options, boolean warmStart, double validationNdcg, double liveValidationNdcg,
                int fitExamples, int validationExamples, int validationQueries, int tried, long millis, boolean searched) {
            this(options, warmStart, validationNdcg, liveValidationNdcg, fitExamples, validationExamples,
                    validationQueries, tried, millis, searched, Double.NaN);
        }

        /**
         * How much the chosen settings gain over training nothing (the identity) on validation queries
         * the search never trained on; NaN when there was no search.
         */
        public double gainOverUntrained() {
            return searched ? validationNdcg - untrainedValidationNdcg : Double.NaN;
        }

        /** For model.json and model-updates. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("searched", searched);
            m.put("temperature", options.temperature());
            m.put("lambda", options.lambda());
            m.put("learning_rate", options.learningRate());
            m.put("epochs", options.epochs());
            m.put("warm_start", warmStart);
            if (searched) {
                m.put("validation_ndcg10", validationNdcg);
                m.put("live_validation_ndcg10", liveValidationNdcg);
                m.put("untrained_validation_ndcg10", untrainedValidationNdcg);
                m.put("fit_examples", fitExamples);
                m.put("validation_examples", validationExamples);
                m.put("validation_queries", validationQueries);
                m.put("configurations", tried);
                m.put("search_ms", millis);
            }
            return m;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "tau=%s lambda=%s lr=%s epochs=%d %s start%s", options.temperature(),
                    options.lambda(), options.learningRate(), options.epochs(), warmStart ? "warm" : "cold",
                    searched ? String.format(Locale.ROOT, ", validation nDCG@10 %.4f (live %.4f, untrained %.4f) on %d queries",
                            validationNdcg, liveValidationNdcg, untrainedValidationNdcg, validationQueries)
                            : " (not searched)");
        }
    }

    /**
     * Validation data: one entry per validation query, its query vector and the keys of its relevant
     * (clicked) documents in {@code corpus}.
     */
    public record ValidationQuery(float[] query, Set<String> relevant, Set<String> judged) {
        /** Ranked against the whole corpus. */
        public ValidationQuery(float[] query, Set<String> relevant) {
            this(query, relevant, null);
        }
    }

    /** Scored epochs in a row without a better validation score after which a configuration stops training. */
    static final int PATIENCE = 1;

    private final Options options;

    public Tuning(Options options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    public Options options() {
        return options;
    }

    /**
     * Runs the search.
     *
     * @param base the configured trainer options (loss, mode, batch size, seed are kept)
     * @param fit triples to train on
     * @param validation the validation queries
     * @param corpus document key → vector as the candidate sees it before its adapter (base vectors
     *     when symmetric, the live documents when query-only)
     * @param live the live model's query adapter and its documents, for the baseline figure
     * @param liveDocs document key → vector as the live model serves it
     * @param warm the live adapter to warm-start from (null: cold start only)
     */
    public Choice choose(AdapterTrainer.Options base, List<TrainingTriple> fit, List<ValidationQuery> validation,
            Map<String, float[]> corpus, LinearAdapter live, Map<String, float[]> liveDocs, LinearAdapter warm,
            int validationExamples) {
        long t0 = System.nanoTime();
        int dim = live.dim();
        String[] keys = corpus.keySet().toArray(new String[0]);
        double liveScore = ndcg(live, validation, keys, liveDocs, false);
        double untrained = ndcg(LinearAdapter.identity(dim).withMode(base.mode()), validation, keys, corpus, true);
        List<TrainingTriple> searched = sample(fit, options.maxExamples(), base.seed());
        Search search = new Search(base, searched, validation, keys, corpus);
        // learning rate and identity pull together (how far training moves and how hard it is held
        // back only make sense as a pair), then the temperature at the best pair, then the warm start
        double t0Temperature = options.temperatures().get(0);
        for (double lr : options.learningRates()) {
            for (double l : options.lambdas()) {
                search.run(t0Temperature, l, lr, null, dim);
            }
        }
        for (double t : options.temperatures().subList(1, options.temperatures().size())) {
            search.run(t, search.best.lambda(), search.best.learningRate(), null, dim);
        }
        if (options.warmStart() && warm != null) {
            search.run(search.best.temperature(), search.best.lambda(), search.best.learningRate(), warm, dim);
        }
        AdapterTrainer.Options best = search.bestScore == Double.NEGATIVE_INFINITY ? base : search.best;
        if (searched.size() < fit.size()) {
            // as many optimiser steps on the whole window as the chosen epochs took on the sample
            best = best.withEpochs(stepMatchedEpochs(best.epochs(), searched.size(), fit.size(), base.batchSize()));
            LOG.info("settings searched on {} of {} fitting examples (train.search.max-examples); {} epochs on"
                    + " the sample are {} on all of them", searched.size(), fit.size(), search.best.epochs(), best.epochs());
        }
        return new Choice(best, search.bestWarm, search.bestScore, liveScore, searched.size(), validationExamples,
                validation.size(), search.tried, (System.nanoTime() - t0) / 1_000_000, true, untrained);
    }

    /**
     * {@code fit} when it has at most {@code max} examples, else {@code max} of them drawn with a
     * fixed seed (in their order).
     */
    static List<TrainingTriple> sample(List<TrainingTriple> fit, int max, long seed) {
        if (fit.size() <= max) {
            return fit;
        }
        int[] idx = IntStream.range(0, fit.size()).toArray();
        Random rnd = new Random(seed);
        for (int i = 0; i < max; i++) {
            int j = i + rnd.nextInt(idx.length - i);
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        int[] chosen = Arrays.copyOf(idx, max);
        Arrays.sort(chosen);
        List<TrainingTriple> out = new ArrayList<>(max);
        for (int i : chosen) {
            out.add(fit.get(i));
        }
        return out;
    }

    /**
     * The epochs on {@code full} examples that take as many batches of {@code batch} as
     * {@code epochs} on {@code sampled}; at least 1.
     */
    static int stepMatchedEpochs(int epochs, int sampled, int full, int batch) {
        long steps = (long) epochs * ((sampled + batch - 1) / batch);
        long perEpoch = (full + batch - 1) / batch;
        return (int) Math.max(1, Math.round((double) steps / perEpoch));
    }

    /** The configurations tried so far and the best of them. */
    private final class Search {
        private final AdapterTrainer.Options base;
        private final List<TrainingTriple> fit;
        private final List<ValidationQuery> validation;
        private final String[] keys;
        private final Map<String, float[]> corpus;
        AdapterTrainer.Options best;
        double bestScore = Double.NEGATIVE_INFINITY;
        boolean bestWarm;
        int tried;

        Search(AdapterTrainer.Options base, List<TrainingTriple> fit, List<ValidationQuery> validation, String[] keys,
                Map<String, float[]> corpus) {
            this.base = base;
            this.fit = fit;
            this.validation = validation;
            this.keys = keys;
            this.corpus = corpus;
            this.best = base;
        }

        /**
         * Trains one configuration (from {@code warm}, or the identity when null), scoring it at the
         * scheduled epochs.
         */
        void run(double temperature, double lambda, double learningRate, LinearAdapter warm, int dim) {
            AdapterTrainer.Options o = base.withTemperature(temperature).withLambda(lambda)
                    .withLearningRate(learningRate).withEpochs(options.maxEpochs());
            LinearAdapter start = warm != null ? warm.withMode(base.mode()) : LinearAdapter.identity(dim);
            double[] perEpoch = new double[options.maxEpochs() + 1];
            Arrays.fill(perEpoch, Double.NEGATIVE_INFINITY);
            double[] configBest = {Double.NEGATIVE_INFINITY};
            int[] worse = {0};
            new AdapterTrainer(o).train(start, fit, (epoch, a) -> {
                if (!scored(epoch, options.maxEpochs())) {
                    return true;
                }
                double score = ndcg(a, validation, keys, corpus, true);
                perEpoch[epoch] = score;
                if (score > configBest[0] + 1e-9) {
                    configBest[0] = score;
                    worse[0] = 0;
                } else {
                    worse[0]++;
                }
                // early stopping: no better validation score at the last PATIENCE scored epochs
                return worse[0] < PATIENCE;
            });
            tried++;
            for (int e = 1; e <= options.maxEpochs(); e++) {
                // strictly better: on ties the fewer epochs (and the earlier, simpler configuration) win
                if (perEpoch[e] > bestScore + 1e-9) {
                    bestScore = perEpoch[e];
                    best = o.withEpochs(e);
                    bestWarm = warm != null;
                }
            }
        }
    }

    /**
     * Mean nDCG@10 (binary gain) of the validation queries against {@code corpus} under {@code model};
     * documents get the model's document transform when {@code transformDocs} (the candidate's own
     * view), or are used as they are (already the served vectors).
     */
    static double ndcg(LinearAdapter model, List<ValidationQuery> validation, String[] keys,
            Map<String, float[]> corpus, boolean transformDocs) {
        if (validation.isEmpty()) {
            return 0;
        }
        int n = keys.length;
        int dim = model.dim();
        // the documents as the model serves them, stored by dimension (docsT[c·n + i]) so that each
        // query's scores are column updates the JIT vectorises, as in the trainer's forward pass
        float[] docsT = new float[dim * n];
        float[] wt = transformDocs && model.mode() == AdapterMode.SYMMETRIC ? transposed(model) : null;
        IntStream.range(0, n).parallel().forEach(i -> {
            float[] d = corpus.get(keys[i]);
            float[] v = wt != null ? apply(wt, dim, d, model.normalizes()) : transformDocs ? model.applyDocument(d) : d;
            for (int c = 0; c < dim; c++) {
                docsT[c * n + i] = v[c];
            }
        });
        double sum = IntStream.range(0, validation.size()).parallel().mapToDouble(j -> {
            ValidationQuery v = validation.get(j);
            float[] q = model.applyQuery(v.query());
            float[] acc = new float[n];
            for (int c = 0; c < dim; c++) {
                float x = q[c];
                int at = c * n;
                for (int i = 0; i < n; i++) {
                    acc[i] += x * docsT[at + i];
                }
            }
            double[] scores = new double[n];
            for (int i = 0; i < n; i++) {
                // condensed list: documents shown for another query but not for this one are unjudged here
                scores[i] = v.judged() == null || v.judged().contains(keys[i]) || otherRelevant(validation, v, keys[i])
                        ? acc[i] : Double.NEGATIVE_INFINITY;
            }
            return ndcgAt10(scores, keys, v.relevant());
        }).sum();
        return sum / validation.size();
    }

    /**
     * Whether the search scores the validation slice after {@code epoch}: at epochs 1, 2, 3, 5, 8,
     * 12, 18, 27, … (each about half again the last) and at {@code maxEpochs}, so that a long search
     * costs few scorings and its epoch counts are spaced as finely as they matter.
     */
    static boolean scored(int epoch, int maxEpochs) {
        if (epoch == maxEpochs) {
            return true;
        }
        for (int e = 1; e <= epoch; e = Math.max(e + 1, (int) Math.round(e * 1.5))) {
            if (e == epoch) {
                return true;
            }
        }
        return false;
    }

    /** Wᵀ of {@code model}, row-major: {@code wt[c·dim + r] = W[r, c]}. */
    private static float[] transposed(LinearAdapter model) {
        int dim = model.dim();
        float[] w = model.weights();
        float[] wt = new float[w.length];
        for (int r = 0; r < dim; r++) {
            for (int c = 0; c < dim; c++) {
                wt[c * dim + r] = w[r * dim + c];
            }
        }
        return wt;
    }

    /** {@code W v} from Wᵀ as column updates, L2-normalised when {@code normalize} (a zero result stays zero). */
    private static float[] apply(float[] wt, int dim, float[] v, boolean normalize) {
        float[] out = new float[dim];
        for (int c = 0; c < dim; c++) {
            float x = v[c];
            if (x == 0) {
                continue;
            }
            int at = c * dim;
            for (int r = 0; r < dim; r++) {
                out[r] += x * wt[at + r];
            }
        }
        if (normalize) {
            double n2 = 0;
            for (float f : out) {
                n2 += (double) f * f;
            }
            if (n2 > 0) {
                float inv = (float) (1 / Math.sqrt(n2));
                for (int r = 0; r < dim; r++) {
                    out[r] *= inv;
                }
            }
        }
        return out;
    }

    private static boolean otherRelevant(List<ValidationQuery> validation, ValidationQuery self, String key) {
        for (ValidationQuery o : validation) {
            if (o != self && o.relevant().contains(key)) {
                return true;
            }
        }
        return false;
    }

    /** nDCG@10 with binary gain; ties with a relevant document count against it (ordered after it). */
    static double ndcgAt10(double[] scores, String[] keys, Set<String> relevant) {
        int k = Math.min(10, scores.length);
        // partial selection of the top k, irrelevant first among equals
        boolean[] taken = new boolean[scores.length];
        double dcg = 0;
        for (int r = 0; r < k; r++) {
            int bestI = -1;
            for (int i = 0; i < scores.length; i++) {
                if (taken[i]) {
                    continue;
                }
                if (bestI < 0 || scores[i] > scores[bestI]
                        || (scores[i] == scores[bestI] && !relevant.contains(keys[i]) && relevant.contains(keys[bestI]))) {
                    bestI = i;
                }
            }
            taken[bestI] = true;
            if (relevant.contains(keys[bestI])) {
                dcg += 1.0 / (Math.log(r + 2) / Math.log(2));
            }
        }
        double idcg = 0;
        int rel = (int) Arrays.stream(keys).filter(relevant::contains).count();
        for (int r = 0; r < Math.min(k, rel); r++) {
            idcg += 1.0 / (Math.log(r + 2) / Math.log(2));
        }
        return idcg == 0 ? 0 : dcg / idcg;
    }

}
