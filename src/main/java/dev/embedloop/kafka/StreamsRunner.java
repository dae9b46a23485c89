package dev.embedloop.kafka;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.MissingSourceTopicException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Kafka Streams application: follows its state through the state listener (so
 * callers wait on RUNNING instead of sleeping), replaces a stream thread that failed on a
 * transient error and stops on any other.
 *
 * <p><b>Transient.</b> Besides what the caller calls transient (Qdrant being away), the broker
 * being away is: a source topic missing from the metadata while a broker restarts
 * ({@link MissingSourceTopicException}) and Kafka's retriable errors (timeouts, disconnects, no
 * leader). Replacements back off (1 s doubling to 30 s, reset once the application runs again), so
 * a broker that stays away costs a warning per round, not a busy loop, and the process never ends
 * for it.
 *
 * <p><b>Restarts.</b> With a stable {@code group.instance.id} (static membership, see
 * {@link #staticMembership}) the closed instance stays in its group: a restart within the session
 * timeout gets its partitions back without a rebalance. Without one, close leaves the group, so
 * the restarted instance (or the others) take the partitions at once instead of waiting for the
 * session timeout of a member that is gone.
 */
public final class StreamsRunner implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StreamsRunner.class);

    private static final long MIN_BACKOFF_MS = 1_000;
    private static final long MAX_BACKOFF_MS = 30_000;

    private final String name;
    private final KafkaStreams streams;
    private final boolean staticMember;
    private final CountDownLatch running = new CountDownLatch(1);
    private final AtomicInteger failuresInARow = new AtomicInteger();
    private volatile KafkaStreams.State state = KafkaStreams.State.CREATED;
    private volatile boolean closing;

    private StreamsRunner(String name, KafkaStreams streams, boolean staticMember) {
        this.name = name;
        this.streams = streams;
        this.staticMember = staticMember;
    }

    /**
     * Starts {@code topology}.
     *
     * @param isTransient which uncaught errors (besides the broker being away) are worth a new stream thread
     */
    public static StreamsRunner start(String name, Topology topology, Properties props, Predicate<Throwable> isTransient) {
        boolean staticMember = props.getProperty(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG) != null;
        StreamsRunner runner = new StreamsRunner(name, new KafkaStreams(topology, props), staticMember);
        runner.streams.setStateListener((now, before) -> {
            runner.state = now;
            LOG.info("{} {} -> {}", name, before, now);
            if (now == KafkaStreams.State.RUNNING) {
                runner.running.countDown();
                runner.failuresInARow.set(0);
            }
        });
        runner.streams.setUncaughtExceptionHandler(e -> {
            if (runner.closing) {
                return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            }
            if (isBrokerAway(e) || isTransient.test(e)) {
                long backoff = backoffMs(runner.failuresInARow.incrementAndGet());
                LOG.warn("{}: stream thread failed on a transient error; replacing it in {} ms: {}", name, backoff, describe(e));
                runner.pause(backoff);
                return StreamThreadExceptionResponse.REPLACE_THREAD;
            }
            LOG.error("{} stopped by an unrecoverable error", name, e);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        LOG.info("{} starting ({} group membership)", name, staticMember
                ? "static, group.instance.id " + props.getProperty(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG) : "dynamic");
        runner.streams.start();
        return runner;
    }

    /**
     * Sets static group membership when {@code instanceId} is given: Kafka Streams gives each
     * stream thread's consumer {@code <instanceId>-<thread index>}. The id must be stable across
     * restarts of this instance and unique among the instances of one application.
     */
    public static Properties staticMembership(Properties props, String instanceId) {
        if (instanceId != null && !instanceId.isBlank()) {
            props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId.strip());
        }
        return props;
    }

    /** Whether {@code e} (or a cause) says the broker or a topic's metadata is away for now. */
    static boolean isBrokerAway(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MissingSourceTopicException || t instanceof RetriableException) {
                return true;
            }
        }
        return false;
    }

    /** 1 s, 2 s, 4 s … at most 30 s before the n-th replacement in a row. */
    static long backoffMs(int failuresInARow) {
        int doublings = Math.min(Math.max(failuresInARow - 1, 0), 16);
        return Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS << doublings);
    }

    private static String describe(Throwable e) {
        StringBuilder out = new StringBuilder(e.getClass().getSimpleName() + ": " + e.getMessage());
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            out.append(" <- ").append(t.getClass().getSimpleName()).append(": ").append(t.getMessage());
        }
        return out.toString();
    }

    /** Waits in the failed thread (not a stream thread that works); a close cuts it short. */
    private void pause(long ms) {
        long deadline = System.nanoTime() + ms * 1_000_000;
        try {
            while (!closing && System.nanoTime() < deadline) {
                Thread.sleep(Math.min(100, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
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
        closing = true;
        CloseOptions options = CloseOptions.timeout(Duration.ofSeconds(30)).withGroupMembershipOperation(staticMember
                ? CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP
                : CloseOptions.GroupMembershipOperation.LEAVE_GROUP);
        streams.close(options);
        LOG.info("{} stopped ({})", name, staticMember ? "stays in its group until its session times out" : "left its group");
    }
}
