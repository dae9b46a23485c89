package dev.embedloop.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;

/**
 * The live model version as an info metric: {@code embedloop_model_info{role="live",version="…"} 1}.
 * When the version changes, the series of the old version is removed, so a query over time shows
 * which version was live when.
 */
public final class ModelInfo {

    /** Name of the info metric. */
    public static final String NAME = "embedloop.model.info";

    private final MeterRegistry registry;
    private final String role;
    private Gauge current;
    private String version;

    /** @param role what the version is used for (e.g. {@code live}, {@code query}, {@code base}) */
    public ModelInfo(MeterRegistry registry, String role) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.role = Objects.requireNonNull(role, "role");
    }

    /** Makes {@code version} the one reported (no-op when it already is). */
    public synchronized void set(String version) {
        if (version == null || version.equals(this.version)) {
            return;
        }
        if (current != null) {
            registry.remove(current);
        }
        current = Gauge.builder(NAME, () -> 1.0)
                .description("Model version in use (value always 1; the version is the label)")
                .tags("role", role, "version", version)
                .register(registry);
        this.version = version;
    }

    /** The version reported, or null before the first {@link #set}. */
    public synchronized String version() {
        return version;
    }
}
