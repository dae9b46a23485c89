package dev.embedloop.bench;

import dev.embedloop.encode.BundledModels;
import dev.embedloop.encode.DjlOnnxEncoder;
import dev.embedloop.encode.EncoderOptions;
import dev.embedloop.encode.ModelDirectory;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Runs one encoder path in a loop for a fixed time, for a profiler to watch (JFR:
 * {@code -XX:StartFlightRecording=filename=x.jfr,settings=profile}, then
 * {@code jfr print --events jdk.ExecutionSample,jdk.NativeMethodSample x.jfr}).
 *
 * <pre>
 * java -cp ... dev.embedloop.bench.Profile DATASET_DIR embedloop|embedloop-q|ort|ort-shared|prototype|lc4j [seconds] [docs]
 * java -cp ... dev.embedloop.bench.Profile ab DATASET_DIR PATH_A PATH_B [rounds] [docs]
 * </pre>
 *
 * <p>Paths ending in {@code -q} use the int8 model.
 */
public final class Profile {

    private Profile() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("ab")) {
            ab(args);
            return;
        }
        if (args.length < 2) {
            System.err.println("usage: Profile DATASET_DIR embedloop|embedloop-q|ort|ort-shared|prototype|lc4j [seconds] [docs]");
            System.exit(2);
        }
        PlainOrtEncoder.environment();
        Dataset dataset = Dataset.load(Path.of(args[0]));
        String path = args[1];
        double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 60;
        List<String> texts = Dataset.texts(dataset.sample(args.length > 3 ? Integer.parseInt(args[3]) : 200));
        ModelDirectory dir = BundledModels.resolveModel(path.endsWith("-q") ? BundledModels.MINILM_Q : BundledModels.MINILM);
        Contender c = open(path, dir);
        try (AutoCloseable r = c.resource()) {
            long end = System.nanoTime() + (long) (seconds * 1e9);
            long docs = 0;
            long t0 = System.nanoTime();
            while (System.nanoTime() < end) {
                c.encode().accept(texts);
                docs += texts.size();
            }
            System.out.printf(Locale.ROOT, "%s: %.1f docs/s over %.0f s%n", path, docs / ((System.nanoTime() - t0) / 1e9),
                    (System.nanoTime() - t0) / 1e9);
        }
        System.exit(0);
    }

    /**
     * Head-to-head: {@code ab DATASET_DIR A B [rounds] [docs]} runs two paths interleaved slice by
     * slice (50 documents a slice) and prints the median per-leg throughput ratio A/B.
     */
    private static void ab(String[] args) throws Exception {
        PlainOrtEncoder.environment();
        Dataset dataset = Dataset.load(Path.of(args[1]));
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 5;
        List<String> texts = Dataset.texts(dataset.sample(args.length > 5 ? Integer.parseInt(args[5]) : 400));
        List<List<String>> slices = Rounds.slices(texts, Math.max(1, texts.size() / 50));
        double[] docs = new double[slices.size()];
        for (int k = 0; k < docs.length; k++) {
            docs[k] = slices.get(k).size();
        }
        Contender a = open(args[2], BundledModels.resolveModel(args[2].endsWith("-q") ? BundledModels.MINILM_Q : BundledModels.MINILM));
        Contender b = open(args[3], BundledModels.resolveModel(args[3].endsWith("-q") ? BundledModels.MINILM_Q : BundledModels.MINILM));
        try (AutoCloseable ra = a.resource(); AutoCloseable rb = b.resource()) {
            Rounds.Times t = Rounds.run(rounds, slices.size(), List.of(
                    Rounds.job("A " + args[2], k -> a.encode().accept(slices.get(k))),
                    Rounds.job("B " + args[3], k -> b.encode().accept(slices.get(k)))));
            System.out.printf(Locale.ROOT, "A %s: %s%nB %s: %s%nA/B median per-leg ratio %.3f (IQR %s); other processes %s%n",
                    args[2], t.perRound("A " + args[2], docs, "docs/s"), args[3], t.perRound("B " + args[3], docs, "docs/s"),
                    t.ratio("A " + args[2], docs, "B " + args[3], docs),
                    t.ratioSpread("A " + args[2], docs, "B " + args[3], docs), Report.pct(t.foreignShare));
        }
        System.exit(0);
    }

    private record Contender(AutoCloseable resource, java.util.function.Consumer<List<String>> encode) {}

    private static Contender open(String path, ModelDirectory dir) throws Exception {
        AutoCloseable resource;
        java.util.function.Consumer<List<String>> encode;
        switch (path) {
            case "embedloop", "embedloop-q" -> {
                DjlOnnxEncoder e = DjlOnnxEncoder.load(dir, EncoderOptions.defaults());
                resource = e;
                encode = e::encodeDocuments;
            }
            case "ort", "ort-shared", "ort-q", "ort-shared-q" -> {
                PlainOrtEncoder o = new PlainOrtEncoder(dir.modelFile(), dir.tokenizerFile(), 256,
                        new PlainOrtEncoder.Config(!path.startsWith("ort-shared") ? PlainOrtEncoder.Layout.TWO_SESSIONS_1_THREAD
                                : PlainOrtEncoder.Layout.SHARED_SESSION_2_CALLERS, 1, true));
                resource = o;
                encode = o::encode;
            }
            case "prototype", "prototype-q" -> {
                SessionPerWorkerEncoder p = new SessionPerWorkerEncoder(dir, EncoderOptions.defaults());
                resource = p;
                encode = p::encodeDocuments;
            }
            case "lc4j" -> {
                LangChain4jBaseline l = new LangChain4jBaseline();
                resource = l;
                encode = l::embed;
            }
            default -> throw new IllegalArgumentException("unknown path " + path);
        }
        return new Contender(resource, encode);
    }
}
