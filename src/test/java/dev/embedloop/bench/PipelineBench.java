package dev.embedloop.bench;

import static io.qdrant.client.PointIdFactory.id;

import dev.embedloop.index.IndexStats;
import dev.embedloop.qdrant.PointIds;
import io.qdrant.client.grpc.Common.PointId;
import io.qdrant.client.grpc.Points.RetrievedPoint;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Section 2: documents/s from the documents topic into the Qdrant local mode, against the encoder
 * alone on the same chunks; then publish→searchable latency at about half of that capacity.
 */
final class PipelineBench {

    private final Settings settings;
    private final Dataset dataset;
    private final Services s;
    private final Report report;
    private final Path tmp;
    /** Pipeline documents/s measured by {@link #throughput()}, for the latency run. */
    private double capacity = Double.NaN;

    PipelineBench(Settings settings, Dataset dataset, Services services, Report report, Path tmp) {
        this.settings = settings;
        this.dataset = dataset;
        this.s = services;
        this.report = report;
        this.tmp = tmp;
    }

    /** Section 2, row 2a. */
    void throughput() throws Exception {
        List<Dataset.Doc> sample = dataset.sample(settings.docs());
        List<String> chunks = s.chunkTexts(sample);
        IndexStats stats = s.indexer.stats();

        // warm the whole path once (first upsert, first commit, JIT) outside the measurement
        List<Dataset.Doc> warm = sample.subList(0, Math.min(8, sample.size()));
        Path warmFile = corpusFile("warm", warm);
        long before = stats.indexed();
        s.publisher.publishFile(warmFile, null);
        Services.awaitCount(stats::indexed, before + warm.size(), Duration.ofMinutes(5), "warm-up documents indexed");
        s.models.encoder().encodeDocuments(chunks.subList(0, Math.min(8, chunks.size())));

        // one file per round, written before the clock starts; fresh ids, so nothing is skipped as unchanged
        List<Path> files = new ArrayList<>();
        for (int r = 0; r < settings.rounds(); r++) {
            files.add(corpusFile("round" + r, sample));
        }
        AtomicInteger round = new AtomicInteger();
        AtomicInteger variantRound = new AtomicInteger();
        Services.Variant variant = settings.variant().isEmpty() ? null : s.startVariant(tmp, settings.variant());
        CpuSplit[] pipelineCpu = {null};
        CpuSplit[] aloneCpu = {null};
        System.out.println("[bench] 2: " + settings.rounds() + " interleaved rounds, pipeline vs encoder alone, "
                + sample.size() + " docs = " + chunks.size() + " chunks (load " + Machine.loadAverage() + ")");
        List<Rounds.Job> jobs = new ArrayList<>(List.of(
                Rounds.job("encoder alone", k -> {
                    CpuSplit cpu = CpuSplit.start();
                    s.models.encoder().encodeDocuments(chunks);
                    aloneCpu[0] = aloneCpu[0] == null ? cpu.stop() : aloneCpu[0].add(cpu.stop());
                }),
                Rounds.job("pipeline", k -> {
                    long wall0 = System.currentTimeMillis();
                    CpuSplit cpu = CpuSplit.start();
                    long start = stats.indexed();
                    s.publisher.publishFile(files.get(round.getAndIncrement()), null);
                    Services.awaitCount(stats::indexed, start + sample.size(), Duration.ofMinutes(30),
                            "documents indexed");
                    pipelineCpu[0] = pipelineCpu[0] == null ? cpu.stop() : pipelineCpu[0].add(cpu.stop());
                    // for lining up profiler recordings with the pipeline runs
                    System.out.println("[bench] 2: pipeline window " + wall0 + " " + System.currentTimeMillis());
                })));
        CpuSplit[] variantCpu = {null};
        if (variant != null) {
            IndexStats vstats = variant.indexer().stats();
            long vbefore = vstats.indexed();
            variant.publisher().publishFile(warmFile, null);
            Services.awaitCount(vstats::indexed, vbefore + warm.size(), Duration.ofMinutes(5), "variant warm-up");
            jobs.add(Rounds.job("variant", k -> {
                CpuSplit cpu = CpuSplit.start();
                long start = vstats.indexed();
                variant.publisher().publishFile(files.get(variantRound.getAndIncrement()), null);
                Services.awaitCount(vstats::indexed, start + sample.size(), Duration.ofMinutes(30), "variant documents indexed");
                variantCpu[0] = variantCpu[0] == null ? cpu.stop() : variantCpu[0].add(cpu.stop());
            }));
        }
        Rounds.Times t;
        try {
            t = Rounds.run(settings.rounds(), 1, jobs);
        } finally {
            if (variant != null) {
                variant.close();
            }
        }
        int n = sample.size();
        double[] docs = {n};
        capacity = t.rate("pipeline", docs);
        double alone = t.rate("encoder alone", docs);
        double ratio = t.ratio("pipeline", docs, "encoder alone", docs);
        report.add(new Report.Row("2a", "Pipeline throughput: documents topic → indexer (Kafka Streams, chunk, encode, "
                + "upsert wait=true) → Qdrant local mode, " + n + " docs, " + chunks.size() + " chunks",
                Report.f1(capacity) + " docs/s",
                "encoder alone on the same " + chunks.size() + " chunks (one `encodeDocuments` call): "
                        + Report.f1(alone) + " docs/s",
                Report.f2(ratio), "≥ 0.90", Report.met(ratio >= 0.9)));
        report.detail("**Pipeline rounds (section 2):** pipeline " + t.perRound("pipeline", docs, "docs/s")
                + "; encoder alone " + t.perRound("encoder alone", docs, "docs/s") + "; other processes used "
                + Report.pct(t.foreignShare) + " of the CPU meanwhile.");
        report.detail(pipelineCpu[0].markdown("Where the cores go during the pipeline rounds (section 2)"));
        report.detail(aloneCpu[0].markdown("… and during the encoder-alone rounds"));
        if (variant != null) {
            double vr = t.ratio("variant", docs, "encoder alone", docs);
            report.detail("**Variant (section 2)**: a second indexer with " + settings.variant() + ", interleaved with the "
                    + "others: " + t.perRound("variant", docs, "docs/s") + ", " + Report.f2(vr)
                    + "× the encoder alone (the indexer as configured: " + Report.f2(ratio) + "×).");
            report.detail(variantCpu[0].markdown("Where the cores go during the variant's rounds"));
            report.note("Section 2 variant " + settings.variant() + ": " + Report.f2(vr) + "× the encoder alone, against "
                    + Report.f2(ratio) + "× as configured (same run, interleaved).");
        }
    }

    /** Section 2, row 2b: latency at about half of the measured capacity. */
    void latency() throws Exception {
        if (Double.isNaN(capacity)) {
            throw new IllegalStateException("needs the throughput measurement first");
        }
        double rate = capacity / 2;
        int count = (int) Math.max(settings.quick() ? 10 : 40, Math.min(rate * (settings.quick() ? 5 : 40), 2000));
        List<Dataset.Doc> docs = new ArrayList<>();
        List<Dataset.Doc> pool = dataset.sample(Integer.MAX_VALUE);
        for (int i = 0; i < count; i++) {
            docs.add(pool.get(i % pool.size()));
        }
        // the point that makes a document completely searchable: its last chunk
        String collection = s.indexer.collection();
        List<String> ids = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        Map<UUID, Integer> lastPoint = new HashMap<>();
        for (int i = 0; i < count; i++) {
            String id = "lat-" + i + "-" + docs.get(i).id();
            ids.add(id);
            values.add(Services.event(id, docs.get(i)));
            int chunks = s.models.chunker().chunk(docs.get(i).text()).size();
            lastPoint.put(PointIds.of(id, chunks - 1), i);
        }

        // baseline: the encoder alone, one document at a time, on the same documents
        List<Double> encodeMs = new ArrayList<>();
        for (Dataset.Doc d : docs) {
            List<String> chunks = s.chunkTexts(List.of(d));
            long t0 = System.nanoTime();
            s.models.encoder().encodeDocuments(chunks);
            encodeMs.add((System.nanoTime() - t0) / 1e6);
        }

        long[] sent = new long[count];
        long[] seen = new long[count];
        Thread poller = new Thread(() -> poll(collection, lastPoint, sent, seen), "bench-latency-poller");
        poller.setDaemon(true);
        System.out.printf(Locale.ROOT, "[bench] 2: latency, %d docs at %.1f docs/s (load %s)%n", count, rate,
                Machine.loadAverage());
        Machine.CpuMeter meter = new Machine.CpuMeter(Runtime.getRuntime().availableProcessors());
        poller.start();
        long start = System.nanoTime();
        long spacing = (long) (1e9 / rate);
        for (int i = 0; i < count; i++) {
            long due = start + i * spacing;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            synchronized (sent) {
                sent[i] = System.nanoTime();
            }
            s.publisher.publish(ids.get(i), values.get(i));
        }
        poller.join(TimeUnit.MINUTES.toMillis(10));
        double foreign = meter.foreignShare();
        List<Double> latencyMs = new ArrayList<>();
        int missing = 0;
        for (int i = 0; i < count; i++) {
            if (seen[i] == 0) {
                missing++;
            } else {
                latencyMs.add((seen[i] - sent[i]) / 1e6);
            }
        }
        if (latencyMs.isEmpty()) {
            throw new IllegalStateException("no document became searchable");
        }
        double p50 = Rounds.percentile(latencyMs, 50);
        double p99 = Rounds.percentile(latencyMs, 99);
        double e50 = Rounds.percentile(encodeMs, 50);
        double e99 = Rounds.percentile(encodeMs, 99);
        report.add(new Report.Row("2b", String.format(Locale.ROOT, "Latency publish → searchable (last chunk readable "
                        + "in Qdrant), %d docs published at a fixed %.1f docs/s ≈ half the measured capacity", count, rate),
                "p50 " + Report.f0(p50) + " ms · p99 " + Report.f0(p99) + " ms"
                        + (missing > 0 ? " (" + missing + " never seen)" : ""),
                "encoder alone, one doc per call: p50 " + Report.f0(e50) + " ms · p99 " + Report.f0(e99) + " ms",
                Report.f2(p50 / e50) + " (p50)", "—", "—"));
        report.detail(String.format(Locale.ROOT, "**Latency (section 2):** publish→searchable p50 %.0f ms, p90 %.0f ms, "
                        + "p99 %.0f ms, max %.0f ms over %d docs (the poller reads Qdrant every 5 ms); other processes "
                        + "used %s of the CPU meanwhile.",
                p50, Rounds.percentile(latencyMs, 90), p99, Rounds.percentile(latencyMs, 100), latencyMs.size(),
                Report.pct(foreign)));
    }

    /** Reads the awaited points every 5 ms until all were seen or 2 minutes passed after the last send. */
    private void poll(String collection, Map<UUID, Integer> lastPoint, long[] sent, long[] seen) {
        Map<UUID, Integer> waiting = new HashMap<>(lastPoint);
        long giveUp = Long.MAX_VALUE;
        try {
            while (!waiting.isEmpty() && System.nanoTime() < giveUp) {
                List<PointId> ask = new ArrayList<>();
                synchronized (sent) {
                    for (Map.Entry<UUID, Integer> e : waiting.entrySet()) {
                        if (sent[e.getValue()] != 0) {
                            ask.add(id(e.getKey()));
                        }
                    }
                    if (sent[sent.length - 1] != 0 && giveUp == Long.MAX_VALUE) {
                        giveUp = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
                    }
                }
                if (!ask.isEmpty()) {
                    List<RetrievedPoint> found = s.client.retrieveAsync(collection, ask, false, false, null)
                            .get(30, TimeUnit.SECONDS);
                    long now = System.nanoTime();
                    for (RetrievedPoint p : found) {
                        Integer i = waiting.remove(UUID.fromString(p.getId().getUuid()));
                        if (i != null) {
                            seen[i] = now;
                        }
                    }
                }
                Thread.sleep(5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            System.err.println("[bench] latency poller failed: " + e);
        }
    }

    /** A corpus file of {@code docs} under fresh ids {@code <prefix>-<id>}, in the Embedloop event format. */
    private Path corpusFile(String prefix, List<Dataset.Doc> docs) throws Exception {
        Path file = tmp.resolve(prefix + ".jsonl");
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Dataset.Doc d : docs) {
                w.write(new String(Services.event(prefix + "-" + d.id(), d), StandardCharsets.UTF_8));
                w.newLine();
            }
        }
        return file;
    }
}
