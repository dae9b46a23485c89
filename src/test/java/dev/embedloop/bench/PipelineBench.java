package dev.embedloop.bench;

import static io.qdrant.client.PointIdFactory.id;

import dev.embedloop.publish.Publisher;
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
import java.util.function.LongSupplier;

/**
 * Section 2: documents/s from the documents topic into the Qdrant local mode, against the encoder
 * alone on the same chunks; then publish→searchable latency at about half of that capacity. With
 * {@code --variant}, a second indexer (other settings, or a prototype) runs interleaved with the
 * first, for a before/after in one run.
 */
final class PipelineBench implements AutoCloseable {

    private final Settings settings;
    private final Dataset dataset;
    private final Services s;
    private final Report report;
    private final Path tmp;
    private final Services.Variant variant;
    /** Pipeline documents/s measured by {@link #throughput()}, for the latency run. */
    private double capacity = Double.NaN;

    /** An indexer to measure: its input, its progress counter and the collection it writes. */
    private record Target(String name, Publisher publisher, LongSupplier indexed, String collection) {}

    PipelineBench(Settings settings, Dataset dataset, Services services, Report report, Path tmp) throws Exception {
        this.settings = settings;
        this.dataset = dataset;
        this.s = services;
        this.report = report;
        this.tmp = tmp;
        this.variant = settings.variant().isEmpty() ? null : services.startVariant(tmp, settings.variant());
    }

    private Target main() {
        return new Target("pipeline", s.publisher, s.indexer.stats()::indexed, s.indexer.collection());
    }

    private Target variantTarget() {
        return new Target("variant", variant.publisher(), variant.indexed(), variant.collection());
    }

    /** Section 2, row 2a. */
    void throughput() throws Exception {
        List<Dataset.Doc> sample = dataset.sample(settings.docs());
        List<String> chunks = s.chunkTexts(sample);

        // warm the whole path once (first upsert, first commit, JIT) outside the measurement
        List<Dataset.Doc> warm = sample.subList(0, Math.min(8, sample.size()));
        Path warmFile = corpusFile("warm", warm);
        List<Target> targets = new ArrayList<>(List.of(main()));
        if (variant != null) {
            targets.add(variantTarget());
        }
        for (Target target : targets) {
            long before = target.indexed().getAsLong();
            target.publisher().publishFile(warmFile, null);
            Services.awaitCount(target.indexed(), before + warm.size(), Duration.ofMinutes(5), target.name() + " warm-up");
        }
        if (variant != null) {
            variant.encoder().reset();
        }
        s.models.encoder().encodeDocuments(chunks.subList(0, Math.min(8, chunks.size())));

        // slices of about 100 documents, so that a run has several legs per job to take the median of
        // on a machine whose load changes from second to second; one file per round and slice, written
        // before the clock starts, with fresh ids, so nothing is skipped as unchanged
        List<List<Dataset.Doc>> slices = Rounds.slices(sample, settings.quick() ? 1 : Math.max(1, sample.size() / 100));
        List<List<String>> sliceChunks = new ArrayList<>();
        double[] docs = new double[slices.size()];
        for (int k = 0; k < slices.size(); k++) {
            sliceChunks.add(s.chunkTexts(slices.get(k)));
            docs[k] = slices.get(k).size();
        }
        List<Path> files = new ArrayList<>();
        for (int r = 0; r < settings.rounds(); r++) {
            for (int k = 0; k < slices.size(); k++) {
                files.add(corpusFile("round" + r + "-" + k, slices.get(k)));
            }
        }
        Map<String, CpuSplit> cpu = new HashMap<>();
        List<Rounds.Job> jobs = new ArrayList<>();
        jobs.add(Rounds.job("encoder alone", k -> {
            CpuSplit c = CpuSplit.start();
            s.models.encoder().encodeDocuments(sliceChunks.get(k));
            cpu.merge("encoder alone", c.stop(), CpuSplit::add);
        }));
        for (Target target : targets) {
            AtomicInteger leg = new AtomicInteger();
            jobs.add(Rounds.job(target.name(), k -> {
                long wall0 = System.currentTimeMillis();
                CpuSplit c = CpuSplit.start();
                long start = target.indexed().getAsLong();
                target.publisher().publishFile(files.get(leg.getAndIncrement()), null);
                Services.awaitCount(target.indexed(), start + slices.get(k).size(), Duration.ofMinutes(30),
                        target.name() + " documents indexed");
                cpu.merge(target.name(), c.stop(), CpuSplit::add);
                // for lining up profiler recordings with the runs
                System.out.println("[bench] 2: " + target.name() + " window " + wall0 + " " + System.currentTimeMillis());
            }));
        }
        System.out.println("[bench] 2: " + settings.rounds() + " rounds × " + slices.size() + " interleaved slices, "
                + "pipeline vs encoder alone, " + sample.size() + " docs = " + chunks.size() + " chunks (load "
                + Machine.loadAverage() + ")");
        Rounds.Times t = Rounds.run(settings.rounds(), slices.size(), jobs);

        int n = sample.size();
        capacity = t.rate("pipeline", docs);
        double alone = t.rate("encoder alone", docs);
        double ratio = t.ratio("pipeline", docs, "encoder alone", docs);
        report.add(new Report.Row("2a", "Pipeline throughput: documents topic → indexer (Kafka Streams, chunk, encode, "
                + "upsert wait=true) → Qdrant local mode, " + n + " docs, " + chunks.size() + " chunks",
                Report.f1(capacity) + " docs/s",
                "encoder alone on the same " + chunks.size() + " chunks (one `encodeDocuments` call per slice of ≈ 100 docs): "
                        + Report.f1(alone) + " docs/s",
                Report.f2(ratio), "≥ 0.90", Report.met(ratio >= 0.9)));
        report.detail("**Pipeline rounds (section 2):** " + settings.rounds() + " rounds × " + slices.size()
                + " slices (per-leg ratio IQR " + t.ratioSpread("pipeline", docs, "encoder alone", docs)
                + "; per CPU-second this JVM used, pipeline ÷ encoder alone: "
                + Report.f2(t.cpuRatio("pipeline", docs, "encoder alone", docs))
                + ", i.e. the part of the gap that is extra work rather than idle cores); pipeline "
                + t.perRound("pipeline", docs, "docs/s")
                + "; encoder alone " + t.perRound("encoder alone", docs, "docs/s") + "; other processes used "
                + Report.pct(t.foreignShare) + " of the CPU meanwhile.");
        report.detail(cpu.get("pipeline").markdown("Where the cores go during the pipeline rounds (section 2)"));
        report.detail(cpu.get("encoder alone").markdown("… and during the encoder-alone rounds"));
        if (variant != null) {
            double vr = t.ratio("variant", docs, "encoder alone", docs);
            report.detail("**Variant (section 2)**: a second indexer with " + settings.variant() + ", interleaved with the "
                    + "others: " + t.perRound("variant", docs, "docs/s") + ", " + Report.f2(vr)
                    + "× the encoder alone (per-leg IQR " + t.ratioSpread("variant", docs, "encoder alone", docs)
                    + "; per CPU-second " + Report.f2(t.cpuRatio("variant", docs, "encoder alone", docs))
                    + "; the indexer as configured: " + Report.f2(ratio) + "×); variant ÷ as configured, leg by leg: "
                    + Report.f2(t.ratio("variant", docs, "pipeline", docs)) + "×.");
            report.detail(cpu.get("variant").markdown("Where the cores go during the variant's rounds"));
            report.detail("**Variant's encoder calls** (throughput rounds): " + variant.encoder().histogram() + ".");
            report.note("Section 2 variant " + settings.variant() + ": throughput " + Report.f2(vr)
                    + "× the encoder alone, against " + Report.f2(ratio) + "× as configured (same run, interleaved).");
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

        // baseline: the encoder alone, one document at a time, on the same documents
        List<Double> encodeMs = new ArrayList<>();
        for (Dataset.Doc d : docs) {
            List<String> chunks = s.chunkTexts(List.of(d));
            long t0 = System.nanoTime();
            s.models.encoder().encodeDocuments(chunks);
            encodeMs.add((System.nanoTime() - t0) / 1e6);
        }
        double e50 = Rounds.percentile(encodeMs, 50);
        double e99 = Rounds.percentile(encodeMs, 99);

        Latency main = latency(main(), docs, rate);
        report.add(new Report.Row("2b", String.format(Locale.ROOT, "Latency publish → searchable (last chunk readable "
                        + "in Qdrant), %d docs published at a fixed %.1f docs/s ≈ half the measured capacity", count, rate),
                "p50 " + Report.f0(main.p50) + " ms · p99 " + Report.f0(main.p99) + " ms"
                        + (main.missing > 0 ? " (" + main.missing + " never seen)" : ""),
                "encoder alone, one doc per call: p50 " + Report.f0(e50) + " ms · p99 " + Report.f0(e99) + " ms",
                Report.f2(main.p50 / e50) + " (p50)", "—", "—"));
        report.detail(String.format(Locale.ROOT, "**Latency (section 2):** publish→searchable p50 %.0f ms, p90 %.0f ms, "
                        + "p99 %.0f ms, max %.0f ms over %d docs (the poller reads Qdrant every 5 ms); other processes "
                        + "used %s of the CPU meanwhile.", main.p50, main.p90, main.p99, main.max, main.seen,
                Report.pct(main.foreign)));
        if (variant != null) {
            Latency v = latency(variantTarget(), docs, rate);
            report.detail(String.format(Locale.ROOT, "**Variant latency (section 2)** %s, same documents and rate: p50 "
                            + "%.0f ms, p90 %.0f ms, p99 %.0f ms, max %.0f ms (as configured: p50 %.0f ms, p99 %.0f ms).",
                    settings.variant(), v.p50, v.p90, v.p99, v.max, main.p50, main.p99));
            report.note("Section 2 variant " + settings.variant() + ": latency p50 " + Report.f0(v.p50) + " ms, p99 "
                    + Report.f0(v.p99) + " ms, against p50 " + Report.f0(main.p50) + " ms, p99 " + Report.f0(main.p99)
                    + " ms as configured.");
        }
    }

    private record Latency(double p50, double p90, double p99, double max, int seen, int missing, double foreign) {}

    private Latency latency(Target target, List<Dataset.Doc> docs, double rate) throws Exception {
        int count = docs.size();
        // the point that makes a document completely searchable: its last chunk
        List<String> ids = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        Map<UUID, Integer> lastPoint = new HashMap<>();
        for (int i = 0; i < count; i++) {
            String id = target.name() + "-lat-" + i + "-" + docs.get(i).id();
            ids.add(id);
            values.add(Services.event(id, docs.get(i)));
            int chunks = s.models.chunker().chunk(docs.get(i).text()).size();
            lastPoint.put(PointIds.of(id, chunks - 1), i);
        }
        long[] sent = new long[count];
        long[] seen = new long[count];
        Thread poller = new Thread(() -> poll(target.collection(), lastPoint, sent, seen), "bench-latency-poller");
        poller.setDaemon(true);
        System.out.printf(Locale.ROOT, "[bench] 2: %s latency, %d docs at %.1f docs/s (load %s)%n", target.name(), count,
                rate, Machine.loadAverage());
        Machine.CpuMeter meter = new Machine.CpuMeter(Runtime.getRuntime().availableProcessors());
        poller.start();
        long start = System.nanoTime();
        long spacing = (long) (1e9 / rate);
        for (int i = 0; i < count; i++) {
            long wait = start + i * spacing - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            synchronized (sent) {
                sent[i] = System.nanoTime();
            }
            target.publisher().publish(ids.get(i), values.get(i));
        }
        poller.join(TimeUnit.MINUTES.toMillis(10));
        double foreign = meter.foreignShare();
        List<Double> ms = new ArrayList<>();
        int missing = 0;
        for (int i = 0; i < count; i++) {
            if (seen[i] == 0) {
                missing++;
            } else {
                ms.add((seen[i] - sent[i]) / 1e6);
            }
        }
        if (ms.isEmpty()) {
            throw new IllegalStateException("no document became searchable");
        }
        return new Latency(Rounds.percentile(ms, 50), Rounds.percentile(ms, 90), Rounds.percentile(ms, 99),
                Rounds.percentile(ms, 100), ms.size(), missing, foreign);
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

    @Override
    public void close() {
        if (variant != null) {
            variant.close();
        }
    }
}
