package dev.embedloop.metrics;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Named readiness checks of one process (streams RUNNING, Kafka reachable, Qdrant reachable, model
 * loaded …). The process is ready when every check passes; a check that throws fails. Thread-safe.
 */
public final class Readiness {

    private static final Logger LOG = LoggerFactory.getLogger(Readiness.class);

    private final Map<String, BooleanSupplier> checks = new LinkedHashMap<>();
    private final Map<String, Boolean> lastResult = new LinkedHashMap<>();

    /** Adds (or replaces) the check {@code name}. */
    public synchronized Readiness add(String name, BooleanSupplier check) {
        checks.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(check, "check"));
        return this;
    }

    /** Runs every check; name → passed, in the order added. A process without checks is not ready. */
    public Map<String, Boolean> evaluate() {
        Map<String, BooleanSupplier> now;
        synchronized (this) {
            now = new LinkedHashMap<>(checks);
        }
        Map<String, Boolean> out = new LinkedHashMap<>();
        for (Map.Entry<String, BooleanSupplier> e : now.entrySet()) {
            boolean ok;
            try {
                ok = e.getValue().getAsBoolean();
            } catch (RuntimeException ex) {
                ok = false;
            }
            out.put(e.getKey(), ok);
        }
        synchronized (this) {
            for (Map.Entry<String, Boolean> e : out.entrySet()) {
                Boolean before = lastResult.put(e.getKey(), e.getValue());
                if (before != null && !before.equals(e.getValue())) {
                    LOG.info("readiness check {} is now {}", e.getKey(), e.getValue() ? "passing" : "failing");
                }
            }
        }
        return out;
    }

    /** Whether there is at least one check and every check passes. */
    public boolean ready() {
        Map<String, Boolean> results = evaluate();
        return !results.isEmpty() && !results.containsValue(false);
    }

    /**
     * Wraps a costly check (a network round trip) so that it runs at most once per {@code ttl}; in
     * between, the last result is answered.
     */
    public static BooleanSupplier cached(Duration ttl, BooleanSupplier check) {
        Objects.requireNonNull(check, "check");
        long ttlNanos = ttl.toNanos();
        return new BooleanSupplier() {
            private long checkedAt;
            private boolean result;
            private boolean checked;

            @Override
            public synchronized boolean getAsBoolean() {
                long now = System.nanoTime();
                if (!checked || now - checkedAt >= ttlNanos) {
                    try {
                        result = check.getAsBoolean();
                    } catch (RuntimeException e) {
                        result = false;
                    }
                    checked = true;
                    checkedAt = now;
                }
                return result;
            }
        };
    }
}
