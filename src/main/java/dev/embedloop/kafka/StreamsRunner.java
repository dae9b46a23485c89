package dev.embedloop.kafka;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Kafka Streams application: follows its state through the state listener (so
 * callers wait on RUNNING instead of sleeping), replaces a stream thread that failed on a
 * transient error and stops on any other.
 */
public final class StreamsRunner implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StreamsRunner.class);

    private final String name;
    private final KafkaStreams streams;
    private final CountDownLatch running = new CountDownLatch(1);
    private volatile KafkaStreams.State state = KafkaStreams.State.CREATED;

    private StreamsRunner(String name, KafkaStreams streams) {
        this.name = name;
        this.streams = streams;
    }

    /**
     * Starts {@code topology}.
     *
     * @param isTransient which uncaught errors are worth a new stream thread
     */
    public static StreamsRunner start(String name, Topology topology, Properties props, Predicate<Throwable> isTransient) {
        StreamsRunner runner = new StreamsRunner(name, new KafkaStreams(topology, props));
        runner.streams.setStateListener((now, before) -> {
            runner.state = now;
            LOG.info("{} {} -> {}", name, before, now);
            if (now == KafkaStreams.State.RUNNING) {
                runner.running.countDown();
            }
        });
        runner.streams.setUncaughtExceptionHandler(e -> {
            if (isTransient.test(e)) {
                LOG.warn("{}: stream thread failed on a transient error; replacing it: {}", name, e.getMessage());
                return StreamThreadExceptionResponse.REPLACE_THREAD;
            }
            LOG.error("{} stopped by an unrecoverable error", name, e);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        runner.streams.start();
        return runner;
    }

    /** Waits until Kafka Streams reports RUNNING. */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        return running.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The Kafka Streams instance, for metrics binders only. */
    public KafkaStreams kafkaStreams() {
        return streams;
    }

    public KafkaStreams.State state() {
        return state;
    }

    /** Whether the application has stopped for good (error or shut down). */
    public boolean stopped() {
        return state == KafkaStreams.State.ERROR || state == KafkaStreams.State.NOT_RUNNING
                || state == KafkaStreams.State.PENDING_ERROR;
    }

    @Override
    public void close() {
        streams.close(Duration.ofSeconds(30));
        LOG.info("{} stopped", name);
    }
}
