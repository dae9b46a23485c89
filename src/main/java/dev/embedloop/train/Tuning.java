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
 * <p><b>Averaged members.</b> The validation slice is small, so which of several close
 * configurations scores best is partly chance, and candidates trained on the same clicks then
 * differ by 0.02–0.03 nDCG@10 with the draw. The candidate is therefore the average of the adapters
 * of the {@code averageTop} best configurations (a uniform "model soup": Wortsman et al., ICML 2022),
 * each trained with its own settings and start ({@link Choice#train}); the adapters are linear maps
 * near the identity, so their average is one. Its validation figure is the average's, of the
 * members as the search trained them.
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
     * @param averageTop how many of the best configurations the candidate averages (1: the best alone)
     * @param minValidationQueries fewest validation queries (at most half of the window's): queries
     *     are held out until there are this many, however many examples each has. The search ranks
     *     settings by validation nDCG@10 averaged over queries; per-query differences between two
     *     settings spread by about 0.15–0.2, so over 11 queries (Cranfield under repeated traffic, by
     *     the fraction alone) a setting's mean is uncertain by ±0.05, more than the gains chosen
     *     between, and over 30 by about ±0.03
     */
    public record Options(double validationFraction, int minValidation, List<Double> temperatures,
            List<Double> lambdas, List<Double> learningRates, int maxEpochs, boolean warmStart, int maxExamples,
            int minValidationQueries, int averageTop) {

        /** The best configuration alone. */
        public Options(double validationFraction, int minValidation, List<Double> temperatures, List<Double> lambdas,
                List<Double> learningRates, int maxEpochs, boolean warmStart, int maxExamples, int minValidationQueries) {
            this(validationFraction, minValidation, temperatures, lambdas, learningRates, maxEpochs, warmStart,
                    maxExamples, minValidationQueries, 1);
        }

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
            if (averageTop < 1) {
                throw new IllegalArgumentException("averageTop must be positive, was " + averageTop);
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
     * One configuration the candidate is trained with.
     *
     * @param options its trainer options (epochs included)
     * @param warmStart whether it starts from the live adapter (else from the identity)
     * @param validationNdcg its own validation nDCG@10 (NaN when nothing was searched)
     */
    public record Member(AdapterTrainer.Options options, boolean warmStart, double validationNdcg) {
        public Member {
            Objects.requireNonNull(options, "options");
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            putSettings(m, options, warmStart);
            if (!Double.isNaN(validationNdcg)) {
                m.put("validation_ndcg10", validationNdcg);
            }
            return m;
        }
    }

    /**
     * The chosen settings.
     *
     * @param options the best configuration's trainer options (epochs included)
     * @param warmStart whether the best configuration starts from the live adapter
     * @param validationNdcg the candidate's validation nDCG@10 (of the members' average)
     * @param liveValidationNdcg the live model's on the same queries
     * @param untrainedValidationNdcg the identity's (no adapter trained: the cold start) on the same queries
     * @param fitExamples examples trained on during the search
     * @param validationExamples validation examples
     * @param validationQueries validation queries
     * @param tried configurations tried
     * @param millis time the search took
     * @param searched false when there was too little data to search (the configured options are kept)
     * @param members the configurations the candidate averages, best first (the best alone when
     *     {@code averageTop} is 1 or nothing was searched)
     */
    public record Choice(AdapterTrainer.Options options, boolean warmStart, double validationNdcg,
            double liveValidationNdcg, int fitExamples, int validationExamples, int validationQueries, int tried,
            long millis, boolean searched, double untrainedValidationNdcg, List<Member> members) {

        public Choice {
            Objects.requireNonNull(options, "options");
            members = members == null || members.isEmpty() ? List.of(new Member(options, warmStart, validationNdcg))
                    : List.copyOf(members);
        }

        public Choice(AdapterTrainer.Options options, boolean warmStart, double validationNdcg, double liveValidationNdcg,
                int fitExamples, int validationExamples, int validationQueries, int tried, long millis, boolean searched) {
            this(options, warmStart, validationNdcg, liveValidationNdcg, fitExamples, validationExamples,
                    validationQueries, tried, millis, searched, Double.NaN, List.of());
        }

        /**
         * Trains the candidate on {@code triples}: every member with its own options from its start
         * ({@code warm}, or the identity when it is null or the member starts cold), and the average
         * of their adapters (a single member's adapter as it is).
         *
         * @return the candidate; the epoch losses are the best member's, the steps all members'
         */
        public AdapterTrainer.Result train(int dim, LinearAdapter warm, List<TrainingTriple> triples) {
            List<LinearAdapter> adapters = new ArrayList<>(members.size());
            List<Double> losses = null;
            int steps = 0;
            for (Member m : members) {
                AdapterTrainer.Result r = new AdapterTrainer(m.options()).train(start(m, dim, warm), triples);
                adapters.add(r.adapter());
                losses = losses == null ? r.epochLosses() : losses;
                steps += r.steps();
            }
            return new AdapterTrainer.Result(average(adapters), losses, steps);
        }

        /**
         * The candidate's starting point: its members' starts ({@link #train}), averaged as the
         * members are.
         */
        public LinearAdapter start(int dim, LinearAdapter warm) {
            return average(members.stream().map(m -> start(m, dim, warm)).toList());
        }

        /**
         * Where {@code m} starts: the live adapter's weights when it starts warm and there is one,
         * else the identity; in the member's mode, normalising as every trained adapter does.
         */
        private static LinearAdapter start(Member m, int dim, LinearAdapter warm) {
            return m.warmStart() && warm != null ? LinearAdapter.of(dim, warm.weights(), m.options().mode(), true)
                    : LinearAdapter.identity(dim).withMode(m.options().mode());
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
            putSettings(m, options, warmStart);
            if (searched) {
                m.put("validation_ndcg10", validationNdcg);
                m.put("live_validation_ndcg10", liveValidationNdcg);
                m.put("untrained_validation_ndcg10", untrainedValidationNdcg);
                m.put("fit_examples", fitExamples);
                m.put("validation_examples", validationExamples);
                m.put("validation_queries", validationQueries);
                m.put("configurations", tried);
                m.put("search_ms", millis);
                if (members.size() > 1) {
                    m.put("averaged", members.stream().map(Member::toMap).toList());
                }
            }
            return m;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "tau=%s lambda=%s lr=%s epochs=%d %s start%s%s", options.temperature(),
                    options.lambda(), options.learningRate(), options.epochs(), warmStart ? "warm" : "cold",
                    members.size() > 1 ? " averaged with " + (members.size() - 1) + " more" : "",
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
            AdapterTrainer.Options best = search.best();
            search.run(t, best.lambda(), best.learningRate(), null, dim);
        }
        if (options.warmStart() && warm != null) {
            AdapterTrainer.Options best = search.best();
            search.run(best.temperature(), best.lambda(), best.learningRate(), warm, dim);
        }
        if (search.runs.isEmpty()) {
            return new Choice(base, false, Double.NEGATIVE_INFINITY, liveScore, searched.size(), validationExamples,
                    validation.size(), search.tried, (System.nanoTime() - t0) / 1_000_000, true, untrained, List.of());
        }
        // the best configurations, best first (on equal scores the earlier, simpler one)
        List<Run> top = search.runs.stream().sorted(java.util.Comparator.comparingDouble(Run::score).reversed())
                .limit(options.averageTop()).toList();
        double score = top.size() == 1 ? top.get(0).score()
                : ndcg(average(top.stream().map(Run::adapter).toList()), validation, keys, corpus, true);
        List<Member> members = new ArrayList<>(top.size());
        for (Run r : top) {
            AdapterTrainer.Options o = r.options();
            if (searched.size() < fit.size()) {
                // as many optimiser steps on the whole window as the chosen epochs took on the sample
                o = o.withEpochs(stepMatchedEpochs(o.epochs(), searched.size(), fit.size(), base.batchSize()));
            }
            members.add(new Member(o, r.warm(), r.score()));
        }
        if (searched.size() < fit.size()) {
            LOG.info("settings searched on {} of {} fitting examples (train.search.max-examples); {} epochs on"
                    + " the sample are {} on all of them", searched.size(), fit.size(), top.get(0).options().epochs(),
                    members.get(0).options().epochs());
        }
        return new Choice(members.get(0).options(), members.get(0).warmStart(), score, liveScore, searched.size(),
                validationExamples, validation.size(), search.tried, (System.nanoTime() - t0) / 1_000_000, true,
                untrained, members);
    }

    /** A configuration's settings, as model.json and model-updates name them. */
    private static void putSettings(Map<String, Object> m, AdapterTrainer.Options options, boolean warmStart) {
        m.put("temperature", options.temperature());
        m.put("lambda", options.lambda());
        m.put("learning_rate", options.learningRate());
        m.put("epochs", options.epochs());
        m.put("warm_start", warmStart);
    }

    /**
     * The mean of {@code adapters}' weights, in the first one's mode and normalisation (one adapter:
     * itself).
     *
     * @throws IllegalArgumentException when they differ in dimension, mode or normalisation
     */
    static LinearAdapter average(List<LinearAdapter> adapters) {
        LinearAdapter first = adapters.get(0);
        if (adapters.size() == 1) {
            return first;
        }
        double[] w = new double[first.dim() * first.dim()];
        for (LinearAdapter a : adapters) {
            if (a.dim() != first.dim() || a.mode() != first.mode() || a.normalizes() != first.normalizes()) {
                throw new IllegalArgumentException("cannot average " + a + " with " + first);
            }
            float[] x = a.weights();
            for (int i = 0; i < w.length; i++) {
                w[i] += x[i];
            }
        }
        for (int i = 0; i < w.length; i++) {
            w[i] /= adapters.size();
        }
        return LinearAdapter.ofDoubles(first.dim(), w, first.mode(), first.normalizes());
    }

    /** One configuration the search trained: its options at its best scored epoch, that score and that adapter. */
    private record Run(AdapterTrainer.Options options, boolean warm, double score, LinearAdapter adapter) {}

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
        final List<Run> runs = new ArrayList<>();
        int tried;

        Search(AdapterTrainer.Options base, List<TrainingTriple> fit, List<ValidationQuery> validation, String[] keys,
                Map<String, float[]> corpus) {
            this.base = base;
            this.fit = fit;
            this.validation = validation;
            this.keys = keys;
            this.corpus = corpus;
        }

        /**
         * The best configuration so far (strictly better: on ties the earlier, simpler one), the
         * configured options before any.
         */
        AdapterTrainer.Options best() {
            AdapterTrainer.Options best = base;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (Run r : runs) {
                if (r.score() > bestScore + 1e-9) {
                    bestScore = r.score();
                    best = r.options();
                }
            }
            return best;
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
            LinearAdapter[] configAdapter = {null};
            int[] worse = {0};
            new AdapterTrainer(o).train(start, fit, (epoch, a) -> {
                if (!scored(epoch, options.maxEpochs())) {
                    return true;
                }
                double score = ndcg(a, validation, keys, corpus, true);
                perEpoch[epoch] = score;
                if (score > configBest[0] + 1e-9) {
                    configBest[0] = score;
                    configAdapter[0] = a;
                    worse[0] = 0;
                } else {
                    worse[0]++;
                }
                // early stopping: no better validation score at the last PATIENCE scored epochs
                return worse[0] < PATIENCE;
            });
            tried++;
            int configEpochs = 0;
            for (int e = 1; e <= options.maxEpochs(); e++) {
                // strictly better: on ties the fewer epochs win
                if (configEpochs == 0 || perEpoch[e] > perEpoch[configEpochs] + 1e-9) {
                    configEpochs = perEpoch[e] == Double.NEGATIVE_INFINITY ? configEpochs : e;
                }
            }
            if (configEpochs == 0) {
                return;
            }
            runs.add(new Run(o.withEpochs(configEpochs), warm != null, perEpoch[configEpochs], configAdapter[0]));
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
