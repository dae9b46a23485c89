package dev.embedloop.bench;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.kafka.KafkaTopics;
import dev.embedloop.publish.Publisher;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Section 3: peak resident memory (VmHWM) of a separate indexer JVM ({@code Cli index}, heap
 * capped with {@value #XMX}) against the broker and the local mode of this JVM, while the stream
 * carries generated large documents among ordinary ones. The baseline is the same process's peak
 * after ordinary documents only, read just before the large ones are published.
 */
final class MemoryBench {

    static final String XMX = "-Xmx512m";
    static final long TARGET_BYTES = 1L << 30;
    private static final Pattern COUNTERS = Pattern.compile("\\[index\\] received=(\\d+) indexed=(\\d+) chunks=(\\d+)");

    private final Settings settings;
    private final Dataset dataset;
    private final Services s;
    private final Report report;
    private final Path tmp;

    MemoryBench(Settings settings, Dataset dataset, Services services, Report report, Path tmp) {
        this.settings = settings;
        this.dataset = dataset;
        this.s = services;
        this.report = report;
        this.tmp = tmp;
    }

    void run() throws Exception {
        EmbedloopConfig cfg = s.cfg.with(Map.of(
                "topics.documents", "bench-memory",
                "topics.dead-letter", "bench-memory.dlq",
                "kafka.application.id", "bench-memory-indexer",
                "kafka.state.dir", tmp.resolve("memory-streams").toString(),
                "qdrant.collection", "bench-memory"));
        KafkaTopics.ensure(cfg.kafkaProperties(), KafkaTopics.indexingTopics(cfg));

        int largeBytes = settings.memoryKb() * 1000;
        int secondBytes = Math.max(1000, largeBytes / 4);
        String large = generate(largeBytes, 0);
        String second = generate(secondBytes, 7);
        int largeChunks = s.models.chunker().chunk(large).size();
        int secondChunks = s.models.chunker().chunk(second).size();
        List<Dataset.Doc> ordinary = dataset.sample(Math.min(settings.quick() ? 20 : 100, dataset.docs().size()));

        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"), XMX,
                "-cp", System.getProperty("java.class.path"),
                "dev.embedloop.cli.Cli", "index", "--stats-interval", "1", "--set", "management.port=0"));
        Map<String, String> effective = cfg.describe();
        for (String key : List.of("kafka.bootstrap.servers", "qdrant.host", "qdrant.port", "topics.documents",
                "topics.dead-letter", "kafka.application.id", "kafka.state.dir", "qdrant.collection")) {
            command.add("--set");
            command.add(key + "=" + effective.get(key));
        }
        Path logFile = tmp.resolve("memory-indexer.log");
        System.out.println("[bench] 3: starting the indexer JVM (" + XMX + "), log " + logFile);
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        long pid = child.pid();
        AtomicLong indexed = new AtomicLong();
        AtomicLong chunks = new AtomicLong();
        Thread reader = new Thread(() -> follow(child, logFile, indexed, chunks), "bench-memory-log");
        reader.setDaemon(true);
        reader.start();
        long childTicks0 = 0;
        try (Publisher publisher = new Publisher(cfg.kafkaProperties(), cfg.topics().documents(),
                cfg.topics().maxRecordBytes())) {
            // phase A: ordinary documents only
            for (Dataset.Doc d : ordinary) {
                publisher.publish("a-" + d.id(), Services.event("a-" + d.id(), d));
            }
            awaitIndexed(child, indexed, ordinary.size(), Duration.ofMinutes(10));
            long baselineHwm = status(pid, "VmHWM");
            long baselineRss = status(pid, "VmRSS");

            // phase B: two large documents among ordinary ones
            System.out.printf(Locale.ROOT, "[bench] 3: publishing a %.1f MB document (%d chunks) and a %.1f MB one "
                    + "(%d chunks) among %d ordinary ones (load %s)%n", largeBytes / 1e6, largeChunks, secondBytes / 1e6,
                    secondChunks, ordinary.size(), Machine.loadAverage());
            childTicks0 = Machine.processTicks(pid);
            Machine.CpuMeter meter = new Machine.CpuMeter(Runtime.getRuntime().availableProcessors());
            long t0 = System.nanoTime();
            int third = Math.max(1, ordinary.size() / 3);
            int published = 0;
            for (int i = 0; i < ordinary.size(); i++) {
                if (i == third) {
                    publisher.publish("large-1", Services.event("large-1", new Dataset.Doc("large-1", "Large document", large)));
                    published++;
                }
                if (i == 2 * third) {
                    publisher.publish("large-2", Services.event("large-2", new Dataset.Doc("large-2", "Second large document", second)));
                    published++;
                }
                Dataset.Doc d = ordinary.get(i);
                publisher.publish("b-" + d.id(), Services.event("b-" + d.id(), d));
                published++;
            }
            long totalChunks = largeChunks + secondChunks + ordinary.size() * 2L;
            long peakRss = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120 + totalChunks);
            while (indexed.get() < ordinary.size() + published) {
                if (!child.isAlive()) {
                    throw new IllegalStateException("the indexer JVM exited with " + child.exitValue() + "; see " + logFile);
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the indexer did not index the large documents in time; see " + logFile);
                }
                peakRss = Math.max(peakRss, status(pid, "VmRSS"));
                Thread.sleep(200);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            long hwm = status(pid, "VmHWM");
            long childTicks = Machine.processTicks(pid) - childTicks0;
            double foreign = meter.foreignShare(childTicks);
            double ratio = (double) hwm / baselineHwm;
            report.add(new Report.Row("3", String.format(Locale.ROOT, "Peak RSS (VmHWM) of an indexer JVM (`Cli index`, %s, "
                            + "fp32) while the stream carries a %s document (%,d chunks) and a %s one among %d ordinary docs",
                            XMX, size(largeBytes), largeChunks, size(secondBytes), ordinary.size()),
                    Report.f0(hwm / 1048576.0) + " MB",
                    "same process after " + ordinary.size() + " ordinary docs only: " + Report.f0(baselineHwm / 1048576.0)
                            + " MB", Report.f2(ratio), "< 1024 MB", Report.met(hwm < TARGET_BYTES)));
            report.detail(String.format(Locale.ROOT, "**Memory (section 3):** phase B took %.0f s (%,d chunks written in all, "
                            + "%.1f chunks/s of full 256-token windows); VmRSS before phase B %.0f MB, highest VmRSS sampled "
                            + "%.0f MB; other processes used %s of the CPU meanwhile. Indexer log: `%s`.",
                    seconds, chunks.get(), (largeChunks + secondChunks) / seconds, baselineRss / 1048576.0,
                    peakRss / 1048576.0, Report.pct(foreign), logFile));
        } finally {
            child.destroy(); // SIGTERM: the CLI closes Kafka Streams cleanly
            if (!child.waitFor(30, TimeUnit.SECONDS)) {
                child.destroyForcibly();
                child.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static String size(int bytes) {
        return bytes >= 1_000_000 ? Report.f1(bytes / 1e6) + " MB" : Report.f0(bytes / 1e3) + " KB";
    }

    private void awaitIndexed(Process child, AtomicLong indexed, long target, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (indexed.get() < target) {
            if (!child.isAlive()) {
                throw new IllegalStateException("the indexer JVM exited with " + child.exitValue());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the indexer JVM indexed " + indexed.get() + " of " + target + " in "
                        + timeout.toSeconds() + " s");
            }
            Thread.sleep(100);
        }
    }

    /** Copies the child's output to the log file and tracks its counters. */
    private static void follow(Process child, Path logFile, AtomicLong indexed, AtomicLong chunks) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                BufferedWriter out = Files.newBufferedWriter(logFile, StandardCharsets.UTF_8)) {
            for (String line; (line = in.readLine()) != null; ) {
                out.write(line);
                out.newLine();
                out.flush();
                Matcher m = COUNTERS.matcher(line);
                if (m.find()) {
                    indexed.set(Long.parseLong(m.group(2)));
                    chunks.set(Long.parseLong(m.group(3)));
                }
            }
        } catch (Exception e) {
            // the child is gone
        }
    }

    /** A {@code /proc/<pid>/status} field in bytes. */
    static long status(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(field + ":")) {
                    String[] f = line.substring(field.length() + 1).trim().split("\\s+");
                    return Long.parseLong(f[0]) * 1024; // kB
                }
            }
        } catch (Exception e) {
            // gone
        }
        return 0;
    }

    /** About {@code bytes} of real text: corpus documents one after another, starting at {@code offset}. */
    private String generate(int bytes, int offset) {
        StringBuilder sb = new StringBuilder(bytes + 1024);
        List<Dataset.Doc> docs = dataset.docs();
        for (int i = offset; sb.length() < bytes; i++) {
            Dataset.Doc d = docs.get(i % docs.size());
            sb.append(d.text()).append(i % 5 == 4 ? "\n\n" : " ");
        }
        sb.setLength(bytes);
        return sb.toString().strip();
    }
}
