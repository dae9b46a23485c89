package dev.embedloop.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Embedloop's benchmark: measures, in one run on one machine, each figure against its baseline and
 * writes a Markdown table (see {@link Settings#USAGE}).
 *
 * <ol>
 *   <li>Encoder: {@code DjlOnnxEncoder} with its defaults against the best plain ONNX Runtime
 *       configuration found by a search, and against langchain4j's in-process MiniLM.
 *   <li>Pipeline: documents/s from the documents topic into the Qdrant local mode against the
 *       encoder alone; publish→searchable latency at half capacity.
 *   <li>Memory: peak RSS of a separate indexer JVM while large documents stream through.
 *   <li>Quantized model: throughput and nDCG@10 against fp32.
 *   <li>Search: {@code /search} latency with 8 concurrent clients against in-process searches.
 * </ol>
 *
 * <p>Run it with {@code ./bench --dataset DIR} (the script builds first). It lives in the test
 * scope so that its baselines (langchain4j) never ship.
 */
public final class Bench {

    private Bench() {}

    public static void main(String[] args) {
        int code;
        try {
            code = run(args);
        } catch (IllegalArgumentException e) {
            if (!e.getMessage().isEmpty()) {
                System.err.println("bench: " + e.getMessage());
            }
            System.err.println(Settings.USAGE);
            code = 2;
        } catch (Throwable e) {
            // Errors too: the embedded broker's threads would otherwise keep the JVM alive
            e.printStackTrace();
            code = 1;
        }
        System.exit(code);
    }

    /** Runs the benchmark; 0 when every section ran, 1 when one failed (its rows say why). */
    public static int run(String... args) throws Exception {
        Settings settings = Settings.parse(args);
        PlainOrtEncoder.environment(); // DJL's engine must create ONNX Runtime's environment before anyone else
        Machine machine = Machine.detect();
        Dataset dataset = Dataset.load(settings.dataset());
        Report report = new Report();
        String started = now();
        String command = "./bench " + String.join(" ", args);
        System.out.println("[bench] " + machine.describe());
        System.out.println("[bench] " + command + "; " + dataset.docs().size() + " documents, load " + Machine.loadAverage());
        boolean failed = false;
        report.load("start");
        // the file is rewritten after every section, so a run cut short still leaves what it measured
        Runnable checkpoint = () -> {
            if (settings.out() != null) {
                try {
                    Report.write(settings.out(), report.markdown(machine, command, started, now() + " (run in progress)"));
                } catch (IOException e) {
                    System.err.println("[bench] could not write " + settings.out() + ": " + e);
                }
            }
        };
        Path tmp = Files.createTempDirectory("embedloop-bench-");
        try {
            EncoderBench encoders = new EncoderBench(settings, dataset, machine, report);
            failed |= !section(settings, 1, report, List.of("1a", "1b", "1c", "1d"), encoders::encoderVsBaselines);
            checkpoint.run();
            failed |= !section(settings, 4, report, List.of("4a", "4b"), encoders::quantized);
            checkpoint.run();
            if (settings.runs(2) || settings.runs(3) || settings.runs(5)) {
                Services services;
                try {
                    System.out.println("[bench] starting the embedded broker, the Qdrant local mode and the indexer");
                    services = Services.start(tmp, settings.overrides());
                } catch (Exception | Error e) {
                    e.printStackTrace();
                    for (String id : List.of("2a", "2b", "3", "5")) {
                        report.unavailable(id, label(id), "failed: embedded services did not start: " + e, "—");
                    }
                    services = null;
                    failed = true;
                }
                if (services != null) {
                    try (Services s = services) {
                        if (settings.runs(2)) {
                            try (PipelineBench pipeline = new PipelineBench(settings, dataset, s, report, tmp)) {
                                boolean throughputOk = section(settings, 2, report, List.of("2a", "2b"), pipeline::throughput);
                                failed |= !throughputOk;
                                if (throughputOk) {
                                    failed |= !section(settings, 2, report, List.of("2b"), pipeline::latency);
                                }
                                checkpoint.run();
                            } catch (Exception | Error e) {
                                e.printStackTrace();
                                for (String id : List.of("2a", "2b")) {
                                    report.unavailableIfMissing(id, label(id), "failed: " + e, "—");
                                }
                                failed = true;
                            }
                        } else {
                            section(settings, 2, report, List.of("2a", "2b"), () -> { });
                        }
                        if (!SearchBench.serviceExists()) {
                            report.unavailable("5", label("5"), "pending (" + SearchBench.SERVICE_CLASS + " not there yet)", "—");
                        } else {
                            failed |= !section(settings, 5, report, List.of("5"),
                                    new SearchBench(settings, dataset, s, report)::run);
                        }
                        checkpoint.run();
                        failed |= !section(settings, 3, report, List.of("3"),
                                new MemoryBench(settings, dataset, s, report, tmp)::run);
                    }
                }
            } else {
                for (String id : List.of("2a", "2b", "3", "5")) {
                    report.unavailable(id, label(id), "skipped (--sections)", "—");
                }
            }
        } finally {
            deleteQuietly(tmp);
        }
        report.load("end");
        notes(report, settings, machine);
        String md = report.markdown(machine, command, started, now());
        System.out.println();
        System.out.println(md);
        if (settings.out() != null) {
            Report.write(settings.out(), md);
            System.out.println("[bench] wrote " + settings.out());
        }
        return failed ? 1 : 0;
    }

    @FunctionalInterface
    private interface Section {
        void run() throws Exception;
    }

    /** Runs one section unless skipped; a failure fills its rows with the reason. Returns false on failure. */
    private static boolean section(Settings settings, int number, Report report, List<String> rows, Section body) {
        if (!settings.runs(number)) {
            for (String id : rows) {
                report.unavailable(id, label(id), "skipped (--sections)", "—");
            }
            return true;
        }
        try {
            report.load("section " + number);
            body.run();
            return true;
        } catch (Exception | Error e) {
            System.err.println("[bench] section " + number + " failed:");
            e.printStackTrace();
            for (String id : rows) {
                report.unavailableIfMissing(id, label(id), "failed: " + e, "—");
            }
            return false;
        }
    }

    static String label(String id) {
        return switch (id) {
            case "1a" -> "Encoder throughput vs best plain ONNX Runtime";
            case "1b" -> "Encoder vs langchain4j, equal work";
            case "1c" -> "Encoder vs langchain4j, raw corpus per token";
            case "1d" -> "Share of nominal fp32 peak";
            case "2a" -> "Pipeline throughput vs encoder alone";
            case "2b" -> "Latency publish → searchable";
            case "3" -> "Peak RSS of an indexer JVM with large documents";
            case "4a" -> "Quantized throughput vs fp32";
            case "4b" -> "Quantized nDCG@10 vs fp32";
            case "5" -> "Search latency, 8 concurrent clients";
            default -> id;
        };
    }

    private static void notes(Report report, Settings settings, Machine machine) {
        report.note("Every ratio is the median of per-round ratios; the rounds interleave the contenders (rotating "
                + "order), so load from other processes hits them alike. How busy the rest of the machine was is given "
                + "per section in the details.");
        report.note("Texts are `title + \" \" + text` of the BEIR corpus. Embedloop's encoder and plain ONNX Runtime "
                + "truncate to 256 tokens (special tokens included) and mean-pool + L2-normalise; their vectors agree to "
                + "cosine ≥ 0.9999 (checked every run).");
        report.note("langchain4j `AllMiniLmL6V2EmbeddingModel` 1.0.1-beta6 builds its DJL tokenizer without a truncation "
                + "option, so the truncation in `all-minilm-l6-v2-tokenizer.json` (128 tokens) applies: its 510-token "
                + "partitioning never triggers and it encodes at most 128 tokens per text. Equal work (1b) is therefore "
                + "texts of at most 128 tokens; on the raw corpus (1c) it is compared per token actually encoded.");
        report.note("Peak share (1d) assumes " + Machine.MFLOP_PER_TOKEN + " MFLOP per token for MiniLM-L6 (≈ 21.2 MFLOP "
                + "of matrix products + ≈ 0.009·n MFLOP of attention at n tokens) and a peak of cores × nominal GHz × "
                + machine.flopPerCycle() + " FLOP/cycle (" + machine.vectorUnit() + " fp32: 64 with AVX-512, 32 with AVX2 + FMA); on a VM the vCPUs may be hyperthreads "
                + "and the clock may boost, so read it as an order of magnitude.");
        if (settings.quick()) {
            report.note("**--quick**: a smoke test, not a measurement — " + settings.docs() + " documents, "
                    + settings.rounds() + " round, batch sizes " + settings.searchGrid() + " only, a "
                    + settings.memoryKb() + " KB memory document instead of 10 MB.");
        } else if (settings.memoryKb() < 10_000) {
            report.note("The memory test used a " + settings.memoryKb() + " KB document (the full size is 10 MB, "
                    + "≈ 11,000 chunks, several minutes of encoding).");
        }
    }

    private static String now() {
        return ZonedDateTime.now().truncatedTo(ChronoUnit.SECONDS).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort
                }
            });
        } catch (IOException e) {
            // best effort
        }
    }
}
