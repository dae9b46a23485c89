package dev.embedloop.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;

/**
 * One-line meter definitions in Prometheus' conventions, so that a stats class declares each of
 * its meters in one line: a dotted name ({@code embedloop.index.received}), a base unit that
 * Prometheus appends ({@code embedloop_index_received_documents_total}) and a help text.
 *
 * <p>Latency timers publish a fixed set of histogram buckets (not Micrometer's ~70 percentile
 * buckets), enough for {@code histogram_quantile} from 1 ms to 1 min.
 */
public final class Meters {

    /** Bucket bounds of every latency histogram. */
    public static final Duration[] LATENCY_BUCKETS = {
            Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
            Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
            Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
            Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60)};

    private Meters() {}

    /** A registry of its own, for a service run without a management server (tests, eval, bench). */
    public static MeterRegistry detached() {
        return new SimpleMeterRegistry();
    }

    /**
     * A counter; {@code tags} are key/value pairs. Asking twice for the same name and tags returns
     * the same counter.
     */
    public static Counter counter(MeterRegistry registry, String name, String unit, String help, String... tags) {
        return Counter.builder(name).baseUnit(unit).description(help).tags(tags).register(registry);
    }

    /** A latency timer with the histogram buckets of {@link #LATENCY_BUCKETS}. */
    public static Timer latency(MeterRegistry registry, String name, String help, String... tags) {
        return Timer.builder(name).description(help).tags(tags)
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .minimumExpectedValue(LATENCY_BUCKETS[0])
                .maximumExpectedValue(LATENCY_BUCKETS[LATENCY_BUCKETS.length - 1])
                .register(registry);
    }

    /** A distribution of sizes (e.g. texts per call), with histogram buckets at {@code buckets}. */
    public static DistributionSummary sizes(MeterRegistry registry, String name, String unit, String help,
            double... buckets) {
        return DistributionSummary.builder(name).baseUnit(unit).description(help)
                .serviceLevelObjectives(buckets).register(registry);
    }

    /** The count of a counter as a whole number. */
    public static long count(Counter counter) {
        return (long) counter.count();
    }

    /** The sum of every counter named {@code name} in {@code registry}, whatever its tags. */
    public static long sum(MeterRegistry registry, String name) {
        double total = 0;
        for (Counter c : registry.find(name).counters()) {
            total += c.count();
        }
        return (long) total;
    }
}
