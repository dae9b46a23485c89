package dev.embedloop.bench;

import dev.embedloop.config.ConfigLoader;
import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.embedded.EmbeddedServices;
import dev.embedloop.events.Json;
import dev.embedloop.kafka.KafkaTopics;
import dev.embedloop.publish.Publisher;
import dev.embedloop.qdrant.Qdrant;
import io.qdrant.client.QdrantClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The scale row of BENCHMARKS.md: the same corpus indexed by one indexer process, then by two
 * indexer processes in one consumer group, on this machine (embedded Kafka and Qdrant local mode
 * in this JVM; the indexers are child JVMs running {@code embedloop index}). Throughput is
 * measured between 10 % and 90 % of the corpus in the collection, so JVM and model start-up and
 * the group's first rebalance are left out. No assertion: it prints a Markdown table.
 *
 * <pre>
 *   mvn -q -B test-compile dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test
 *   java -cp target/test-classes:target/classes:$(cat target/bench-classpath.txt) dev.embedloop.bench.ScaleBench \
 *       --dataset ../shared/datasets/cranfield/beir [--docs 400] [--partitions 4] [--model all-minilm-l6-v2-q]
 * </pre>
 */
public final class ScaleBench {

    private ScaleBench() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new LinkedHashMap<>(Map.of("docs", "400", "partitions", "4",
                "model", "all-minilm-l6-v2-q", "processes", "1,2"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        Path dataset = Path.of(opts.getOrDefault("dataset", "../shared/datasets/cranfield/beir"));
        int docs = Integer.parseInt(opts.get("docs"));
        int partitions = Integer.parseInt(opts.get("partitions"));
        List<Dataset.Doc> corpus = Dataset.load(dataset).docs();
        corpus = corpus.subList(0, Math.min(docs, corpus.size()));
        Machine machine = Machine.detect();
        Path work = Files.createTempDirectory("scale-bench");

        EmbedloopConfig defaults = ConfigLoader.defaults();
        List<String> rows = new ArrayList<>();
        double single = 0;
        try (EmbeddedServices services = EmbeddedServices.start(defaults, 0, 0, null)) {
            EmbedloopConfig cfg = services.configure(defaults).with(Map.of("topics.partitions", Integer.toString(partitions)));
            KafkaTopics.ensure(cfg.kafkaProperties(), KafkaTopics.indexingTopics(cfg));
            try (Publisher publisher = new Publisher(cfg.kafkaProperties(), cfg.topics().documents(),
                    cfg.topics().maxRecordBytes())) {
                for (Dataset.Doc d : corpus) {
                    publisher.publish(d.id(), Json.write(Map.of("id", d.id(), "title", d.title(), "text", d.body())));
                }
            }
            try (QdrantClient client = Qdrant.connect(cfg.qdrant())) {
                for (String n : opts.get("processes").split(",")) {
                    int processes = Integer.parseInt(n.trim());
                    String run = "scale" + processes;
                    String before = Machine.loadAverage();
                    double docsPerSecond = run(services, client, work, run, processes, corpus.size(), opts.get("model"),
                            partitions);
                    if (processes == 1) {
                        single = docsPerSecond;
                    }
                    rows.add(String.format("| %d indexer process%s, %d partitions | %.1f | %s | %s → %s |", processes,
                            processes == 1 ? "" : "es", partitions, docsPerSecond,
                            single > 0 ? String.format("%.2f×", docsPerSecond / single) : "–", before, Machine.loadAverage()));
                }
            }
        }
        System.out.println();
        System.out.println("Scale: " + corpus.size() + " documents of " + dataset.getFileName() + ", model " + opts.get("model")
                + ", " + machine.cores + " cores (" + machine.cpuModel + ")");
        System.out.println();
        System.out.println("| indexers | docs/s (10–90 %) | vs. one | load average before → after |");
        System.out.println("|---|---|---|---|");
        rows.forEach(System.out::println);
    }

    /** Starts {@code processes} indexers in one group and times them from 10 % to 90 % of the corpus. */
    private static double run(EmbeddedServices services, QdrantClient client, Path work, String run, int processes,
            int docs, String model, int partitions) throws Exception {
        List<Process> children = new ArrayList<>();
        try {
            for (int i = 0; i < processes; i++) {
                children.add(launch(services, work, run, i, model, partitions));
            }
            long t10 = 0;
            long t90 = 0;
            long deadline = System.nanoTime() + 3_600_000_000_000L;
            while (t90 == 0) {
                if (System.nanoTime() > deadline || children.stream().anyMatch(p -> !p.isAlive())) {
                    throw new IllegalStateException(run + ": an indexer stopped or the run took too long; see "
                            + work.resolve(run + "-*.log"));
                }
                long count = count(client, run);
                long now = System.nanoTime();
                if (t10 == 0 && count >= docs / 10) {
                    t10 = now;
                }
                if (count >= docs * 9L / 10) {
                    t90 = now;
                }
                Thread.sleep(100);
            }
            double seconds = (t90 - t10) / 1e9;
            double rate = (docs * 0.8) / seconds;
            System.out.printf("%s: %d process(es): %.1f docs/s (%.1f s from 10 %% to 90 %%)%n", run, processes, rate, seconds);
            return rate;
        } finally {
            for (Process p : children) {
                p.destroy();
            }
            for (Process p : children) {
                p.waitFor();
            }
        }
    }

    private static long count(QdrantClient client, String alias) {
        try {
            return client.countAsync(alias).get();
        } catch (Exception e) {
            return 0; // not created yet
        }
    }

    private static Process launch(EmbeddedServices services, Path work, String run, int n, String model, int partitions)
            throws Exception {
        List<String> command = List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), "dev.embedloop.cli.Cli", "index",
                "--set", "management.port=0",
                "--set", "kafka.bootstrap.servers=" + services.bootstrapServers(),
                "--set", "qdrant.port=" + services.qdrantPort(),
                "--set", "qdrant.collection=" + run,
                "--set", "model=" + model,
                "--set", "topics.partitions=" + partitions,
                "--set", "kafka.state.dir=" + work.resolve(run + "-state-" + n),
                "--set", "kafka.application.id=" + run + "-indexer");
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(work.resolve(run + "-" + n + ".log").toFile()).start();
    }
}
