package dev.embedloop.cli;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.embedded.EmbeddedServices;
import dev.embedloop.encode.Models;
import dev.embedloop.index.IndexStats;
import dev.embedloop.index.Indexer;
import dev.embedloop.metrics.LogFormat;
import dev.embedloop.publish.Publisher;
import dev.embedloop.qdrant.Qdrant;
import dev.embedloop.search.Searcher;
import io.qdrant.client.QdrantClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.LongSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start the embedded Kafka broker and Qdrant local mode, publish a small sample corpus, index it, "
                + "and print ranked results for a few queries.")
final class DemoCommand implements Callable<Integer> {

    static final String CORPUS = "/demo/corpus.jsonl";
    static final List<String> QUERIES = List.of(
            "why does an airplane wing stall",
            "how to bake bread with wild yeast",
            "what harms pollinating insects",
            "replaying history from a distributed log");

    @Mixin
    ConfigOptions config;

    @Option(names = {"-k", "--top"}, defaultValue = "3", description = "Results per query (default ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--timeout", defaultValue = "300", paramLabel = "SECONDS",
            description = "Give up when indexing takes longer (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        if (System.getenv("EMBEDLOOP_LOG_LEVEL") == null) {
            // the demo prints its own progress; Embedloop's INFO lines would repeat it on stderr
            LogFormat.setLevel("dev.embedloop", "WARN");
        }
        List<Publisher.Line> corpus = corpus();
        // not under java.io.tmpdir: Kafka Streams warns about state directories the OS may clear
        Path cache = Path.of(System.getProperty("user.home"), ".cache", "embedloop");
        Files.createDirectories(cache);
        Path state = Files.createTempDirectory(cache, "demo-state-");
        EmbedloopConfig base = config.load();
        out.println("Starting an embedded Kafka broker and the Qdrant local mode…");
        try (EmbeddedServices services = EmbeddedServices.start(base, 0, 0, null)) {
            EmbedloopConfig cfg = services.configure(base).with(Map.of(
                    "kafka.state.dir", state.toString(),
                    "kafka.application.id", "embedloop-demo"));
            out.println("  Kafka  " + services.bootstrapServers());
            out.println("  Qdrant localhost:" + services.qdrantPort());
            out.println("Loading model " + cfg.model() + "…");
            try (Models models = Models.open(cfg);
                    QdrantClient client = Qdrant.connect(cfg.qdrant());
                    Indexer indexer = Indexer.start(cfg, models, client);
                    Publisher publisher = new Publisher(cfg.kafkaProperties(), cfg.topics().documents(),
                            cfg.topics().maxRecordBytes())) {
                out.println("  " + models.encoder().model().name() + " version " + models.encoder().model().version()
                        + ", " + models.encoder().model().dimension() + " dimensions");
                if (!indexer.awaitRunning(Duration.ofSeconds(60))) {
                    throw new IllegalStateException("the indexer did not reach RUNNING within 60 s");
                }
                out.println("Publishing " + corpus.size() + " documents to topic '" + cfg.topics().documents() + "'…");
                long t0 = System.nanoTime();
                for (Publisher.Line line : corpus) {
                    publisher.publish(line.id(), line.value());
                }
                IndexStats stats = indexer.stats();
                await(out, "indexed", stats::indexed, corpus.size(), indexer);
                double seconds = (System.nanoTime() - t0) / 1e9;
                out.printf(Locale.ROOT, "Indexed %d documents (%d chunks) in %.1f s into collection %s%n",
                        stats.indexed(), stats.chunksWritten(), seconds, indexer.collection());

                Searcher searcher = new Searcher(client, models.encoder(), cfg.qdrant().collection(), cfg.qdrant().timeout());
                for (String query : QUERIES) {
                    out.println();
                    SearchCommand.print(out, query, searcher.search(query, k));
                }

                out.println();
                out.println("Publishing the same corpus again: nothing should be re-encoded…");
                long encodedBefore = stats.textsEncoded();
                for (Publisher.Line line : corpus) {
                    publisher.publish(line.id(), line.value());
                }
                await(out, "skipped as unchanged", stats::skippedUnchanged, corpus.size(), indexer);
                out.println("  " + stats.skippedUnchanged() + " unchanged documents skipped, "
                        + (stats.textsEncoded() - encodedBefore) + " texts re-encoded");
                out.println();
                out.println("Done: " + stats);
            }
        } finally {
            deleteTree(state);
        }
        return 0;
    }

    private void await(PrintStream out, String what, LongSupplier counter, long target, Indexer indexer)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
        long last = -1;
        while (counter.getAsLong() < target) {
            long now = counter.getAsLong();
            if (now != last) {
                out.print("\r  " + what + " " + now + "/" + target);
                out.flush();
                last = now;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out: " + what + " " + now + "/" + target + " (" + indexer.stats() + ")");
            }
            if (indexer.state() == org.apache.kafka.streams.KafkaStreams.State.ERROR) {
                throw new IllegalStateException("the indexer failed; see the log above");
            }
            Thread.sleep(100); // progress display cadence, not a wait for state: the loop polls the counter
        }
        out.println("\r  " + what + " " + counter.getAsLong() + "/" + target);
    }

    static List<Publisher.Line> corpus() throws IOException {
        List<Publisher.Line> lines = new ArrayList<>();
        try (InputStream in = DemoCommand.class.getResourceAsStream(CORPUS)) {
            if (in == null) {
                throw new IllegalStateException("demo corpus " + CORPUS + " missing from the classpath");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = reader.readLine()) != null) {
                if (!line.isBlank()) {
                    lines.add(Publisher.convert(line));
                }
            }
        }
        return lines;
    }

    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp directory; the OS cleans up what is left
        }
    }
}
