package dev.embedloop.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metrics of one process: a Prometheus registry with the JVM and process meters bound, the
 * readiness checks, and (unless turned off) the management server that serves both. Kafka clients
 * and Kafka Streams applications are bound with Micrometer's Kafka binders (consumer lag included).
 * Closing it unbinds the Kafka binders and stops the server.
 */
public final class Management implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Management.class);
    /** How often the Kafka binders look for new Kafka metrics (partitions assigned after a rebalance). */
    private static final Duration KAFKA_REFRESH = Duration.ofSeconds(10);
    /** How often {@link #trackModel} looks up the model version. */
    public static final Duration MODEL_REFRESH = Duration.ofSeconds(5);

    private final PrometheusMeterRegistry registry;
    private final Readiness readiness = new Readiness();
    private final ManagementServer server;
    private final Deque<AutoCloseable> binders = new ArrayDeque<>();
    private final JvmGcMetrics gc = new JvmGcMetrics();

    private Management(ManagementSettings settings) {
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        this.server = settings.enabled()
                ? ManagementServer.start(settings.host(), settings.port(), registry, readiness)
                : null;
    }

    /** Creates the registry and starts the management server when {@code settings} ask for one. */
    public static Management start(ManagementSettings settings) {
        return new Management(settings);
    }

    /** The registry every meter of this process goes to. */
    public MeterRegistry registry() {
        return registry;
    }

    /** The readiness checks that {@code /ready} answers with. */
    public Readiness readiness() {
        return readiness;
    }

    /** The management port, or -1 when it is off. */
    public int port() {
        return server == null ? -1 : server.port();
    }

    /** {@code http://localhost:<port>/<path>} on the management port (tests, the demo). */
    public URI uriOf(String path) {
        if (port() < 0) {
            throw new IllegalStateException("the management port is off");
        }
        return URI.create("http://localhost:" + port() + "/" + path);
    }

    /** The metrics in Prometheus text format (what {@code /metrics} answers). */
    public String scrape() {
        return registry.scrape();
    }

    /** Binds the metrics of a Kafka Streams application (its consumers' lag included) until close. */
    public void bind(KafkaStreams streams) {
        KafkaStreamsMetrics metrics = new KafkaStreamsMetrics(streams, List.of(), scheduler(), KAFKA_REFRESH);
        metrics.bindTo(registry);
        binders.push(metrics);
    }

    /** Binds the metrics of a Kafka consumer (records-lag included) until close. */
    public void bind(Consumer<?, ?> consumer) {
        KafkaClientMetrics metrics = new KafkaClientMetrics(consumer, List.of(), scheduler(), KAFKA_REFRESH);
        metrics.bindTo(registry);
        binders.push(metrics);
    }

    /** Binds the metrics of a Kafka producer until close. */
    public void bind(Producer<?, ?> producer) {
        KafkaClientMetrics metrics = new KafkaClientMetrics(producer, List.of(), scheduler(), KAFKA_REFRESH);
        metrics.bindTo(registry);
        binders.push(metrics);
    }

    /**
     * Reports {@code version} as {@code embedloop_model_info{role=…}}, looked up now and every
     * {@link #MODEL_REFRESH} until close (for services that follow model-updates on their own threads).
     */
    public void trackModel(String role, Supplier<String> version) {
        ModelInfo info = new ModelInfo(registry, role);
        ScheduledExecutorService refresher = scheduler();
        Runnable refresh = () -> {
            try {
                info.set(version.get());
            } catch (RuntimeException e) {
                LOG.debug("model version of {} unavailable", role, e);
            }
        };
        refresh.run();
        refresher.scheduleWithFixedDelay(refresh, MODEL_REFRESH.toMillis(), MODEL_REFRESH.toMillis(), TimeUnit.MILLISECONDS);
        binders.push(refresher::shutdownNow);
    }

    /** Closes {@code resource} (e.g. the admin client of a readiness check) when this closes. */
    public void closeOnExit(AutoCloseable resource) {
        binders.push(resource);
    }

    /** A daemon scheduler of its own for one Kafka binder (the binder shuts it down on close) or refresher. */
    private static ScheduledExecutorService scheduler() {
        return Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "metrics-refresh");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
        while (!binders.isEmpty()) {
            try {
                binders.pop().close();
            } catch (Exception e) {
                LOG.debug("closing a metrics binder failed", e);
            }
        }
        gc.close();
        registry.close();
    }
}
