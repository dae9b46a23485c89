package dev.embedloop.bench;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The benchmark's command line.
 *
 * @param dataset BEIR directory (corpus.jsonl, queries.jsonl, qrels/test.tsv)
 * @param docs documents in the timed sample
 * @param quick smoke-test sizes
 * @param rounds interleaved repetitions of each timed comparison
 * @param memoryKb size of the largest generated document of the memory test, in KB (1000 bytes)
 * @param out Markdown file to write (null: print only)
 * @param sections which sections to run (1–5); the others are reported as skipped
 * @param searchGrid batch sizes tried for plain ONNX Runtime
 * @param overrides configuration keys set for the embedded indexer and search service ({@code --set})
 * @param variant keys of a second indexer run interleaved with the first in section 2, to measure
 *     a change before/after in one run ({@code --variant}); empty for none
 */
record Settings(Path dataset, int docs, boolean quick, int rounds, int memoryKb, Path out, Set<Integer> sections,
        List<Integer> searchGrid, Map<String, String> overrides, Map<String, String> variant) {

    static final String USAGE = String.join("\n",
            "usage: ./bench --dataset DIR [--docs N] [--quick] [--out FILE] [--rounds R] [--memory-mb M | --memory-kb K]",
            "               [--sections 1,2,3,4,5] [--grid 1,2,4,8,16,32]",
            "               [--set KEY=VALUE]... [--variant KEY=VALUE]...",
            "  --dataset DIR   a BEIR data set: corpus.jsonl (texts = title + \" \" + text), queries.jsonl, qrels/test.tsv",
            "  --docs N        documents in the timed sample (default 400; --quick: 40)",
            "  --quick         smoke-test sizes: 40 documents, 1 round, a 64 KB memory document, batch sizes 1 and 8 only",
            "  --out FILE      write the results table into FILE (between generated-section markers)",
            "  --rounds R      interleaved repetitions of every comparison (default 3; --quick: 1)",
            "  --memory-mb M   size of the largest document streamed in the memory test (default 10)",
            "  --sections S    comma-separated sections to run: 1 encoder, 2 pipeline, 3 memory, 4 quantized, 5 search",
            "  --grid B        comma-separated batch sizes searched for plain ONNX Runtime (default 1,2,4,8,16,32; --quick: 1,8)",
            "  --set K=V       a configuration key for the embedded indexer and search service (repeatable)",
            "  --variant K=V   section 2 also runs a second indexer with this key (repeatable), interleaved: before/after");

    static Settings parse(String... args) {
        Path dataset = null;
        Integer docs = null;
        boolean quick = false;
        Integer rounds = null;
        Integer memoryKb = null;
        Path out = null;
        Set<Integer> sections = new LinkedHashSet<>(List.of(1, 2, 3, 4, 5));
        List<Integer> grid = null;
        Map<String, String> overrides = new LinkedHashMap<>();
        Map<String, String> variant = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--dataset" -> dataset = Path.of(value(args, ++i, a));
                case "--docs" -> docs = positive(value(args, ++i, a), a);
                case "--quick" -> quick = true;
                case "--rounds" -> rounds = positive(value(args, ++i, a), a);
                case "--memory-mb" -> memoryKb = positive(value(args, ++i, a), a) * 1000;
                case "--memory-kb" -> memoryKb = positive(value(args, ++i, a), a);
                case "--out" -> out = Path.of(value(args, ++i, a));
                case "--sections" -> {
                    sections.clear();
                    for (String s : value(args, ++i, a).split(",")) {
                        int n = positive(s.trim(), a);
                        if (n > 5) {
                            throw new IllegalArgumentException("--sections: no section " + n);
                        }
                        sections.add(n);
                    }
                }
                case "--grid" -> {
                    grid = new java.util.ArrayList<>();
                    for (String b : value(args, ++i, a).split(",")) {
                        grid.add(positive(b.trim(), a));
                    }
                }
                case "--set" -> keyValue(value(args, ++i, a), overrides, a);
                case "--variant" -> keyValue(value(args, ++i, a), variant, a);
                case "-h", "--help" -> throw new IllegalArgumentException("");
                default -> throw new IllegalArgumentException("unknown argument " + a);
            }
        }
        if (dataset == null) {
            throw new IllegalArgumentException("--dataset DIR is required");
        }
        return new Settings(dataset,
                docs != null ? docs : quick ? 40 : 400,
                quick,
                rounds != null ? rounds : quick ? 1 : 3,
                memoryKb != null ? memoryKb : quick ? 64 : 10_000,
                out, Set.copyOf(sections),
                grid != null ? List.copyOf(grid) : quick ? List.of(1, 8) : List.of(1, 2, 4, 8, 16, 32),
                Map.copyOf(overrides), Map.copyOf(variant));
    }

    boolean runs(int section) {
        return sections.contains(section);
    }

    private static void keyValue(String kv, Map<String, String> into, String flag) {
        int eq = kv.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException(flag + " needs KEY=VALUE, got " + kv);
        }
        into.put(kv.substring(0, eq), kv.substring(eq + 1));
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return args[i];
    }

    private static int positive(String s, String flag) {
        try {
            int n = Integer.parseInt(s);
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " needs a positive integer, got " + s);
        }
    }
}
