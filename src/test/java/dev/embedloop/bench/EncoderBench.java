package dev.embedloop.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.embedloop.encode.BundledModels;
import dev.embedloop.encode.DjlOnnxEncoder;
import dev.embedloop.encode.EncoderOptions;
import dev.embedloop.encode.ModelDirectory;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Sections 1 (encoder against plain ONNX Runtime and langchain4j) and 4 (quantized model).
 */
final class EncoderBench {

    static final String FP32 = BundledModels.MINILM;
    static final String INT8 = BundledModels.MINILM_Q;
    /** Window of Embedloop's encoder (model.json max_tokens). */
    static final int MAX_TOKENS = 256;
    /** What langchain4j 1.0.1-beta6 actually runs: its tokenizer keeps tokenizer.json's truncation at 128. */
    static final int LC4J_TOKENS = 128;
    /** Plain ONNX Runtime configurations carried from the search into the interleaved final rounds. */
    static final int FINALISTS = 3;
    /** The same in --quick mode, where the search is only a smoke test. */
    static final int QUICK_FINALISTS = 1;

    private final Settings settings;
    private final Dataset dataset;
    private final Machine machine;
    private final Report report;

    EncoderBench(Settings settings, Dataset dataset, Machine machine, Report report) {
        this.settings = settings;
        this.dataset = dataset;
        this.machine = machine;
        this.report = report;
    }

    /** Section 1. */
    void encoderVsBaselines() throws Exception {
        ModelDirectory dir = BundledModels.resolveModel(FP32);
        List<Dataset.Doc> sample = dataset.sample(settings.docs());
        List<String> texts = Dataset.texts(sample);
        int[] fullTokens = untruncatedTokens(dir, texts);
        long tokens256 = 0;
        for (int n : fullTokens) {
            tokens256 += Math.min(n, MAX_TOKENS);
        }
        // equal work for langchain4j: texts it encodes without cutting anything, which are also
        // untouched by Embedloop's 256-token window
        List<String> shuffledAll = Dataset.texts(dataset.sample(Integer.MAX_VALUE));
        int[] allTokens = untruncatedTokens(dir, shuffledAll);
        List<String> equal = new ArrayList<>();
        long equalTokens = 0;
        for (int i = 0; i < shuffledAll.size() && equal.size() < settings.docs(); i++) {
            if (allTokens[i] <= LC4J_TOKENS) {
                equal.add(shuffledAll.get(i));
                equalTokens += allTokens[i];
            }
        }
        if (equal.isEmpty()) {
            throw new IllegalStateException("no text of the data set fits " + LC4J_TOKENS + " tokens");
        }
        report.detail(String.format(Locale.ROOT,
                "**Corpus (section 1).** %d sampled documents of %s: %.1f tokens on average (special tokens included, "
                        + "untruncated), %d of them over 256; %.1f tokens per document after Embedloop's 256-token window. "
                        + "Equal-work set for langchain4j: %d documents of at most %d tokens (%.1f on average).",
                texts.size(), dataset.dir(), mean(fullTokens), count(fullTokens, MAX_TOKENS),
                (double) tokens256 / texts.size(), equal.size(), LC4J_TOKENS, (double) equalTokens / equal.size()));

        // 1. search the plain ONNX Runtime configurations, all of them interleaved slice by slice
        List<String> searchTexts = texts.subList(0, Math.min(texts.size(), Math.max(40, settings.docs() / 2)));
        List<List<String>> searchSlices = Rounds.slices(searchTexts, settings.quick() ? 1 : 4);
        double[] searchDocs = sizes(searchSlices);
        List<PlainOrtEncoder> grid = new ArrayList<>();
        List<PlainOrtEncoder> finalists = new ArrayList<>();
        List<String> ranked = new ArrayList<>();
        Map<String, PlainOrtEncoder> byName = new HashMap<>();
        Rounds.Times searchTimes;
        try {
            for (PlainOrtEncoder.Layout layout : PlainOrtEncoder.Layout.values()) {
                for (int batch : settings.searchGrid()) {
                    PlainOrtEncoder ort = new PlainOrtEncoder(dir.modelFile(), dir.tokenizerFile(), MAX_TOKENS,
                            new PlainOrtEncoder.Config(layout, batch, true));
                    grid.add(ort);
                    byName.put(ort.config().label(), ort);
                }
            }
            List<Rounds.Job> jobs = new ArrayList<>();
            for (PlainOrtEncoder ort : grid) {
                jobs.add(Rounds.job(ort.config().label(), k -> ort.encode(searchSlices.get(k))));
            }
            System.out.println("[bench] 1: searching " + grid.size() + " plain ONNX Runtime configurations on "
                    + searchTexts.size() + " documents in " + searchSlices.size() + " interleaved slices (load "
                    + Machine.loadAverage() + ")");
            searchTimes = Rounds.run(1, searchSlices.size(), jobs);
            for (PlainOrtEncoder ort : grid) {
                ranked.add(ort.config().label());
            }
            final Rounds.Times st = searchTimes;
            ranked.sort(Comparator.comparingDouble((String name) -> st.rate(name, searchDocs)).reversed());
            StringBuilder table = new StringBuilder();
            table.append(String.format(Locale.ROOT, "**Plain ONNX Runtime search** (%d documents in %d slices, all "
                    + "configurations interleaved; other processes used %s of the CPU meanwhile; the top %d go to the "
                    + "final rounds):%n%n", searchTexts.size(), searchSlices.size(), Report.pct(searchTimes.foreignShare),
                    finalistCount()));
            table.append("| configuration | docs/s | tokens/s | padding overhead |\n|---|---|---|---|\n");
            for (String name : ranked) {
                PlainOrtEncoder ort = byName.get(name);
                double sec = searchTexts.size() / searchTimes.rate(name, searchDocs);
                table.append("| ").append(name).append(" | ").append(Report.f1(searchTimes.rate(name, searchDocs)))
                        .append(" | ").append(Report.f0(ort.tokensRun() / sec)).append(" | ")
                        .append(Report.pct((double) ort.paddedTokensRun() / ort.tokensRun() - 1)).append(" |\n");
            }
            report.detail(table.toString().trim());
            for (String name : ranked.subList(0, Math.min(finalistCount(), ranked.size()))) {
                finalists.add(byName.get(name));
            }
        } finally {
            for (PlainOrtEncoder ort : grid) {
                if (!finalists.contains(ort)) {
                    ort.close();
                }
            }
        }

        // 2. interleaved final rounds
        int legs = settings.quick() ? 1 : Math.max(1, texts.size() / 50);
        List<List<String>> sampleSlices = Rounds.slices(texts, legs);
        List<List<String>> equalSlices = Rounds.slices(equal, legs);
        LangChain4jBaseline lc4j = null;
        SessionPerWorkerEncoder prototype = null;
        try (DjlOnnxEncoder encoder = DjlOnnxEncoder.load(dir, EncoderOptions.defaults())) {
            lc4j = new LangChain4jBaseline();
            if (!settings.quick()) {
                prototype = new SessionPerWorkerEncoder(dir, EncoderOptions.defaults());
            }
            double[] docs = sizes(sampleSlices);
            double[] tokens = tokens(dir, sampleSlices);
            double[] lc4jTokens = new double[sampleSlices.size()];
            for (int k = 0; k < lc4jTokens.length; k++) {
                lc4jTokens[k] = lc4j.tokensRun(sampleSlices.get(k));
            }
            double[] equalDocs = sizes(equalSlices);
            double[] equalTok = tokens(dir, equalSlices);
            double[] lc4jEqualTok = new double[equalSlices.size()];
            for (int k = 0; k < lc4jEqualTok.length; k++) {
                lc4jEqualTok[k] = lc4j.tokensRun(equalSlices.get(k));
            }
            checkAgreement(encoder, finalists.get(0), lc4j, prototype, texts, equal);

            final LangChain4jBaseline lc = lc4j;
            final SessionPerWorkerEncoder proto = prototype;
            List<Rounds.Job> jobs = new ArrayList<>();
            jobs.add(Rounds.job("embedloop:sample", k -> encoder.encodeDocuments(sampleSlices.get(k))));
            for (PlainOrtEncoder f : finalists) {
                jobs.add(Rounds.job("ort:" + f.config().label(), k -> f.encode(sampleSlices.get(k))));
            }
            if (proto != null) {
                jobs.add(Rounds.job("prototype:sample", k -> proto.encodeDocuments(sampleSlices.get(k))));
            }
            jobs.add(Rounds.job("lc4j:sample", k -> lc.embed(sampleSlices.get(k))));
            jobs.add(Rounds.job("embedloop:equal", k -> encoder.encodeDocuments(equalSlices.get(k % equalSlices.size()))));
            jobs.add(Rounds.job("lc4j:equal", k -> lc.embed(equalSlices.get(k % equalSlices.size()))));
            System.out.println("[bench] 1: " + settings.rounds() + " rounds × " + legs + " interleaved slices (load "
                    + Machine.loadAverage() + ")");
            Rounds.Times t = Rounds.run(settings.rounds(), sampleSlices.size(), jobs);
            // equal-work slices may be fewer than sample slices (short data sets): index them the same way
            double[] eqDocs = cycle(equalDocs, sampleSlices.size());
            double[] eqTok = cycle(equalTok, sampleSlices.size());
            double[] lcEqTok = cycle(lc4jEqualTok, sampleSlices.size());

            int n = texts.size();
            String best = null;
            double bestDocs = 0;
            for (PlainOrtEncoder f : finalists) {
                String name = "ort:" + f.config().label();
                double d = t.rate(name, docs);
                if (d > bestDocs) {
                    bestDocs = d;
                    best = name;
                }
            }
            double encDocs = t.rate("embedloop:sample", docs);
            double encTok = t.rate("embedloop:sample", tokens);
            double bestTok = t.rate(best, tokens);
            double r1a = t.ratio("embedloop:sample", docs, best, docs);
            double r1aCpu = t.cpuRatio("embedloop:sample", docs, best, docs);
            report.add(new Report.Row("1a", "Encoder throughput: Embedloop `DjlOnnxEncoder`, `EncoderOptions.defaults()`, fp32, "
                    + n + " sampled docs",
                    Report.f1(encDocs) + " docs/s · " + Report.f0(encTok) + " tokens/s",
                    "best plain ONNX Runtime (" + best.substring(4) + "): " + Report.f1(bestDocs) + " docs/s · "
                            + Report.f0(bestTok) + " tokens/s",
                    Report.f2(r1a) + " (per CPU-second: " + Report.f2(r1aCpu) + ")", "≥ 0.95", Report.met(r1a >= 0.95)));

            int m = equal.size();
            double r1b = t.ratio("embedloop:equal", eqDocs, "lc4j:equal", eqDocs);
            report.add(new Report.Row("1b", "Encoder vs langchain4j `embedAll`, equal work: " + m + " docs of ≤ "
                    + LC4J_TOKENS + " tokens (neither truncates)",
                    Report.f1(t.rate("embedloop:equal", eqDocs)) + " docs/s · "
                            + Report.f0(t.rate("embedloop:equal", eqTok)) + " tokens/s",
                    "langchain4j: " + Report.f1(t.rate("lc4j:equal", eqDocs)) + " docs/s · "
                            + Report.f0(t.rate("lc4j:equal", lcEqTok)) + " tokens/s",
                    Report.f2(r1b), "≥ 1.00", Report.met(r1b >= 1.0)));

            double r1c = t.ratio("embedloop:sample", tokens, "lc4j:sample", lc4jTokens);
            report.add(new Report.Row("1c", "Encoder vs langchain4j on the raw sample, per token encoded (Embedloop: ≤ 256 "
                    + "tokens/doc, " + Report.f0(sum(tokens)) + " in all; langchain4j: ≤ " + LC4J_TOKENS + ", "
                    + Report.f0(sum(lc4jTokens)) + ")",
                    Report.f0(encTok) + " tokens/s (" + Report.f1(encDocs) + " docs/s)",
                    "langchain4j: " + Report.f0(t.rate("lc4j:sample", lc4jTokens)) + " tokens/s ("
                            + Report.f1(t.rate("lc4j:sample", docs)) + " docs/s)",
                    Report.f2(r1c), "> 1.00", Report.met(r1c > 1.0)));

            double fracEnc = machine.fractionOfPeak(encTok);
            double fracBest = machine.fractionOfPeak(bestTok);
            report.add(new Report.Row("1d", "Share of the nominal fp32 peak implied by the encoder's tokens/s ("
                    + Machine.MFLOP_PER_TOKEN + " MFLOP/token, peak " + Report.f0(machine.peakGflops()) + " GFLOP/s)",
                    Report.pct(fracEnc) + " (" + Report.f0(encTok * Machine.MFLOP_PER_TOKEN / 1000) + " GFLOP/s)",
                    "best plain ONNX Runtime: " + Report.pct(fracBest), Report.f2(fracEnc / fracBest), "—", "—"));

            StringBuilder rounds = new StringBuilder("**Final rounds (section 1)**: " + settings.rounds() + " rounds × "
                    + sampleSlices.size() + " slices, every job interleaved slice by slice; other processes used "
                    + Report.pct(t.foreignShare) + " of the CPU meanwhile.\n\n");
            rounds.append("| job | docs/s per round | ratio to best plain ORT (median, interquartile range) |\n|---|---|---|\n");
            rounds.append("| Embedloop encoder (defaults) | ").append(t.perRound("embedloop:sample", docs, ""))
                    .append(" | ").append(Report.f2(r1a)).append(" (").append(t.ratioSpread("embedloop:sample", docs, best, docs))
                    .append(") |\n");
            for (PlainOrtEncoder f : finalists) {
                String name = "ort:" + f.config().label();
                rounds.append("| ").append(f.config().label()).append(" | ").append(t.perRound(name, docs, ""))
                        .append(" | ").append(Report.f2(t.ratio(name, docs, best, docs))).append(" |\n");
            }
            if (proto != null) {
                double rp = t.ratio("prototype:sample", docs, best, docs);
                rounds.append("| **prototype**: DJL as the encoder, but one ONNX Runtime session per worker | ")
                        .append(t.perRound("prototype:sample", docs, "")).append(" | ").append(Report.f2(rp)).append(" (")
                        .append(t.ratioSpread("prototype:sample", docs, best, docs)).append(") |\n");
                report.note("Prototype (details of section 1): the encoder's own code path (DJL predictor, translator, "
                        + "pooling) but with one ONNX Runtime session per worker instead of one session shared by both "
                        + "predictors: " + Report.f2(rp) + "× the best plain ONNX Runtime configuration, against "
                        + Report.f2(r1a) + "× for the encoder as it is.");
            }
            rounds.append("| langchain4j (≤ 128 tokens/doc) | ").append(t.perRound("lc4j:sample", docs, "")).append(" | — |\n");
            rounds.append("| Embedloop encoder, equal-work set | ").append(t.perRound("embedloop:equal", eqDocs, ""))
                    .append(" | — |\n");
            rounds.append("| langchain4j, equal-work set | ").append(t.perRound("lc4j:equal", eqDocs, "")).append(" | — |\n");
            report.detail(rounds.toString().trim());
        } finally {
            for (PlainOrtEncoder f : finalists) {
                f.close();
            }
            if (lc4j != null) {
                lc4j.close();
            }
            if (prototype != null) {
                prototype.close();
            }
        }
    }

    private int finalistCount() {
        return settings.quick() ? QUICK_FINALISTS : FINALISTS;
    }

    private static double[] sizes(List<List<String>> slices) {
        double[] out = new double[slices.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = slices.get(k).size();
        }
        return out;
    }

    /** Tokens the encoder runs per slice: special tokens included, at most {@value #MAX_TOKENS} per text. */
    private static double[] tokens(ModelDirectory dir, List<List<String>> slices) throws java.io.IOException {
        double[] out = new double[slices.size()];
        for (int k = 0; k < out.length; k++) {
            for (int n : untruncatedTokens(dir, slices.get(k))) {
                out[k] += Math.min(n, MAX_TOKENS);
            }
        }
        return out;
    }

    private static double[] cycle(double[] v, int n) {
        double[] out = new double[n];
        for (int k = 0; k < n; k++) {
            out[k] = v[k % v.length];
        }
        return out;
    }

    private static double sum(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s;
    }

    /** Section 4. */
    void quantized() throws Exception {
        List<String> texts = Dataset.texts(dataset.sample(settings.docs()));
        ModelDirectory fp32Dir = BundledModels.resolveModel(FP32);
        ModelDirectory int8Dir = BundledModels.resolveModel(INT8);
        try (DjlOnnxEncoder fp32 = DjlOnnxEncoder.load(fp32Dir, EncoderOptions.defaults());
                DjlOnnxEncoder int8 = DjlOnnxEncoder.load(int8Dir, EncoderOptions.defaults())) {
            System.out.println("[bench] 4: " + settings.rounds() + " interleaved rounds fp32 vs int8 (load "
                    + Machine.loadAverage() + ")");
            List<List<String>> slices = Rounds.slices(texts, settings.quick() ? 1 : Math.max(1, texts.size() / 50));
            double[] docs = sizes(slices);
            Rounds.Times t = Rounds.run(settings.rounds(), slices.size(), List.of(
                    Rounds.job("fp32", k -> fp32.encodeDocuments(slices.get(k))),
                    Rounds.job("int8", k -> int8.encodeDocuments(slices.get(k)))));
            int n = texts.size();
            double r = t.ratio("int8", docs, "fp32", docs);
            double rCpu = t.cpuRatio("int8", docs, "fp32", docs);
            report.add(new Report.Row("4a", "Quantized `" + INT8 + "` throughput, same encoder settings, " + n + " sampled docs",
                    Report.f1(t.rate("int8", docs)) + " docs/s",
                    "fp32 `" + FP32 + "`: " + Report.f1(t.rate("fp32", docs)) + " docs/s",
                    Report.f2(r) + " (per CPU-second: " + Report.f2(rCpu) + ")", "≥ 1.80", Report.met(r >= 1.8)));

            System.out.println("[bench] 4: nDCG@10 over the whole corpus (" + dataset.docs().size() + " docs, "
                    + dataset.qrels().size() + " judged queries)");
            Quality q32 = quality(fp32);
            Quality q8 = quality(int8);
            double diff = q8.ndcg - q32.ndcg;
            report.add(new Report.Row("4b", "Quantized nDCG@10 (linear gain, exact cosine, " + q32.queries
                    + " test queries, whole corpus)",
                    Report.f4(q8.ndcg),
                    "fp32: " + Report.f4(q32.ndcg),
                    (diff >= 0 ? "+" : "") + Report.f4(diff) + " (difference)", "loss ≤ 0.01", Report.met(diff >= -0.01)));
            report.detail(String.format(Locale.ROOT, "**Quantized model (section 4).** Per round: fp32 %s, int8 %s; other "
                            + "processes used %s of the CPU meanwhile. Whole-corpus encoding for nDCG (one pass each): "
                            + "fp32 %.1f docs/s, int8 %.1f docs/s.",
                    t.perRound("fp32", docs, "docs/s"), t.perRound("int8", docs, "docs/s"), Report.pct(t.foreignShare),
                    q32.docsPerSecond, q8.docsPerSecond));
        }
    }

    private record Quality(double ndcg, int queries, double docsPerSecond) {}

    private Quality quality(DjlOnnxEncoder encoder) {
        List<Dataset.Doc> docs = dataset.docs();
        long t0 = System.nanoTime();
        List<float[]> docVectors = encoder.encodeDocuments(Dataset.texts(docs));
        double seconds = (System.nanoTime() - t0) / 1e9;
        double sum = 0;
        int queries = 0;
        for (Map.Entry<String, Map<String, Integer>> e : dataset.qrels().entrySet()) {
            String text = dataset.queries().get(e.getKey());
            if (text == null) {
                continue;
            }
            float[] q = encoder.encodeQuery(text);
            List<String> ranking = rank(q, docs, docVectors, 10);
            sum += ndcg(ranking, e.getValue(), 10);
            queries++;
        }
        return new Quality(queries == 0 ? Double.NaN : sum / queries, queries, docs.size() / seconds);
    }

    static List<String> rank(float[] q, List<Dataset.Doc> docs, List<float[]> vectors, int k) {
        Integer[] order = new Integer[docs.size()];
        double[] score = new double[docs.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
            float[] v = vectors.get(i);
            double s = 0;
            for (int d = 0; d < q.length; d++) {
                s += q[d] * v[d];
            }
            score[i] = s;
        }
        // ties broken by document id, so a run is reproducible
        java.util.Arrays.sort(order, (a, b) -> score[a] != score[b] ? Double.compare(score[b], score[a])
                : docs.get(a).id().compareTo(docs.get(b).id()));
        List<String> out = new ArrayList<>(k);
        for (int i = 0; i < Math.min(k, order.length); i++) {
            out.add(docs.get(order[i]).id());
        }
        return out;
    }

    /** nDCG@k with linear gain (the grade), log2(rank + 1) discount; grades ≤ 0 gain nothing. */
    static double ndcg(List<String> ranking, Map<String, Integer> judged, int k) {
        double dcg = 0;
        for (int i = 0; i < Math.min(k, ranking.size()); i++) {
            int g = judged.getOrDefault(ranking.get(i), 0);
            if (g > 0) {
                dcg += g / (Math.log(i + 2) / Math.log(2));
            }
        }
        List<Integer> grades = new ArrayList<>(judged.values());
        grades.sort(Comparator.reverseOrder());
        double idcg = 0;
        for (int i = 0; i < Math.min(k, grades.size()); i++) {
            if (grades.get(i) > 0) {
                idcg += grades.get(i) / (Math.log(i + 2) / Math.log(2));
            }
        }
        return idcg == 0 ? 0 : dcg / idcg;
    }

    /** Checks that every path computes the same vectors, so the timings compare equal work. */
    private void checkAgreement(DjlOnnxEncoder encoder, PlainOrtEncoder ort, LangChain4jBaseline lc4j,
            SessionPerWorkerEncoder prototype, List<String> texts, List<String> equal) {
        List<String> some = texts.subList(0, Math.min(16, texts.size()));
        List<String> someEqual = equal.subList(0, Math.min(16, equal.size()));
        double ortCos = minCosine(encoder.encodeDocuments(some), ort.encode(some));
        if (prototype != null && minCosine(encoder.encodeDocuments(some), prototype.encodeDocuments(some)) < 0.9999) {
            throw new IllegalStateException("the prototype computes other vectors than the encoder");
        }
        double lcCos = minCosine(encoder.encodeDocuments(someEqual), lc4j.embed(someEqual));
        report.detail(String.format(Locale.ROOT, "**Same work check.** Lowest cosine between Embedloop's vectors and plain "
                + "ONNX Runtime's: %.6f (%d texts); and langchain4j's on equal-work texts: %.6f (%d texts).",
                ortCos, some.size(), lcCos, someEqual.size()));
        if (ortCos < 0.999) {
            throw new IllegalStateException("plain ONNX Runtime computes other vectors than the encoder (cosine " + ortCos + ")");
        }
    }

    static double minCosine(List<float[]> a, List<float[]> b) {
        double min = 1;
        for (int i = 0; i < a.size(); i++) {
            double dot = 0;
            double na = 0;
            double nb = 0;
            for (int d = 0; d < a.get(i).length; d++) {
                dot += a.get(i)[d] * b.get(i)[d];
                na += a.get(i)[d] * a.get(i)[d];
                nb += b.get(i)[d] * b.get(i)[d];
            }
            min = Math.min(min, dot / Math.sqrt(na * nb));
        }
        return min;
    }

    /** Token counts with special tokens and without truncation. */
    static int[] untruncatedTokens(ModelDirectory dir, List<String> texts) throws java.io.IOException {
        try (HuggingFaceTokenizer tok = HuggingFaceTokenizer.builder()
                .optTokenizerPath(dir.tokenizerFile())
                .optAddSpecialTokens(true)
                .optTruncation(false)
                .optPadding(false)
                .build()) {
            int[] out = new int[texts.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = tok.encode(texts.get(i)).getIds().length;
            }
            return out;
        }
    }

    private static double mean(int[] v) {
        long s = 0;
        for (int x : v) {
            s += x;
        }
        return v.length == 0 ? 0 : (double) s / v.length;
    }

    private static int count(int[] v, int over) {
        int c = 0;
        for (int x : v) {
            if (x > over) {
                c++;
            }
        }
        return c;
    }
}
