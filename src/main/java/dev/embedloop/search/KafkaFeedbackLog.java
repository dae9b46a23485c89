package dev.embedloop.search;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.events.Click;
import dev.embedloop.events.DeadLetter;
import dev.embedloop.events.DeadLetterHeaders;
import dev.embedloop.events.Impression;
import dev.embedloop.events.Json;
import dev.embedloop.kafka.KafkaClients;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The feedback log on Kafka: impressions, clicks and refused clicks go to
 * {@code topics.impressions}, {@code topics.clicks} and {@code topics.clicks-dead-letter}, key =
 * query id, value = the event's JSON. One idempotent producer with {@code acks=all}; each call waits
 * for the acknowledgement, at most {@code timeout}, and throws {@link UnavailableException} when
 * it does not come (broker down, topic missing). The topics must exist
 * ({@code KafkaTopics.feedbackTopics}).
 */
public final class KafkaFeedbackLog implements FeedbackLog {

    /** The default bound of one write, metadata fetch included. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private final KafkaProducer<String, byte[]> producer;
    private final String impressionsTopic;
    private final String clicksTopic;
    private final String deadLetterTopic;
    private final Duration timeout;
    private final Properties adminProperties;
    private volatile Admin admin;

    public KafkaFeedbackLog(Properties kafkaProperties, EmbedloopConfig.Topics topics, Duration timeout) {
        this.impressionsTopic = topics.impressions();
        this.clicksTopic = topics.clicks();
        this.deadLetterTopic = topics.clicksDeadLetter();
        this.timeout = timeout;
        this.adminProperties = KafkaClients.admin(kafkaProperties);
        this.producer = new KafkaProducer<>(producerProperties(kafkaProperties, timeout), new StringSerializer(),
                new ByteArraySerializer());
    }

    /** The log of {@code cfg}'s Kafka and topics with {@link #DEFAULT_TIMEOUT}. */
    public static KafkaFeedbackLog create(EmbedloopConfig cfg) {
        return new KafkaFeedbackLog(cfg.kafkaProperties(), cfg.topics(), DEFAULT_TIMEOUT);
    }

    static Properties producerProperties(Properties kafkaProperties, Duration timeout) {
        Properties props = KafkaClients.producer(kafkaProperties);
        long ms = Math.max(1_000, timeout.toMillis());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        // every send is awaited by a waiting HTTP request: do not hold records back for batching
        props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(ms));
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(ms));
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(ms));
        props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "embedloop-search-feedback");
        return props;
    }

    @Override
    public void impression(Impression impression) {
        send(new ProducerRecord<>(impressionsTopic, impression.queryId(), Json.write(impression)));
    }

    @Override
    public void click(Click click) {
        send(new ProducerRecord<>(clicksTopic, click.queryId(), Json.write(click)));
    }

    @Override
    public void deadLetter(DeadLetter letter) {
        send(new ProducerRecord<>(deadLetterTopic, null, letter.timestamp(), letter.key(), Json.write(letter),
                DeadLetterHeaders.of(letter)));
    }

    private RecordMetadata send(ProducerRecord<String, byte[]> record) {
        Future<RecordMetadata> future;
        try {
            future = producer.send(record);
        } catch (KafkaException e) {
            throw new UnavailableException("could not write to " + record.topic() + ": " + e.getMessage(), e);
        }
        try {
            // the producer's delivery timeout ends the wait first; this bound is a safety net
            return future.get(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnavailableException("interrupted while writing to " + record.topic(), e);
        } catch (ExecutionException e) {
            throw new UnavailableException("could not write to " + record.topic() + ": " + e.getCause().getMessage(),
                    e.getCause());
        } catch (TimeoutException e) {
            throw new UnavailableException("no acknowledgement from " + record.topic() + " within " + timeout, e);
        }
    }

    /** How long {@link #problem()} waits for the broker. */
    static final Duration READY_TIMEOUT = Duration.ofSeconds(2);

    /** Null when the broker answers within {@link #READY_TIMEOUT} and the three feedback topics exist. */
    @Override
    public String problem() {
        List<String> topics = List.of(impressionsTopic, clicksTopic, deadLetterTopic);
        try {
            admin().describeTopics(topics, new DescribeTopicsOptions().timeoutMs((int) READY_TIMEOUT.toMillis()))
                    .allTopicNames().get(READY_TIMEOUT.toMillis() + 500, TimeUnit.MILLISECONDS);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } catch (ExecutionException e) {
            return "cannot describe the feedback topics " + topics + ": " + e.getCause().getMessage();
        } catch (TimeoutException e) {
            return "no answer from the brokers within " + READY_TIMEOUT.toMillis() + " ms";
        } catch (KafkaException e) {
            return "Kafka client failed: " + e.getMessage();
        }
    }

    private Admin admin() {
        Admin a = admin;
        if (a == null) {
            synchronized (this) {
                if (admin == null) {
                    Properties props = new Properties();
                    props.putAll(adminProperties);
                    props.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "embedloop-search-ready");
                    admin = Admin.create(props);
                }
                a = admin;
            }
        }
        return a;
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
        Admin a = admin;
        if (a != null) {
            a.close(Duration.ofSeconds(5));
        }
    }
}
