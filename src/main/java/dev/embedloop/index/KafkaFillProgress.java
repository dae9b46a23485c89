package dev.embedloop.index;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.events.JsonSerde;
import dev.embedloop.kafka.KafkaClients;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fill progress shared through a compacted topic of one partition (key = {@link
 * FillProgressRecord#key()}): every indexer instance writes the records of the partitions it
 * fills and reads everybody's from the start on a daemon thread, without a consumer group. A
 * record is applied to this instance's view as soon as the broker acknowledged it, so an
 * instance never waits for its own records to come back.
 */
public final class KafkaFillProgress implements FillProgress {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaFillProgress.class);
    private static final JsonSerde<FillProgressRecord> SERDE = JsonSerde.of(FillProgressRecord.class);

    private final String topic;
    private final int partitions;
    private final String instance;
    private final KafkaProducer<String, byte[]> producer;
    private final KafkaConsumer<String, byte[]> consumer;
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final Thread thread;
    private volatile FillProgressView view = FillProgressView.EMPTY;
    private volatile boolean running = true;

    private KafkaFillProgress(Properties kafka, String topic, int partitions, String instance) {
        this.topic = topic;
        this.partitions = partitions;
        this.instance = instance;
        Properties p = KafkaClients.producer(kafka);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        Properties c = KafkaClients.consumer(kafka);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        this.consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        this.thread = new Thread(this::run, "fill-progress-follower");
        this.thread.setDaemon(true);
    }

    /**
     * Starts following {@code topic} (which must exist) and waits until the records present now
     * have been read.
     *
     * @param partitions the partition count of the documents topic
     * @throws IllegalStateException when the topic cannot be read within {@code timeout}
     */
    public static KafkaFillProgress start(Properties kafka, String topic, int partitions, String instance,
            Duration timeout) {
        KafkaFillProgress progress = new KafkaFillProgress(kafka, topic, partitions, instance);
        progress.thread.start();
        try {
            if (!progress.caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                progress.close();
                throw new IllegalStateException("could not read " + topic + " within " + timeout.toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            progress.close();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading " + topic, e);
        }
        return progress;
    }

    /** The fill-progress topic: one partition (one order for every instance), compacted by key. */
    public static NewTopic topic(EmbedloopConfig cfg) {
        return new NewTopic(cfg.topics().fillProgress(), 1, cfg.topics().replicationFactor())
                .configs(Map.of("cleanup.policy", "compact"));
    }

    /** The partition count of {@code topic} (which must exist). */
    public static int partitionsOf(Properties kafka, String topic) {
        try (Admin admin = Admin.create(KafkaClients.admin(kafka))) {
            TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(60, TimeUnit.SECONDS).get(topic);
            return d.partitions().size();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while describing " + topic, e);
        } catch (Exception e) {
            throw new IllegalStateException("could not describe topic " + topic + ": " + e.getMessage(), e);
        }
    }

    /** {@code host/pid}: names this instance in the records it writes. */
    public static String instanceName() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "unknown-host";
        }
        return host + "/" + ProcessHandle.current().pid();
    }

    @Override
    public int partitions() {
        return partitions;
    }

    @Override
    public FillProgressView view() {
        return view;
    }

    @Override
    public String instance() {
        return instance;
    }

    @Override
    public void publish(FillProgressRecord record) {
        try {
            producer.send(new ProducerRecord<>(topic, 0, record.key(), SERDE.serializer().serialize(topic, record)))
                    .get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while recording fill progress " + record.key(), e);
        } catch (Exception e) {
            throw new IllegalStateException("could not record fill progress " + record.key() + " on " + topic, e);
        }
        apply(record);
        LOG.info("fill progress {}: {} round {} ({} points)", record.key(), record.kind(), record.round(), record.points());
    }

    private synchronized void apply(FillProgressRecord record) {
        view = view.with(record);
    }

    private void run() {
        TopicPartition tp = new TopicPartition(topic, 0);
        try {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            if (end == 0) {
                caughtUp.countDown();
            }
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() == null) {
                        continue;
                    }
                    try {
                        apply(SERDE.deserializer().deserialize(topic, r.value()));
                    } catch (RuntimeException e) {
                        LOG.error("skipping unreadable fill progress record at offset {}: {}", r.offset(), e.toString());
                    }
                }
                if (caughtUp.getCount() > 0 && consumer.position(tp) >= end) {
                    caughtUp.countDown();
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.error("fill progress follower stopped", e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
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
        producer.close(Duration.ofSeconds(5));
    }
}
