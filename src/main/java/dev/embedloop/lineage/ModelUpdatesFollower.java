package dev.embedloop.lineage;

import dev.embedloop.events.JsonSerde;
import dev.embedloop.kafka.KafkaClients;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the compacted {@code model-updates} topic from its start, on one daemon thread, and keeps
 * the current {@link ModelLineage}. Listeners are called on that thread after each change, in
 * topic order. No consumer group: every follower reads the whole topic.
 *
 * <p>A record that cannot be read is logged and skipped (a model that cannot be read cannot be
 * served); the rest of the topic is still applied.
 */
public final class ModelUpdatesFollower implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ModelUpdatesFollower.class);

    private final KafkaConsumer<String, byte[]> consumer;
    private final TopicPartition partition;
    private final List<Consumer<ModelLineage>> listeners = new CopyOnWriteArrayList<>();
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final Thread thread;
    private final Object lock = new Object();
    private volatile ModelLineage lineage;
    private volatile State state;
    private volatile boolean running = true;

    private ModelUpdatesFollower(Properties kafka, String topic, String baseVersion) {
        Properties props = KafkaClients.consumer(kafka);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        this.partition = new TopicPartition(topic, 0);
        this.lineage = ModelLineage.base(baseVersion);
        this.state = new State(lineage, -1);
        this.thread = new Thread(this::run, "model-updates-follower");
        this.thread.setDaemon(true);
    }

    /** Starts following {@code topic} (which must exist). */
    public static ModelUpdatesFollower start(Properties kafka, String topic, String baseVersion) {
        ModelUpdatesFollower follower = new ModelUpdatesFollower(kafka, topic, baseVersion);
        follower.thread.start();
        return follower;
    }

    /**
     * Starts following and waits until the records present now have been applied, so that the
     * caller starts from the current lineage.
     *
     * @throws IllegalStateException when the topic cannot be read within {@code timeout}
     */
    public static ModelUpdatesFollower startCaughtUp(Properties kafka, String topic, String baseVersion,
            Duration timeout) {
        ModelUpdatesFollower follower = start(kafka, topic, baseVersion);
        try {
            if (!follower.awaitCaughtUp(timeout)) {
                follower.close();
                throw new IllegalStateException("could not read " + topic + " within " + timeout.toSeconds() + " s");
            }
            return follower;
        } catch (InterruptedException e) {
            follower.close();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading " + topic, e);
        }
    }


    public ModelLineage lineage() {
        return lineage;
    }

    /**
     * The lineage with its document epoch: the offset of the record that made the live document
     * version what it is ({@code -1}: the base, from the start). Every follower of the topic gets
     * the same epoch for the same lineage, so instances can name a re-index alike.
     */
    public record State(ModelLineage lineage, long documentEpoch) {}

    /** The lineage and its document epoch, read together. */
    public State state() {
        return state;
    }

    /** Adds a listener and calls it once with the current lineage. */
    public void addListener(Consumer<ModelLineage> listener) {
        synchronized (lock) {
            listeners.add(listener);
            listener.accept(lineage);
        }
    }

    /** Waits until the records present at start-up have been applied. */
    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Waits until the lineage satisfies {@code condition}; polls with a deadline. */
    public boolean await(Predicate<ModelLineage> condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.test(lineage)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            synchronized (lock) {
                lock.wait(50);
            }
        }
        return true;
    }

    private void run() {
        try {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            if (end == 0) {
                caughtUp.countDown();
            }
            JsonSerde<ModelUpdate> serde = JsonSerde.of(ModelUpdate.class);
            while (running) {
                var records = consumer.poll(Duration.ofMillis(200));
                for (ConsumerRecord<String, byte[]> record : records) {
                    if (record.value() == null) {
                        continue;
                    }
                    try {
                        ModelUpdate update = serde.deserializer().deserialize(record.topic(), record.value());
                        ModelLineage next = lineage.with(update);
                        synchronized (lock) {
                            long epoch = next.liveDocumentVersion().equals(lineage.liveDocumentVersion())
                                    ? state.documentEpoch() : record.offset();
                            lineage = next;
                            state = new State(next, epoch);
                            LOG.info("model update: {} {} ({}); live model now {}", update.version(), update.status(),
                                    update.mode(), next.liveVersion());
                            for (Consumer<ModelLineage> listener : listeners) {
                                listener.accept(next);
                            }
                            lock.notifyAll();
                        }
                    } catch (RuntimeException e) {
                        LOG.error("skipping unreadable model update at offset {}: {}", record.offset(), e.toString());
                    }
                }
                if (caughtUp.getCount() > 0 && consumer.position(partition) >= end) {
                    caughtUp.countDown();
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.error("model-updates follower stopped", e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /**
     * Publishes one record (key = version) and waits for the broker's acknowledgement. A record
     * with an adapter is up to {@link ModelUpdate#MAX_RECORD_BYTES}; it is compressed (gzip), so a
     * 384-d adapter (786 KB in base64) fits a topic with the broker's default 1 MB limit too.
     */
    public static void publish(Properties kafka, String topic, ModelUpdate update) {
        Properties props = KafkaClients.producer(kafka);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "gzip");
        props.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(ModelUpdate.MAX_RECORD_BYTES));
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(),
                (t, v) -> (byte[]) v)) {
            producer.send(new ProducerRecord<>(topic, 0, update.version(),
                    JsonSerde.of(ModelUpdate.class).serializer().serialize(topic, update))).get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not publish model update " + update.version() + " to " + topic
                    + (e.getCause() instanceof org.apache.kafka.common.errors.RecordTooLargeException
                            ? " (raise the topic's max.message.bytes to " + ModelUpdate.MAX_RECORD_BYTES + ")" : ""), e);
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
