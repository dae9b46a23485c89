package dev.embedloop.eval;

import dev.embedloop.encode.BundledModels;
import dev.embedloop.encode.DjlOnnxEncoder;
import dev.embedloop.encode.EncoderOptions;
import dev.embedloop.encode.ModelDirectory;
import dev.embedloop.model.AdapterMode;
import dev.embedloop.model.LinearAdapter;
import dev.embedloop.train.AdapterTrainer;
import dev.embedloop.train.TrainingTriple;
import dev.embedloop.train.Tuning;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A developer tool (not a test): the retraining loop offline, on a BEIR dataset, to choose the
 * trainer's defaults quickly. Base embeddings of the corpus and queries are computed once and
 * cached in a file; clicks are simulated on the base ranking of the click split's queries with the
 * eval's {@link ClickModel}; examples are paired skip-above as the feedback topology does; an
 * adapter is trained and the evaluation split's nDCG@10 is computed by exact search.
 *
 * <pre>
 *   java -cp target/test-classes:target/classes:$(cat cp.txt) dev.embedloop.eval.AdapterTuning \
 *     ../shared/datasets/cranfield/beir /tmp/cranfield-emb.bin
 * </pre>
 */
public final class AdapterTuning {

    private AdapterTuning() {}

    /** Query ids in an order random with respect to content: held back or split into folds by it. */
    private static final java.util.Comparator<String> BY_HASH =
            java.util.Comparator.comparingInt(id -> Integer.reverse(id.hashCode()));

    /** Examples per training step: property batch, the trainer's default without it. */
    private static int batchSize() {
        return Integer.getInteger("batch", AdapterTrainer.Options.defaults().batchSize());
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Path cache = Path.of(args[1]);
        String model = args.length > 2 ? args[2] : BundledModels.MINILM;
        BeirDataset data = BeirDataset.load(dir);
        Map<String, float[]> docs = new LinkedHashMap<>();
        Map<String, float[]> queries = new LinkedHashMap<>();
        embeddings(data, model, cache, docs, queries);
        Qrels train = data.qrels("train");
        Qrels test = data.qrels("test");
        System.out.printf(Locale.ROOT, "base: test nDCG@10 exp %.4f lin %.4f%n", ndcg(docs, queries, test, null, Metrics.Gain.EXPONENTIAL),
                ndcg(docs, queries, test, null, Metrics.Gain.LINEAR));
        ClickModel clickModel = new ClickModel(ClickModel.DEFAULT_ETA, ClickModel.DEFAULT_DWELL_MS);
        int rounds = Integer.parseInt(System.getProperty("rounds", "3"));
        boolean dedup = Boolean.parseBoolean(System.getProperty("dedup", "true"));
        List<TrainingTriple> all = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int round = 1; round <= rounds; round++) {
            all.addAll(examples(docs, queries, train, clickModel, round, 5, dedup ? seen : null));
        }
        System.out.println("examples (" + rounds + " rounds, base ranking, dedup " + dedup + "): " + all.size());
        if (Boolean.getBoolean("interleave")) {
            // trainOn=test: a candidate fitted on the evaluated queries' own clicks, a clearly better one (in-sample);
            // interleaveOn=train: fitted and interleaved on disjoint train queries, the test split unused
            List<TrainingTriple> fit = all;
            if ("test".equals(System.getProperty("trainOn"))) {
                fit = new ArrayList<>();
                java.util.Set<String> seenTest = new java.util.HashSet<>();
                for (int round = 1; round <= rounds; round++) {
                    fit.addAll(examples(docs, queries, test, clickModel, round, 5, seenTest));
                }
            }
            Qrels on = test;
            if ("train".equals(System.getProperty("interleaveOn"))) {
                // train queries only: clicks of the first two thirds fit the candidate, the last third (in qrels
                // order; eval holds back 50 of Cranfield's 150 alike) is interleaved
                List<String> qids = new ArrayList<>(train.queryIds());
                int cut = qids.size() * 2 / 3;
                fit = new ArrayList<>();
                java.util.Set<String> seenFit = new java.util.HashSet<>();
                for (int round = 1; round <= rounds; round++) {
                    fit.addAll(examples(docs, queries, train.restrictedTo(qids.subList(0, cut)), clickModel, round, 5,
                            seenFit));
                }
                on = train.restrictedTo(qids.subList(cut, qids.size()));
            }
            interleave(docs, queries, fit, on, clickModel);
            return;
        }
        if (Integer.getInteger("cv", 0) > 1) {
            crossValidate(docs, queries, train, test, clickModel, Integer.getInteger("cv"));
            return;
        }
        if (!Boolean.parseBoolean(System.getProperty("grid", "false"))) {
            chooseOnTrainQueries(docs, queries, train, test, clickModel, rounds, dedup);
            return;
        }
        // the grid below prints test figures for every setting: a diagnostic only, never a way to choose defaults
        double[] temps = parse(System.getProperty("temps", "0.05,0.1"));
        double[] lambdas = parse(System.getProperty("lambdas", "1e-3,1e-2,1e-1"));
        int[] epochs = java.util.Arrays.stream(parse(System.getProperty("epochs", "3,10"))).mapToInt(d -> (int) d).toArray();
        double[] lrs = parse(System.getProperty("lrs", "1e-3"));
        for (AdapterMode mode : AdapterMode.values()) {
            for (double t : temps) {
                for (double l : lambdas) {
                    for (int e : epochs) {
                        for (double lr : lrs) {
                            AdapterTrainer.Options o = AdapterTrainer.Options.defaults().withMode(mode).withTemperature(t)
                                    .withLambda(l).withEpochs(e).withLearningRate(lr)
                                    .withBatchSize(batchSize());
                            long t0 = System.nanoTime();
                            LinearAdapter w = new AdapterTrainer(o).train(docs.values().iterator().next().length, all).adapter();
                            double secs = (System.nanoTime() - t0) / 1e9;
                            System.out.printf(Locale.ROOT, "%s tau=%.2f lambda=%.0e epochs=%d lr=%.0e: nDCG@10 exp %.4f lin %.4f (%.1f s)%n",
                                    mode, t, l, e, lr, ndcg(docs, queries, test, w, Metrics.Gain.EXPONENTIAL),
                                    ndcg(docs, queries, test, w, Metrics.Gain.LINEAR), secs);
                        }
                    }
                }
            }
        }
    }

    /**
     * Settings chosen without test data: the click split's queries are split (by query, the last
     * {@code validation} fraction in qrels order) into fitting and validation queries; {@link Tuning}
     * (the trainer's own search, with the grid of the system properties or the configuration's
     * defaults) chooses on the validation queries against the whole corpus; the chosen settings (the
     * best configurations to average, property averageTop) are retrained on every click-split query
     * and the test split is scored once. The clicks: property rounds (default 3) rounds of property
     * sessions (default 5) sessions per query on the base ranking. Property heldBack (default 0): the
     * fraction of the click split's queries left out of fitting and validation, as the online gate's
     * holdback is. Property batch: examples per step (default the trainer's, 32; also for the grid).
     */
    static void chooseOnTrainQueries(Map<String, float[]> docs, Map<String, float[]> queries, Qrels train, Qrels test,
            ClickModel clickModel, int rounds, boolean dedup) {
        List<String> qids = new ArrayList<>(train.queryIds());
        double heldBack = Double.parseDouble(System.getProperty("heldBack", "0"));
        if (heldBack > 0) {
            // as the online gate's stable holdback: a fraction of the click split's queries, picked by a hash,
            // that nothing trains or validates on
            List<String> byHash = new ArrayList<>(qids);
            byHash.sort(BY_HASH);
            java.util.Set<String> held = new java.util.HashSet<>(byHash.subList(0, (int) Math.ceil(heldBack * qids.size())));
            qids.removeIf(held::contains);
            train = train.restrictedTo(qids);
        }
        int sessions = Integer.getInteger("sessions", 5);
        int nVal = (int) Math.ceil(Double.parseDouble(System.getProperty("validation", "0.2")) * qids.size());
        List<String> fitIds = qids.subList(0, qids.size() - nVal);
        List<String> valIds = qids.subList(qids.size() - nVal, qids.size());
        List<TrainingTriple> fit = new ArrayList<>();
        List<TrainingTriple> allTrain = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int round = 1; round <= rounds; round++) {
            List<TrainingTriple> r = examples(docs, queries, train.restrictedTo(fitIds), clickModel, round, sessions, dedup ? seen : null);
            fit.addAll(r);
        }
        java.util.Set<String> seenAll = new java.util.HashSet<>();
        for (int round = 1; round <= rounds; round++) {
            allTrain.addAll(examples(docs, queries, train, clickModel, round, sessions, dedup ? seenAll : null));
        }
        // validation: each validation query's clicked documents (the same click model) are its relevant set
        List<Tuning.ValidationQuery> validation = new ArrayList<>();
        java.util.Set<String> seenVal = new java.util.HashSet<>();
        for (String qid : valIds) {
            java.util.Set<String> clicked = new java.util.LinkedHashSet<>();
            List<String> shown = top(docs, queries.get(qid), null, 10);
            for (int round = 1; round <= rounds; round++) {
                for (int s = 1; s <= sessions; s++) {
                    clickModel.session(shown, train.of(qid), ClickModel.sessionRandom(42, round, qid, s))
                            .forEach(c -> clicked.add(c.docId()));
                }
            }
            if (!clicked.isEmpty() && queries.containsKey(qid)) {
                validation.add(new Tuning.ValidationQuery(queries.get(qid), clicked,
                        Boolean.getBoolean("condensed") ? new java.util.HashSet<>(shown) : null));
            }
        }
        // the trainer's own search as configured by default, each list overridable by a property
        Tuning.Options configured = dev.embedloop.train.TrainSettings.from(dev.embedloop.config.ConfigLoader.defaults())
                .tuning();
        Tuning.Options to = new Tuning.Options(0.2, 1,
                System.getProperty("temps") == null ? configured.temperatures() : list(System.getProperty("temps")),
                System.getProperty("lambdas") == null ? configured.lambdas() : list(System.getProperty("lambdas")),
                System.getProperty("lrs") == null ? configured.learningRates() : list(System.getProperty("lrs")),
                Integer.getInteger("maxEpochs", configured.maxEpochs()), false, configured.maxExamples(), 1,
                Integer.getInteger("averageTop", configured.averageTop()));
        int dim = docs.values().iterator().next().length;
        for (String m : System.getProperty("modes", "SYMMETRIC,QUERY_ONLY").split(",")) {
            AdapterMode mode = AdapterMode.valueOf(m);
            AdapterTrainer.Options base = AdapterTrainer.Options.defaults().withMode(mode)
                    .withBatchSize(batchSize());
            Tuning.Choice c = new Tuning(to).choose(base, fit, validation, docs, LinearAdapter.identity(dim), docs, null,
                    fit.size());
            System.out.printf(Locale.ROOT, "%s: chose %s in %.1f s (%d fit examples, %d validation queries)%n", mode, c,
                    c.millis() / 1000.0, fit.size(), validation.size());
            LinearAdapter w = c.train(dim, null, allTrain).adapter();
            System.out.printf(Locale.ROOT, "%s: test nDCG@10 exp %.4f lin %.4f (reported once, after choosing)%n", mode,
                    ndcg(docs, queries, test, w, Metrics.Gain.EXPONENTIAL), ndcg(docs, queries, test, w, Metrics.Gain.LINEAR));
        }
    }

    /**
     * K-fold cross-validation by query of one trainer setting on the click split: each fold's
     * queries are scored with an adapter fitted on the other folds' clicks, against their own
     * clicked documents (what a trainer can see) and against the split's judgements (what it
     * cannot): does the click-side figure see the gain that unseen queries get? The test split is
     * scored once, with the setting fitted on every click-split query. A diagnostic of the gate,
     * not a way to choose settings. Properties: cv (K), rounds (click rounds, default 1), modes,
     * tau, lambda, lr, epochs.
     */
    static void crossValidate(Map<String, float[]> docs, Map<String, float[]> queries, Qrels train, Qrels test,
            ClickModel clickModel, int k) {
        int rounds = Integer.getInteger("rounds", 1);
        List<String> qids = new ArrayList<>();
        for (String id : train.queryIds()) {
            if (queries.containsKey(id)) {
                qids.add(id);
            }
        }
        qids.sort(BY_HASH);
        Map<String, List<TrainingTriple>> byQuery = new LinkedHashMap<>();
        Map<String, Map<String, Integer>> clickedAsJudged = new HashMap<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (String qid : qids) {
            List<TrainingTriple> ex = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                ex.addAll(examples(docs, queries, train.restrictedTo(List.of(qid)), clickModel, round, 5,
                        Boolean.parseBoolean(System.getProperty("dedup", "false")) ? seen : null));
            }
            byQuery.put(qid, ex);
            Map<String, Integer> clicked = new HashMap<>();
            List<String> shown = top(docs, queries.get(qid), null, 10);
            for (int round = 1; round <= rounds; round++) {
                for (int s = 1; s <= 5; s++) {
                    clickModel.session(shown, train.of(qid), ClickModel.sessionRandom(42, round, qid, s))
                            .forEach(c -> clicked.put(c.docId(), 1));
                }
            }
            clickedAsJudged.put(qid, clicked);
        }
        int dim = docs.values().iterator().next().length;
        for (String m : System.getProperty("modes", "QUERY_ONLY,SYMMETRIC").split(",")) {
            AdapterMode mode = AdapterMode.valueOf(m);
            AdapterTrainer.Options o = optionsFromProperties(mode);
            List<Double> clickGain = new ArrayList<>();
            List<Double> judgedGain = new ArrayList<>();
            for (int f = 0; f < k; f++) {
                List<TrainingTriple> fit = new ArrayList<>();
                List<String> held = new ArrayList<>();
                for (int i = 0; i < qids.size(); i++) {
                    if (i % k == f) {
                        held.add(qids.get(i));
                    } else {
                        fit.addAll(byQuery.get(qids.get(i)));
                    }
                }
                LinearAdapter w = new AdapterTrainer(o).train(dim, fit).adapter();
                Map<String, float[]> mapped = served(docs, w);
                for (String qid : held) {
                    List<String> before = top(docs, queries.get(qid), null, 10);
                    List<String> after = top(mapped, w.applyQuery(queries.get(qid)), null, 10);
                    if (!clickedAsJudged.get(qid).isEmpty()) {
                        clickGain.add(Metrics.ndcg(10, after, clickedAsJudged.get(qid), Metrics.Gain.EXPONENTIAL)
                                - Metrics.ndcg(10, before, clickedAsJudged.get(qid), Metrics.Gain.EXPONENTIAL));
                    }
                    judgedGain.add(Metrics.ndcg(10, after, train.of(qid), Metrics.Gain.EXPONENTIAL)
                            - Metrics.ndcg(10, before, train.of(qid), Metrics.Gain.EXPONENTIAL));
                }
            }
            LinearAdapter all = new AdapterTrainer(o).train(dim, byQuery.values().stream().flatMap(List::stream).toList())
                    .adapter();
            System.out.printf(Locale.ROOT, "%s %d-fold by query, %d round(s) of clicks, %s:%n  on clicked documents: "
                    + "%+.4f over %d queries, p(gain <= 0) %.4f%n  on judgements: %+.4f over %d queries, p(gain <= 0) "
                    + "%.4f%n  test nDCG@10 exp: base %.4f, fitted on every click-split query %.4f%n", mode, k, rounds,
                    o, mean(clickGain), clickGain.size(), pNotPositive(clickGain), mean(judgedGain), judgedGain.size(),
                    pNotPositive(judgedGain), ndcg(docs, queries, test, null, Metrics.Gain.EXPONENTIAL),
                    ndcg(docs, queries, test, all, Metrics.Gain.EXPONENTIAL));
        }
    }

    /**
     * How an interleaving test sees a candidate trained on the click split's clicks: on the
     * evaluation split's queries (none trained on), simulated users see team-draft interleavings of
     * the base ranking and the candidate's, {@code sessions} per query; each impression is a win,
     * loss or tie by the teams' clicks, and each query's net is tested by sign flips, as the online
     * gate does. Reported twice: with plain team-draft (a document both rankings propose in the same
     * round goes to the team the coin sends first), and with the search service's
     * {@link dev.embedloop.search.Interleaving#teamDraft} (such a document is neutral). A diagnostic
     * of the gate's power, not a way to choose settings.
     */
    static void interleave(Map<String, float[]> docs, Map<String, float[]> queries, List<TrainingTriple> train,
            Qrels eval, ClickModel clickModel) {
        int sessions = Integer.getInteger("sessions", 5);
        int dim = docs.values().iterator().next().length;
        for (String m : System.getProperty("modes", "QUERY_ONLY,SYMMETRIC").split(",")) {
            AdapterMode mode = AdapterMode.valueOf(m);
            AdapterTrainer.Options o = optionsFromProperties(mode);
            LinearAdapter w = new AdapterTrainer(o).train(dim, train).adapter();
            Map<String, float[]> mapped = served(docs, w);
            double gain = 0;
            List<String> qids = new ArrayList<>();
            Map<String, List<String>> lives = new LinkedHashMap<>();
            Map<String, List<String>> cands = new LinkedHashMap<>();
            for (String qid : eval.queryIds()) {
                float[] q = queries.get(qid);
                if (q == null) {
                    continue;
                }
                lives.put(qid, top(docs, q, null, 10));
                cands.put(qid, top(mapped, w.applyQuery(q), null, 10));
                gain += Metrics.ndcg(10, cands.get(qid), eval.of(qid), Metrics.Gain.EXPONENTIAL)
                        - Metrics.ndcg(10, lives.get(qid), eval.of(qid), Metrics.Gain.EXPONENTIAL);
                qids.add(qid);
            }
            System.out.printf(Locale.ROOT, "%s %s: nDCG@10 exp gain %+.4f over %d queries, %d sessions each%n", mode, o,
                    gain / qids.size(), qids.size(), sessions);
            // reps: other users (coins and clicks) on the same queries and candidate; the p-value's spread
            int reps = Integer.getInteger("reps", 1);
            double[][] ps = new double[2][reps];
            for (int rep = 0; rep < reps; rep++) {
                List<Integer> nets = new ArrayList<>();
                List<Integer> netsNeutral = new ArrayList<>();
                int[] counts = new int[6];
                for (String qid : qids) {
                    int net = 0;
                    int netNeutral = 0;
                    for (int s = 1; s <= sessions; s++) {
                        // the same session's coins and clicks for both variants
                        int out = outcome(dev.embedloop.search.Interleaving.teamDraft(lives.get(qid), cands.get(qid),
                                10, x -> x, ClickModel.sessionRandom(7 + 2L * rep, 1, qid, s), false), clickModel,
                                eval.of(qid), ClickModel.sessionRandom(8 + 2L * rep, 1, qid, s));
                        int outNeutral = outcome(dev.embedloop.search.Interleaving.teamDraft(lives.get(qid),
                                cands.get(qid), 10, x -> x, ClickModel.sessionRandom(7 + 2L * rep, 1, qid, s), true),
                                clickModel, eval.of(qid), ClickModel.sessionRandom(8 + 2L * rep, 1, qid, s));
                        counts[out + 1]++;
                        counts[outNeutral + 4]++;
                        net += out;
                        netNeutral += outNeutral;
                    }
                    nets.add(net);
                    netsNeutral.add(netNeutral);
                }
                ps[0][rep] = dev.embedloop.train.OnlineGate.signFlipP(nets.stream().mapToInt(Integer::intValue).toArray());
                ps[1][rep] = dev.embedloop.train.OnlineGate.signFlipP(
                        netsNeutral.stream().mapToInt(Integer::intValue).toArray());
                if (rep == 0) {
                    report("  plain team-draft", nets, counts[2], counts[0], counts[1]);
                    report("  agreement neutral", netsNeutral, counts[5], counts[3], counts[4]);
                }
            }
            if (reps > 1) {
                String[] names = {"plain team-draft", "agreement neutral"};
                for (int v = 0; v < 2; v++) {
                    double[] sorted = ps[v].clone();
                    java.util.Arrays.sort(sorted);
                    long at05 = java.util.Arrays.stream(sorted).filter(x -> x < 0.05).count();
                    long atLook = java.util.Arrays.stream(sorted).filter(x -> x < 0.05 / 8).count();
                    System.out.printf(Locale.ROOT, "  %s over %d reps: median p %.4f, p < 0.05 in %d, p < 0.00625 in %d%n",
                            names[v], reps, sorted[reps / 2], at05, atLook);
                }
            }
        }
    }

    /** The sign of one impression's candidate clicks minus live clicks, users simulated by {@code model}. */
    private static int outcome(List<dev.embedloop.search.Interleaving.Pick<String>> picks, ClickModel model,
            Map<String, Integer> judged, java.util.random.RandomGenerator rnd) {
        List<String> shown = picks.stream().map(dev.embedloop.search.Interleaving.Pick::item).toList();
        int c = 0;
        for (ClickModel.SimulatedClick click : model.session(shown, judged, rnd)) {
            c += switch (picks.get(click.rank() - 1).team()) {
                case CANDIDATE -> 1;
                case LIVE -> -1;
                case BOTH -> 0;
            };
        }
        return Integer.signum(c);
    }

    private static void report(String label, List<Integer> nets, int wins, int losses, int ties) {
        int[] a = nets.stream().mapToInt(Integer::intValue).toArray();
        long up = nets.stream().filter(d -> d > 0).count();
        long down = nets.stream().filter(d -> d < 0).count();
        System.out.printf(Locale.ROOT, "%s: impressions won %d lost %d tied %d; queries for %d against %d; "
                + "sign-flip p %.4f, sign test p %.4f%n", label, wins, losses, ties, up, down,
                dev.embedloop.train.OnlineGate.signFlipP(a), dev.embedloop.train.OnlineGate.signTestP((int) up, (int) down));
    }

    /** The trainer options of the tau, lambda, lr and epochs properties in {@code mode}. */
    static AdapterTrainer.Options optionsFromProperties(AdapterMode mode) {
        return AdapterTrainer.Options.defaults().withMode(mode)
                .withTemperature(Double.parseDouble(System.getProperty("tau", "0.05")))
                .withLambda(Double.parseDouble(System.getProperty("lambda", "0.1")))
                .withLearningRate(Double.parseDouble(System.getProperty("lr", "0.001")))
                .withEpochs(Integer.getInteger("epochs", 5));
    }

    /** The documents as {@code w} serves them: transformed when symmetric, as they are otherwise. */
    static Map<String, float[]> served(Map<String, float[]> docs, LinearAdapter w) {
        if (w == null || w.mode() != AdapterMode.SYMMETRIC) {
            return docs;
        }
        Map<String, float[]> mapped = new HashMap<>();
        for (Map.Entry<String, float[]> e : docs.entrySet()) {
            mapped.put(e.getKey(), w.applyDocument(e.getValue()));
        }
        return mapped;
    }

    static double mean(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    /** One-sided bootstrap over queries: the share of resamples whose mean gain is not positive. */
    static double pNotPositive(List<Double> gains) {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(42);
        int n = gains.size();
        int notPositive = 0;
        int samples = 4000;
        for (int b = 0; b < samples; b++) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += gains.get(rnd.nextInt(n));
            }
            if (sum <= 0) {
                notPositive++;
            }
        }
        return (notPositive + 1.0) / (samples + 1.0);
    }

    static List<Double> list(String csv) {
        List<Double> out = new ArrayList<>();
        for (double d : parse(csv)) {
            out.add(d);
        }
        return out;
    }

    static double[] parse(String csv) {
        return java.util.Arrays.stream(csv.split(",")).mapToDouble(Double::parseDouble).toArray();
    }

    static List<TrainingTriple> examples(Map<String, float[]> docs, Map<String, float[]> queries, Qrels qrels,
            ClickModel model, int round, int sessions, java.util.Set<String> seen) {
        List<TrainingTriple> out = new ArrayList<>();
        for (String qid : qrels.queryIds()) {
            float[] q = queries.get(qid);
            if (q == null) {
                continue;
            }
            List<String> shown = top(docs, q, null, 10);
            for (int s = 1; s <= sessions; s++) {
                List<ClickModel.SimulatedClick> clicks = model.session(shown, qrels.of(qid),
                        ClickModel.sessionRandom(42, round, qid, s));
                java.util.Set<String> clicked = new java.util.HashSet<>();
                clicks.forEach(c -> clicked.add(c.docId()));
                for (ClickModel.SimulatedClick c : clicks) {
                    if (seen != null && !seen.add(qid + "\u0000" + c.docId())) {
                        continue;
                    }
                    List<float[]> negatives = new ArrayList<>();
                    for (int r = 0; r < c.rank() - 1; r++) {
                        if (!clicked.contains(shown.get(r))) {
                            negatives.add(docs.get(shown.get(r)));
                        }
                    }
                    out.add(new TrainingTriple(q, docs.get(c.docId()), negatives, Math.min(10, Math.pow(c.rank(), 0.7))));
                }
            }
        }
        return out;
    }

    static double ndcg(Map<String, float[]> docs, Map<String, float[]> queries, Qrels qrels, LinearAdapter w,
            Metrics.Gain gain) {
        Map<String, float[]> mapped = served(docs, w);
        double sum = 0;
        int n = 0;
        for (String qid : qrels.queryIds()) {
            float[] q = queries.get(qid);
            if (q == null) {
                continue;
            }
            List<String> ranking = top(mapped, w == null ? q : w.applyQuery(q), null, 10);
            sum += Metrics.ndcg(10, ranking, qrels.of(qid), gain);
            n++;
        }
        return sum / n;
    }

    static List<String> top(Map<String, float[]> docs, float[] q, Void unused, int k) {
        List<Map.Entry<String, Double>> scored = new ArrayList<>();
        double qn = norm(q);
        for (Map.Entry<String, float[]> e : docs.entrySet()) {
            double dot = 0;
            float[] d = e.getValue();
            for (int i = 0; i < d.length; i++) {
                dot += q[i] * d[i];
            }
            scored.add(Map.entry(e.getKey(), dot / (qn * norm(d))));
        }
        scored.sort((a, b) -> Double.compare(b.getValue(), a.getValue()));
        List<String> out = new ArrayList<>();
        for (int i = 0; i < Math.min(k, scored.size()); i++) {
            out.add(scored.get(i).getKey());
        }
        return out;
    }

    static double norm(float[] v) {
        double s = 0;
        for (float f : v) {
            s += f * f;
        }
        return Math.sqrt(s);
    }

    static void embeddings(BeirDataset data, String model, Path cache, Map<String, float[]> docs,
            Map<String, float[]> queries) throws IOException {
        if (Files.isRegularFile(cache)) {
            try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(cache)))) {
                read(in, docs);
                read(in, queries);
            }
            return;
        }
        ModelDirectory md = BundledModels.resolveModel(model);
        try (DjlOnnxEncoder enc = DjlOnnxEncoder.load(md, EncoderOptions.defaults())) {
            List<String> texts = new ArrayList<>();
            for (BeirDataset.Document d : data.corpus()) {
                texts.add((d.title() == null || d.title().isBlank() ? "" : d.title() + "\n") + d.text());
            }
            List<float[]> vs = enc.encodeDocuments(texts);
            for (int i = 0; i < vs.size(); i++) {
                docs.put(data.corpus().get(i).id(), vs.get(i));
            }
            data.queries().forEach((id, text) -> queries.put(id, enc.encodeQuery(text)));
        }
        try (DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(cache)))) {
            write(out, docs);
            write(out, queries);
        }
    }

    private static void write(DataOutputStream out, Map<String, float[]> m) throws IOException {
        out.writeInt(m.size());
        for (Map.Entry<String, float[]> e : m.entrySet()) {
            out.writeUTF(e.getKey());
            out.writeInt(e.getValue().length);
            for (float f : e.getValue()) {
                out.writeFloat(f);
            }
        }
    }

    private static void read(DataInputStream in, Map<String, float[]> m) throws IOException {
        int n = in.readInt();
        for (int i = 0; i < n; i++) {
            String k = in.readUTF();
            float[] v = new float[in.readInt()];
            for (int j = 0; j < v.length; j++) {
                v[j] = in.readFloat();
            }
            m.put(k, v);
        }
    }
}
