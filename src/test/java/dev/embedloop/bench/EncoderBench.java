package dev.embedloop.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.embedloop.encode.BundledModels;
import dev.embedloop.encode.DjlOnnxEncoder;
import dev.embedloop.encode.EncoderOptions;
import dev.embedloop.encode.ModelDirectory;
import java.util.ArrayList;
import java.util.Comparator;
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

        // 1. search the plain ONNX Runtime configurations
        List<String> searchTexts = texts.subList(0, Math.min(texts.size(), Math.max(40, settings.docs() / 2)));
        List<Candidate> grid = new ArrayList<>();
        for (PlainOrtEncoder.Layout layout : PlainOrtEncoder.Layout.values()) {
            for (int batch : settings.searchGrid()) {
                grid.add(new Candidate(new PlainOrtEncoder.Config(layout, batch, true)));
            }
        }
        System.out.println("[bench] 1: searching " + grid.size() + " plain ONNX Runtime configurations on "
                + searchTexts.size() + " documents (load " + Machine.loadAverage() + ")");
        Machine.CpuMeter searchMeter = new Machine.CpuMeter(machine.cores);
        for (Candidate c : grid) {
            try (PlainOrtEncoder ort = new PlainOrtEncoder(dir.modelFile(), dir.tokenizerFile(), MAX_TOKENS, c.config)) {
                long t0 = System.nanoTime();
                ort.encode(searchTexts);
                c.seconds = (System.nanoTime() - t0) / 1e9;
                c.tokens = ort.tokensRun();
                c.padded = ort.paddedTokensRun();
            }
            System.out.printf(Locale.ROOT, "  %-80s %6.1f docs/s%n", c.config.label(), searchTexts.size() / c.seconds);
        }
        double searchForeign = searchMeter.foreignShare();
        List<Candidate> ranked = new ArrayList<>(grid);
        ranked.sort(Comparator.comparingDouble(c -> c.seconds));
        StringBuilder table = new StringBuilder();
        table.append(String.format(Locale.ROOT, "**Plain ONNX Runtime search** (%d documents, one pass each, "
                + "other processes used %s of the CPU meanwhile; the top %d go to the interleaved rounds):%n%n",
                searchTexts.size(), Report.pct(searchForeign), FINALISTS));
        table.append("| configuration | docs/s | tokens/s | padding overhead |\n|---|---|---|---|\n");
        for (Candidate c : ranked) {
            table.append("| ").append(c.config.label()).append(" | ").append(Report.f1(searchTexts.size() / c.seconds))
                    .append(" | ").append(Report.f0(c.tokens / c.seconds)).append(" | ")
                    .append(Report.pct((double) c.padded / c.tokens - 1)).append(" |\n");
        }
        report.detail(table.toString().trim());

        // 2. interleaved final rounds
        List<PlainOrtEncoder> finalists = new ArrayList<>();
        LangChain4jBaseline lc4j = null;
        try (DjlOnnxEncoder encoder = DjlOnnxEncoder.load(dir, EncoderOptions.defaults())) {
            for (Candidate c : ranked.subList(0, Math.min(FINALISTS, ranked.size()))) {
                finalists.add(new PlainOrtEncoder(dir.modelFile(), dir.tokenizerFile(), MAX_TOKENS, c.config));
            }
            lc4j = new LangChain4jBaseline();
            long lc4jTokens = lc4j.tokensRun(texts);
            long lc4jEqualTokens = lc4j.tokensRun(equal);
            checkAgreement(encoder, finalists.get(0), lc4j, texts, equal);

            final LangChain4jBaseline lc = lc4j;
            List<Rounds.Job> jobs = new ArrayList<>();
            jobs.add(Rounds.job("embedloop:sample", () -> encoder.encodeDocuments(texts)));
            for (PlainOrtEncoder f : finalists) {
                jobs.add(Rounds.job("ort:" + f.config().label(), () -> f.encode(texts)));
            }
            jobs.add(Rounds.job("lc4j:sample", () -> lc.embed(texts)));
            jobs.add(Rounds.job("embedloop:equal", () -> encoder.encodeDocuments(equal)));
            jobs.add(Rounds.job("lc4j:equal", () -> lc.embed(equal)));
            System.out.println("[bench] 1: " + settings.rounds() + " interleaved rounds (load " + Machine.loadAverage() + ")");
            Rounds.Times t = Rounds.run(settings.rounds(), jobs);

            int n = texts.size();
            String best = null;
            double bestDocs = 0;
            for (PlainOrtEncoder f : finalists) {
                String name = "ort:" + f.config().label();
                double d = n / t.medianSeconds(name);
                if (d > bestDocs) {
                    bestDocs = d;
                    best = name;
                }
            }
            double encDocs = n / t.medianSeconds("embedloop:sample");
            double encTok = tokens256 / t.medianSeconds("embedloop:sample");
            double bestTok = tokens256 / t.medianSeconds(best);
            double r1a = t.ratio("embedloop:sample", n, best, n);
            report.add(new Report.Row("1a", "Encoder throughput: Embedloop `DjlOnnxEncoder`, `EncoderOptions.defaults()`, fp32, "
                    + n + " sampled docs",
                    Report.f1(encDocs) + " docs/s · " + Report.f0(encTok) + " tokens/s",
                    "best plain ONNX Runtime (" + best.substring(4) + "): " + Report.f1(bestDocs) + " docs/s · "
                            + Report.f0(bestTok) + " tokens/s",
                    Report.f2(r1a), "≥ 0.95", Report.met(r1a >= 0.95)));

            int m = equal.size();
            double encEq = m / t.medianSeconds("embedloop:equal");
            double lcEq = m / t.medianSeconds("lc4j:equal");
            double r1b = t.ratio("embedloop:equal", m, "lc4j:equal", m);
            report.add(new Report.Row("1b", "Encoder vs langchain4j `embedAll`, equal work: " + m + " docs of ≤ "
                    + LC4J_TOKENS + " tokens (neither truncates)",
                    Report.f1(encEq) + " docs/s · " + Report.f0(equalTokens / t.medianSeconds("embedloop:equal")) + " tokens/s",
                    "langchain4j: " + Report.f1(lcEq) + " docs/s · "
                            + Report.f0(lc4jEqualTokens / t.medianSeconds("lc4j:equal")) + " tokens/s",
                    Report.f2(r1b), "≥ 1.00", Report.met(r1b >= 1.0)));

            double lcTok = lc4jTokens / t.medianSeconds("lc4j:sample");
            double lcDocs = n / t.medianSeconds("lc4j:sample");
            double r1c = t.ratio("embedloop:sample", tokens256, "lc4j:sample", lc4jTokens);
            report.add(new Report.Row("1c", "Encoder vs langchain4j on the raw sample, per token encoded (Embedloop: ≤ 256 "
                    + "tokens/doc, " + Report.f0(tokens256) + " in all; langchain4j: ≤ " + LC4J_TOKENS + ", "
                    + Report.f0(lc4jTokens) + ")",
                    Report.f0(encTok) + " tokens/s (" + Report.f1(encDocs) + " docs/s)",
                    "langchain4j: " + Report.f0(lcTok) + " tokens/s (" + Report.f1(lcDocs) + " docs/s)",
                    Report.f2(r1c), "> 1.00", Report.met(r1c > 1.0)));

            double fracEnc = machine.fractionOfPeak(encTok);
            double fracBest = machine.fractionOfPeak(bestTok);
            report.add(new Report.Row("1d", "Share of the nominal fp32 peak implied by the encoder's tokens/s ("
                    + Machine.MFLOP_PER_TOKEN + " MFLOP/token, peak " + Report.f0(machine.peakGflops()) + " GFLOP/s)",
                    Report.pct(fracEnc) + " (" + Report.f0(encTok * Machine.MFLOP_PER_TOKEN / 1000) + " GFLOP/s)",
                    "best plain ONNX Runtime: " + Report.pct(fracBest), Report.f2(fracEnc / fracBest), "—", "—"));

            StringBuilder rounds = new StringBuilder("**Interleaved rounds (section 1)**, per round, other processes used "
                    + Report.pct(t.foreignShare) + " of the CPU meanwhile:\n\n");
            rounds.append("| job | per round |\n|---|---|\n");
            rounds.append("| Embedloop encoder, sample | ").append(t.perRound("embedloop:sample", n, "docs/s")).append(" |\n");
            for (PlainOrtEncoder f : finalists) {
                String name = "ort:" + f.config().label();
                rounds.append("| ").append(f.config().label()).append(" | ").append(t.perRound(name, n, "docs/s")).append(" |\n");
            }
            rounds.append("| langchain4j, sample | ").append(t.perRound("lc4j:sample", n, "docs/s")).append(" |\n");
            rounds.append("| Embedloop encoder, equal-work set | ").append(t.perRound("embedloop:equal", m, "docs/s")).append(" |\n");
            rounds.append("| langchain4j, equal-work set | ").append(t.perRound("lc4j:equal", m, "docs/s")).append(" |\n");
            report.detail(rounds.toString().trim());
        } finally {
            for (PlainOrtEncoder f : finalists) {
                f.close();
            }
            if (lc4j != null) {
                lc4j.close();
            }
        }
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
            Rounds.Times t = Rounds.run(settings.rounds(), List.of(
                    Rounds.job("fp32", () -> fp32.encodeDocuments(texts)),
                    Rounds.job("int8", () -> int8.encodeDocuments(texts))));
            int n = texts.size();
            double r = t.ratio("int8", n, "fp32", n);
            report.add(new Report.Row("4a", "Quantized `" + INT8 + "` throughput, same encoder settings, " + n + " sampled docs",
                    Report.f1(n / t.medianSeconds("int8")) + " docs/s",
                    "fp32 `" + FP32 + "`: " + Report.f1(n / t.medianSeconds("fp32")) + " docs/s",
                    Report.f2(r), "≥ 1.80", Report.met(r >= 1.8)));

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
                    t.perRound("fp32", n, "docs/s"), t.perRound("int8", n, "docs/s"), Report.pct(t.foreignShare),
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
            List<String> texts, List<String> equal) {
        List<String> some = texts.subList(0, Math.min(16, texts.size()));
        List<String> someEqual = equal.subList(0, Math.min(16, equal.size()));
        double ortCos = minCosine(encoder.encodeDocuments(some), ort.encode(some));
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

    private static final class Candidate {
        final PlainOrtEncoder.Config config;
        double seconds;
        long tokens;
        long padded;

        Candidate(PlainOrtEncoder.Config config) {
            this.config = config;
        }
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
