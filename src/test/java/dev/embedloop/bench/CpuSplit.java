package dev.embedloop.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * CPU time of this JVM by kind of thread between {@link #start()} and {@link #stop()}: where the
 * two cores go while the pipeline runs (encoder workers, the stream thread, Kafka clients, the
 * embedded broker, the Qdrant local mode's gRPC threads, and the rest: GC, JIT, native).
 */
final class CpuSplit {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final Map<Long, Long> cpu0 = new HashMap<>();
    private long process0;
    private long wall0;
    private final Map<String, Double> seconds = new LinkedHashMap<>();
    private double wall;
    private double process;

    static CpuSplit start() {
        CpuSplit s = new CpuSplit();
        for (long id : THREADS.getAllThreadIds()) {
            s.cpu0.put(id, THREADS.getThreadCpuTime(id));
        }
        s.process0 = Machine.processTicks(ProcessHandle.current().pid());
        s.wall0 = System.nanoTime();
        return s;
    }

    /** Accumulates the interval since {@link #start()} (call once per interval, then start another). */
    CpuSplit stop() {
        wall += (System.nanoTime() - wall0) / 1e9;
        process += (Machine.processTicks(ProcessHandle.current().pid()) - process0) / 100.0;
        double java = 0;
        long[] ids = THREADS.getAllThreadIds();
        ThreadInfo[] infos = THREADS.getThreadInfo(ids);
        for (int i = 0; i < ids.length; i++) {
            if (infos[i] == null) {
                continue;
            }
            long now = THREADS.getThreadCpuTime(ids[i]);
            if (now < 0) {
                continue;
            }
            double s = (now - cpu0.getOrDefault(ids[i], 0L)) / 1e9;
            java += s;
            seconds.merge(group(infos[i].getThreadName()), s, Double::sum);
        }
        seconds.merge("GC, JIT, native threads, threads that ended", Math.max(0, process - java), Double::sum);
        return this;
    }

    /** Accumulates another interval into this split. */
    CpuSplit add(CpuSplit other) {
        other.seconds.forEach((k, v) -> seconds.merge(k, v, Double::sum));
        wall += other.wall;
        process += other.process;
        return this;
    }

    static String group(String name) {
        if (name.startsWith("embedloop-encoder")) {
            return "encoder workers (ONNX Runtime)";
        }
        if (name.contains("StreamThread") && !name.contains("producer") && !name.contains("consumer")) {
            return "Kafka Streams thread (poll, validate, chunk, state stores, upsert calls)";
        }
        if (name.startsWith("kafka-producer") || name.startsWith("kafka-admin") || name.contains("consumer")) {
            return "Kafka client threads (producers, consumers, admin)";
        }
        if (name.startsWith("grpc") || name.contains("qdrant")) {
            return "gRPC threads (Qdrant local mode server + client)";
        }
        if (name.startsWith("bench") || name.equals("main")) {
            return "benchmark (publishing, polling)";
        }
        return "embedded Kafka broker and other Java threads";
    }

    String markdown(String title) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "**%s**: %.1f s of wall time on %d cores = %.1f core-seconds available; this "
                + "JVM used %.1f.%n%n", title, wall, Runtime.getRuntime().availableProcessors(),
                wall * Runtime.getRuntime().availableProcessors(), process));
        sb.append("| threads | CPU seconds | share of the cores |\n|---|---|---|\n");
        seconds.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed()).forEach(e ->
                sb.append(String.format(Locale.ROOT, "| %s | %.1f | %.0f%% |%n", e.getKey(), e.getValue(),
                        100 * e.getValue() / (wall * Runtime.getRuntime().availableProcessors()))));
        return sb.toString().trim();
    }
}
